"""The routing rule: when a message may be answered without a person."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from classifier.confidence import confidence_reasons
from classifier.predict import Prediction

from app.services.replies import RenderedReply


@dataclass(frozen=True)
class RouteDecision:
    route: str
    reasons: list[str] = field(default_factory=list)


def decide_route(
    *,
    prediction: Prediction | None,
    thresholds: Mapping[str, float | None],
    min_margin: float,
    auto_intents: Collection[str],
    reply: RenderedReply | None,
    problems: Sequence[str] = (),
) -> RouteDecision:
    """Auto only when every condition holds; otherwise review with every reason that failed.

    - a model classified the message, with the intent's threshold cleared and a wide enough
      margin to the runner-up;
    - the intent's policy allows automatic replies (`other` never does);
    - a reply was rendered (template in the buyer's language, every variable known);
    - nothing else upstream objected (`problems`: empty text, undetected language, ...).
    """
    reasons = list(problems)
    if prediction is None:
        if not any(r.startswith("no_model") or r.startswith("classification_failed") for r in reasons):
            reasons.append("no_model: no classifier is loaded")
    else:
        reasons.extend(confidence_reasons(prediction, thresholds=thresholds, min_margin=min_margin))
        if prediction.intent not in auto_intents:
            reasons.append(f"policy: {prediction.intent} is never answered automatically")
    if reply is None and not any(r.startswith(("no_template", "template_error", "missing_variable")) for r in reasons):
        reasons.append("no_draft: no reply could be drafted")
    return RouteDecision(route="review" if reasons else "auto", reasons=reasons)
