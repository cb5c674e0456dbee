"""Accuracy and speed of the language detector on short buyer messages.

Usage: python benchmarks/language.py [--json] [CSV ...]   (default benchmarks/data/language_short_*.csv)
Each CSV has text,lang. Prints overall accuracy, accuracy on messages of six words or fewer,
per language, the confusions, messages per second and p50/p99 latency of one detection.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier.language import LanguageDetector  # noqa: E402


def load(paths: list[Path]) -> list[tuple[str, str]]:
    rows = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            rows.extend((r["text"], r["lang"]) for r in csv.DictReader(handle))
    return rows


def is_short(text: str) -> bool:
    """Six words or fewer; for scripts without spaces, twelve characters or fewer."""
    words = text.split()
    if any("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in text):
        return len(text.replace(" ", "")) <= 12
    return len(words) <= 6


def measure(rows: list[tuple[str, str]], detector: LanguageDetector) -> dict:
    for text, _ in rows[:50]:  # warm up: profiles load on first use
        detector.detect(text)
    latencies, hits, short_hits, short_n = [], 0, 0, 0
    per_language: dict[str, Counter] = defaultdict(Counter)
    confusions: dict[str, Counter] = defaultdict(Counter)
    started = time.perf_counter()
    for text, truth in rows:
        t0 = time.perf_counter()
        found = detector.detect(text).code
        latencies.append((time.perf_counter() - t0) * 1000)
        correct = found == truth
        hits += correct
        per_language[truth]["n"] += 1
        per_language[truth]["correct"] += correct
        if not correct:
            confusions[truth][found] += 1
        if is_short(text):
            short_n += 1
            short_hits += correct
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "n": len(rows),
        "accuracy": round(hits / len(rows), 4),
        "short": {"n": short_n, "accuracy": round(short_hits / max(short_n, 1), 4)},
        "per_language": {
            lang: round(c["correct"] / c["n"], 4) for lang, c in sorted(per_language.items())
        },
        "confusions": {lang: dict(c) for lang, c in sorted(confusions.items())},
        "msgs_per_s": round(len(rows) / elapsed),
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    files = args.files or sorted((ROOT / "benchmarks" / "data").glob("language_short_*.csv"))
    report = measure(load(files), LanguageDetector())
    if args.json:
        print(json.dumps(report))
        return
    print(f"{report['n']} messages: accuracy {report['accuracy']:.2%}, "
          f"six words or fewer {report['short']['accuracy']:.2%} (n={report['short']['n']})")
    print("per language: " + ", ".join(f"{k} {v:.1%}" for k, v in report["per_language"].items()))
    for lang, found in report["confusions"].items():
        print(f"  {lang} taken for {found}")
    print(f"{report['msgs_per_s']} messages/s, p50 {report['p50_ms']} ms, p99 {report['p99_ms']} ms")


if __name__ == "__main__":
    main()
