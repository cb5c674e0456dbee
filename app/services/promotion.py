"""The promotion gate: a new model replaces the active one only if it is not worse.

Both are measured on the same fixed evaluation split. The new model passes when its macro-F1
is at most `MAX_F1_DROP` below the active one's and every intent's automatic answers stay at
or above the precision target. An intent the active model already answers below the target
must not get worse than the active model's precision on the same messages: otherwise one
intent short of the target would block every retrain, including those that improve it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_F1_DROP = 0.005  # half a point of macro-F1


@dataclass
class GateResult:
    passed: bool
    reasons: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "reasons": self.reasons, "intents": self.rows}


def compare(candidate: dict[str, Any], active: dict[str, Any] | None, *, target_precision: float) -> GateResult:
    """Candidate and active evaluation reports (classifier.evaluate) on the same messages."""
    reasons: list[str] = []
    rows = []
    for intent, metrics in candidate["per_label"].items():
        auto = candidate.get("auto_per_intent", {}).get(intent)
        row = {
            "intent": intent,
            "f1": metrics["f1"],
            "active_f1": active["per_label"][intent]["f1"] if active else None,
            "auto_n": auto["n"] if auto else None,
            "auto_precision": auto["precision"] if auto else None,
            "active_auto_precision": (active.get("auto_per_intent", {}).get(intent) or {}).get("precision") if active else None,
        }
        rows.append(row)
        precision, before = (auto or {}).get("precision"), row["active_auto_precision"]
        if precision is not None and precision < target_precision:
            if before is None or before >= target_precision:
                reasons.append(f"{intent}: automatic answers {precision:.1%} precise on {auto['n']} messages, "
                               f"below the {target_precision:.0%} target")
            elif precision < before:
                reasons.append(f"{intent}: automatic answers {precision:.1%} precise on {auto['n']} messages, below the "
                               f"{target_precision:.0%} target and worse than the active model's {before:.1%}")
    if active is not None:
        drop = active["macro_f1"] - candidate["macro_f1"]
        if drop > MAX_F1_DROP:
            reasons.insert(0, f"macro-F1 {candidate['macro_f1']:.4f} is {drop * 100:.2f} points below the active model's "
                              f"{active['macro_f1']:.4f} (at most {MAX_F1_DROP * 100:.1f} allowed)")
    return GateResult(passed=not reasons, reasons=reasons, rows=rows)


def table(result: GateResult, candidate: dict[str, Any], active: dict[str, Any] | None, *, candidate_version: str,
          active_version: str | None) -> str:
    """The comparison as text for the terminal."""
    lines = [
        f"{'':<20}{'new ' + candidate_version:>26}{('active ' + active_version) if active_version else 'no active model':>28}",
        f"{'macro-F1':<20}{candidate['macro_f1']:>26.4f}{_fmt(active['macro_f1'] if active else None, '.4f'):>28}",
        f"{'auto coverage':<20}{candidate['auto']['coverage']:>26.3f}{_fmt(active['auto']['coverage'] if active else None, '.3f'):>28}",
        f"{'intent':<20}{'F1':>8}{'auto n':>8}{'auto prec':>10}{'active F1':>12}{'active prec':>14}",
    ]
    for row in result.rows:
        lines.append(
            f"{row['intent']:<20}{row['f1']:>8.3f}{_fmt(row['auto_n'], 'd'):>8}{_fmt(row['auto_precision'], '.3f'):>10}"
            f"{_fmt(row['active_f1'], '.3f'):>12}{_fmt(row['active_auto_precision'], '.3f'):>14}"
        )
    lines.append("gate: passed" if result.passed else "gate: NOT passed")
    lines.extend(f"  - {reason}" for reason in result.reasons)
    return "\n".join(lines)


def _fmt(value: Any, spec: str) -> str:
    return "—" if value is None else format(value, spec)
