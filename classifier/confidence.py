"""The confidence part of the routing rule, shared by the service and the evaluation.

A prediction may be answered automatically only when its confidence clears its intent's threshold
and the gap to the runner-up is at least the margin (the fallback rule of Rasa's
FallbackClassifier: a threshold and an ambiguity margin).
"""

from __future__ import annotations

from collections.abc import Mapping

from classifier.predict import Prediction


def confidence_reasons(
    prediction: Prediction, *, thresholds: Mapping[str, float | None], min_margin: float
) -> list[str]:
    """Why this prediction is not confident enough to answer alone; empty when it is."""
    reasons = []
    threshold = thresholds.get(prediction.intent)
    if threshold is None:
        reasons.append(
            f"no_threshold: {prediction.intent} never reached the precision target in training, "
            "so it is never answered automatically"
        )
    elif prediction.confidence < threshold:
        reasons.append(
            f"low_confidence: {prediction.confidence:.2f} is below the {threshold:.2f} threshold "
            f"for {prediction.intent}"
        )
    if prediction.margin < min_margin:
        runner_up = prediction.ranking[1][0] if len(prediction.ranking) > 1 else "none"
        reasons.append(
            f"ambiguous: {prediction.intent} leads {runner_up} by {prediction.margin:.2f}, "
            f"less than the {min_margin:.2f} margin"
        )
    return reasons
