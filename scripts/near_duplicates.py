"""Report the share of near-duplicate rows in the training data.

Usage: python scripts/near_duplicates.py [training_data] [--threshold 0.9]
Exits 1 when the share is 5 % or more.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifier.data import read_dir  # noqa: E402
from classifier.near_duplicates import near_duplicates  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", default="training_data", type=Path)
    parser.add_argument("--threshold", type=float, default=0.9)
    args = parser.parse_args()
    examples = read_dir(args.directory)
    report = near_duplicates(examples, threshold=args.threshold)
    by_language = defaultdict(list)
    for example in examples:
        by_language[example.lang or "?"].append(example)
    print(f"{report.rows} rows, {report.pairs} pairs with cosine > {report.threshold}, "
          f"{report.rows_with_a_near_duplicate} rows with a near-duplicate: {report.share:.2%}")
    for lang, rows in sorted(by_language.items()):
        part = near_duplicates(rows, threshold=args.threshold, show=0)
        print(f"  {lang}: {part.rows} rows, {part.share:.2%}")
    for score, a, b in report.examples:
        print(f"  {score:.2f}  {a[:60]!r}  ~  {b[:60]!r}")
    return 0 if report.share < 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
