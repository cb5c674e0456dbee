"""Per-intent confidence thresholds chosen from cross-validated predictions."""

from __future__ import annotations

import math
from collections.abc import Sequence

from classifier.predict import Prediction

MIN_SUPPORT = 10
THRESHOLD_FLOOR = 0.5
# One-sided z of the Wilson lower bound the chosen precision must clear. Cutting exactly where the
# cross-validated precision touches the target leaves new messages below it about half the time.
SAFETY_Z = 1.0


def precision_lower_bound(correct: int, count: int, z: float = SAFETY_Z) -> float:
    """Wilson score lower bound of correct/count."""
    if count == 0:
        return 0.0
    p = correct / count
    centre = p + z * z / (2 * count)
    spread = z * math.sqrt(p * (1 - p) / count + z * z / (4 * count * count))
    return (centre - spread) / (1 + z * z / count)


def choose_thresholds(
    predictions: Sequence[Prediction],
    truths: Sequence[str],
    *,
    labels: Sequence[str],
    target_precision: float,
    min_margin: float,
) -> dict[str, float | None]:
    """For each intent, the lowest confidence at which the out-of-fold predictions of that intent
    (passing the margin) are still at least `target_precision` correct, with a Wilson
    lower bound so that the target holds on new messages, not just on average. Lower thresholds answer
    more messages; the lowest one that keeps the precision gives the most coverage. None when no
    threshold reaches the target on at least MIN_SUPPORT messages."""
    thresholds: dict[str, float | None] = {}
    for label in labels:
        scored = sorted(
            (
                (p.confidence, p.intent == truth)
                for p, truth in zip(predictions, truths)
                if p.intent == label and p.margin >= min_margin
            ),
            key=lambda item: -item[0],
        )
        best: float | None = None
        correct = 0
        for count, (confidence, is_correct) in enumerate(scored, start=1):
            correct += is_correct
            # only cut between distinct confidences: a tie cannot be split by a threshold
            next_is_tie = count < len(scored) and scored[count][0] == confidence
            if count >= MIN_SUPPORT and not next_is_tie and precision_lower_bound(correct, count) >= target_precision:
                best = confidence
        thresholds[label] = None if best is None else round(max(best, THRESHOLD_FLOOR), 4)
    return thresholds
