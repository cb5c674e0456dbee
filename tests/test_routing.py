"""The routing rule: auto only when every condition holds, otherwise every reason listed."""

from __future__ import annotations

from app.services.replies import RenderedReply
from app.services.routing import decide_route
from classifier.predict import Prediction

REPLY = RenderedReply(subject="s", body="b", template="en/quality.j2", language="en")
ALL = ("cancellation", "logistics_delay", "return", "quality", "technical_support")


def prediction(intent="quality", confidence=0.9, runner_up=0.05) -> Prediction:
    return Prediction(intent=intent, confidence=confidence, ranking=((intent, confidence), ("return", runner_up)))


def route(**overrides):
    arguments = dict(
        prediction=prediction(), thresholds={"quality": 0.8}, min_margin=0.2, auto_intents=ALL, reply=REPLY, problems=()
    )
    arguments.update(overrides)
    return decide_route(**arguments)


def codes(decision) -> list[str]:
    return [reason.split(":")[0] for reason in decision.reasons]


def test_auto_when_everything_holds():
    decision = route()
    assert decision.route == "auto"
    assert decision.reasons == []


def test_confidence_below_the_intent_threshold_goes_to_review():
    assert codes(route(prediction=prediction(confidence=0.79, runner_up=0.1))) == ["low_confidence"]


def test_exactly_at_the_threshold_is_enough():
    assert route(prediction=prediction(confidence=0.8, runner_up=0.1)).route == "auto"


def test_a_narrow_margin_goes_to_review():
    assert codes(route(prediction=prediction(confidence=0.85, runner_up=0.7), thresholds={"quality": 0.5})) == ["ambiguous"]


def test_an_intent_without_threshold_is_never_auto():
    assert codes(route(thresholds={"quality": None})) == ["no_threshold"]
    assert codes(route(thresholds={})) == ["no_threshold"]


def test_an_intent_the_policy_excludes_goes_to_review():
    decision = route(prediction=prediction(intent="other"), thresholds={"other": 0.5}, auto_intents=ALL)
    assert codes(decision) == ["policy"]


def test_no_draft_goes_to_review():
    assert codes(route(reply=None)) == ["no_draft"]


def test_upstream_problems_are_kept_and_not_repeated():
    decision = route(reply=None, problems=["no_template: there is no ko template for quality"])
    assert codes(decision) == ["no_template"]


def test_no_model_goes_to_review():
    decision = route(prediction=None, reply=None)
    assert decision.route == "review"
    assert "no_model" in codes(decision)


def test_every_failing_condition_is_listed():
    decision = route(
        prediction=prediction(intent="other", confidence=0.4, runner_up=0.35),
        thresholds={"other": 0.9},
        reply=None,
        problems=["language_undetermined: ..."],
    )
    assert set(codes(decision)) == {"language_undetermined", "low_confidence", "ambiguous", "policy", "no_draft"}
