"""Time training on the shipped data grown to a given size, each size in its own process.

Usage: python benchmarks/train_time.py [ROWS ...] [--json]   (default 10000 50000)
Prints rows, seconds and peak memory of the training process.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _train_in_this_process(rows: int) -> None:
    sys.path.insert(0, str(ROOT))
    from benchmarks.synthetic import grow
    from classifier.data import read_dir
    from classifier.train import train

    examples = grow(read_dir(ROOT / "training_data"), rows)
    started = time.perf_counter()
    train(examples)
    print(json.dumps({"rows": rows, "seconds": round(time.perf_counter() - started, 1)}))


def measure(rows: int) -> dict:
    """Train once in a child process; its peak RSS is the child's alone."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(rows)], capture_output=True, text=True, check=True
    )
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # ru_maxrss of children is the largest child so far: sizes run smallest first
    result["peak_rss_mb"] = round(max(peak_kb, before) / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", nargs="*", type=int, default=[10_000, 50_000])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _train_in_this_process(args.rows[0])
        return
    results = [measure(rows) for rows in sorted(args.rows)]
    if args.json:
        print(json.dumps(results))
        return
    print(f"{'rows':>8} {'seconds':>8} {'peak MB':>8}")
    for r in results:
        print(f"{r['rows']:>8} {r['seconds']:>8} {r['peak_rss_mb']:>8}")


if __name__ == "__main__":
    main()
