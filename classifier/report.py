"""The evaluation report page: tables, the confusion matrix and the precision–coverage curve.

`write_report` writes `index.html`, `confusion.png`, `precision_coverage.png` and
`report.json` into a directory. Every value shown is escaped: language codes and labels come
from the evaluated file.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402

from classifier.evaluate import precision_coverage_curve  # noqa: E402
from classifier.predict import Prediction  # noqa: E402


def _plot_confusion(confusion: dict[str, dict[str, int]], path: Path) -> None:
    labels = list(confusion)
    counts = [[confusion[t][p] for p in labels] for t in labels]
    figure, axes = plt.subplots(figsize=(7, 6))
    image = axes.imshow(counts, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=35, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted intent")
    axes.set_ylabel("true intent")
    top = max((max(row) for row in counts), default=0)
    for i, row in enumerate(counts):
        for j, value in enumerate(row):
            axes.text(j, i, str(value), ha="center", va="center", color="white" if value > top / 2 else "black")
    figure.colorbar(image, ax=axes, fraction=0.046)
    axes.set_title("Confusion matrix")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _plot_curve(points: list[tuple[float, float, float]], report: dict[str, Any], target: float, path: Path) -> None:
    figure, axes = plt.subplots(figsize=(7, 5))
    if points:
        axes.plot([c for _, c, _ in points], [p for _, _, p in points], label="one threshold for every intent")
    operating = report["auto"]
    if operating["precision"] is not None:
        axes.scatter([operating["coverage"]], [operating["precision"]], color="crimson", zorder=3,
                     label=f"per-intent thresholds: {operating['coverage']:.1%} at {operating['precision']:.1%}")
    axes.axhline(target, color="grey", linestyle="--", linewidth=1, label=f"precision target {target:.0%}")
    axes.set_xlabel("coverage (share of all messages answered automatically)")
    axes.set_ylabel("precision of automatic answers")
    axes.set_xlim(0, 1)
    axes.set_ylim(max(0.0, min([p for _, _, p in points] + [target]) - 0.05), 1.005)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower left")
    axes.set_title("Precision against coverage")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "–" if value is None else str(value)


def write_report(
    report: dict[str, Any],
    truths: Sequence[str],
    predictions: Sequence[Prediction],
    directory: Path,
    *,
    min_margin: float,
    auto_intents: Iterable[str],
    target_precision: float,
    source: str,
) -> Path:
    """Write the report into `directory` (created if needed); returns the index page's path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    _plot_confusion(report["confusion"], directory / "confusion.png")
    curve = precision_coverage_curve(truths, predictions, min_margin=min_margin, auto_intents=auto_intents)
    _plot_curve(curve, report, target_precision, directory / "precision_coverage.png")
    (directory / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")

    auto = report["auto"]
    summary = _table(
        ["messages", "accuracy", "macro-F1", "auto coverage", "auto precision", "model"],
        [[report["n"], report["accuracy"], report["macro_f1"], auto["coverage"], auto["precision"], report["model_version"]]],
    )
    intents = _table(
        ["intent", "precision", "recall", "F1", "support"],
        [[label, m["precision"], m["recall"], m["f1"], m["support"]] for label, m in report["per_label"].items()],
    )
    languages = _table(
        ["language", "messages", "accuracy", "macro-F1", "detection agreed"],
        [
            [lang, m["n"], m["accuracy"], m.get("macro_f1"),
             report.get("language", {}).get("per_language", {}).get(lang, {}).get("accuracy")]
            for lang, m in report["per_language"].items()
        ],
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evaluation of model {html.escape(str(report["model_version"]))}</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; margin: .5rem 0 1.5rem; }}
th, td {{ border: 1px solid #ccc; padding: .3rem .7rem; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>Evaluation of model {html.escape(str(report["model_version"]))}</h1>
<p>On {html.escape(source)}. Automatic answers: the share the routing rule would send alone
(confidence over the intent's threshold, margin over {min_margin:.2f}, intent allowed to auto-send)
and how often those were right.</p>
{summary}
<h2>Per intent</h2>
{intents}
<h2>Per language</h2>
{languages}
<h2>Confusion matrix</h2>
<img src="confusion.png" alt="confusion matrix of true against predicted intents">
<h2>Precision against coverage</h2>
<img src="precision_coverage.png" alt="precision of automatic answers against the share answered">
</body></html>
"""
    index = directory / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
