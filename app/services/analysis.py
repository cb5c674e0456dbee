"""Language, intent, draft, SOP and route for one text: the pure part of triage, no storage."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from classifier.language import UNDETERMINED, LanguageDetector
from classifier.predict import Classifier, Prediction

from app.config import Settings
from app.services.replies import ReplyTemplates, RenderedReply, Sop, TemplateMissing, TemplateRenderError
from app.services.routing import RouteDecision, decide_route

log = logging.getLogger(__name__)


@dataclass
class Analysis:
    language: str
    language_confidence: float
    prediction: Prediction | None
    reply: RenderedReply | None
    decision: RouteDecision
    model_version: str | None
    problems: list[str] = field(default_factory=list)


class Analyzer:
    """Holds what analysis needs once per process: the detector, the templates and the model."""

    def __init__(self, *, settings: Settings, classifier: Classifier | None, model_error: str | None = None) -> None:
        self.settings = settings
        self.classifier = classifier
        self.model_error = model_error
        self.detector = LanguageDetector(settings.languages)
        self.templates = ReplyTemplates(settings.templates_dir)

    @property
    def model_version(self) -> str | None:
        return self.classifier.version if self.classifier else None

    def thresholds(self) -> dict[str, float | None]:
        base = self.classifier.thresholds if self.classifier else {}
        return {**base, **self.settings.threshold_overrides}

    def min_margin(self) -> float:
        if self.settings.min_margin is not None:
            return self.settings.min_margin
        return self.classifier.min_margin if self.classifier else 0.2

    def analyse(self, *, subject: str | None, body: str, variables: dict[str, Any]) -> Analysis:
        text = f"{subject}\n{body}" if subject else body
        text = text[: self.settings.max_classify_chars]
        problems: list[str] = []
        language = self.detector.detect(text)
        if not text.strip():
            problems.append("empty: the message has no text to classify")
        elif language.code == UNDETERMINED:
            problems.append("language_undetermined: the language of the message could not be detected")

        prediction = None
        if self.classifier is None:
            problems.append(f"no_model: {self.model_error or 'no classifier is loaded'}")
        elif text.strip():
            try:
                prediction = self.classifier.predict(text)
            except Exception as exc:
                log.exception("classification failed")
                problems.append(f"classification_failed: {type(exc).__name__}")

        reply = None
        if prediction is not None:
            reply = self._draft(prediction.intent, language.code, variables, problems)
        decision = decide_route(
            prediction=prediction,
            thresholds=self.thresholds(),
            min_margin=self.min_margin(),
            auto_intents=self.settings.auto_intents,
            reply=reply,
            problems=problems,
        )
        return Analysis(
            language=language.code,
            language_confidence=language.confidence,
            prediction=prediction,
            reply=reply,
            decision=decision,
            model_version=self.model_version,
            problems=problems,
        )

    def failed(self, reason: str) -> Analysis:
        """The analysis of a message whose analysis broke: kept, and routed to review saying why."""
        return Analysis(language=UNDETERMINED, language_confidence=0.0, prediction=None, reply=None,
                        decision=RouteDecision(route="review", reasons=[reason]), model_version=self.model_version,
                        problems=[reason])

    def reply_language(self, intent: str, language: str) -> str | None:
        """The buyer's language when a template exists in it, else the configured fallback."""
        if self.templates.has_template(intent, language):
            return language
        fallback = self.settings.fallback_language
        if fallback and self.templates.has_template(intent, fallback):
            return fallback
        return None

    def _draft(self, intent: str, language: str, variables: dict[str, Any], problems: list[str]) -> RenderedReply | None:
        reply_language = self.reply_language(intent, language)
        if reply_language is None:
            problems.append(
                f"no_template: there is no {language} template for {intent} "
                "(add one, or set TRIAGE_FALLBACK_LANGUAGE)"
            )
            return None
        try:
            return self.templates.render(intent, reply_language, variables)
        except TemplateMissing as exc:
            problems.append(f"no_template: {exc}")
        except TemplateRenderError as exc:
            if exc.missing:
                problems.append(f"missing_variable: {exc.template} needs '{exc.missing}', which this message does not provide")
            else:
                log.warning("template %s failed: %s", exc.template, exc)
                problems.append(f"template_error: {exc}")
        return None

    def render(self, intent: str, language: str, variables: dict[str, Any]) -> RenderedReply:
        return self.templates.render(intent, language, variables)

    def sop(self, intent: str | None, language: str | None) -> Sop | None:
        if intent is None:
            return None
        for candidate in (self.settings.sop_language, language, "en"):
            if candidate and (sop := self.templates.sop(intent, candidate)):
                return sop
        return None
