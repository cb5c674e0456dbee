"""Replies in the buyer's language: every intent in all seven languages, and what happens
to a language without templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Settings
from app.services.analysis import Analyzer
from app.services.models import load_active_model
from app.services.replies import ReplyTemplates
from classifier import INTENTS

REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "replies"
LANGUAGES = ("en", "de", "fr", "es", "it", "ja", "zh")
FULL = {"seller_name": "Acme Shop", "buyer_name": "Kim", "order_id": "123-1234567-1234567",
        "marketplace": "Amazon", "tracking_number": "1Z999", "carrier": "UPS"}
NEEDS_ORDER = {"cancellation", "logistics_delay", "return", "quality"}


@pytest.fixture(scope="module")
def shipped() -> ReplyTemplates:
    return ReplyTemplates(REPO_TEMPLATES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("intent", INTENTS)
def test_every_intent_has_a_template_and_sop_in_every_language(shipped, intent, language):
    reply = shipped.render(intent, language, FULL)
    assert reply.language == language and reply.subject
    assert "Kim" in reply.body and "Acme Shop" in reply.body
    assert "{{" not in reply.body and "None" not in reply.body
    if intent in NEEDS_ORDER:
        assert "123-1234567-1234567" in reply.body
    sop = shipped.sop(intent, language)
    assert sop is not None and sop.title and len(sop.steps) >= 4


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("intent", INTENTS)
def test_templates_render_with_only_what_every_message_has(shipped, intent, language):
    minimal = {"order_id": "123-1234567-1234567"} if intent in NEEDS_ORDER else {}
    reply = shipped.render(intent, language, minimal)
    assert reply.body.strip() and "Kim" not in reply.body


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_the_default_signature_is_in_the_reply_language(shipped, language):
    body = shipped.render("other", language, {}).body
    assert "Customer Service" not in body


@pytest.fixture
def analyzer_for(tiny_model_dir, tmp_path):
    classifier, _ = load_active_model(tiny_model_dir)

    def build(**overrides) -> Analyzer:
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", model_dir=tiny_model_dir,
                            templates_dir=REPO_TEMPLATES, **overrides)
        return Analyzer(settings=settings, classifier=classifier)

    return build


PORTUGUESE = "Olá, quero cancelar o meu pedido, por favor. Ainda não foi enviado, certo? Obrigado"


def test_a_language_without_templates_goes_to_review_with_that_reason(analyzer_for):
    analysis = analyzer_for().analyse(subject=None, body=PORTUGUESE, variables={"order_id": "1"})
    assert analysis.language == "pt"
    assert analysis.reply is None
    assert analysis.decision.route == "review"
    assert any(r.startswith("no_template: there is no pt template") for r in analysis.decision.reasons)


def test_a_configured_fallback_language_drafts_in_that_language(analyzer_for):
    analysis = analyzer_for(fallback_language="en").analyse(subject=None, body=PORTUGUESE, variables={"order_id": "1"})
    assert analysis.language == "pt"
    assert analysis.reply is not None and analysis.reply.language == "en"
    assert not any(r.startswith("no_template") for r in analysis.decision.reasons)


def test_a_german_message_is_drafted_in_german(analyzer_for):
    analysis = analyzer_for().analyse(
        subject=None, body="Hallo, bitte stornieren Sie meine Bestellung, ich habe mich vertan. Danke", variables={"order_id": "1"}
    )
    assert analysis.language == "de"
    assert analysis.reply is not None and analysis.reply.language == "de"
    assert analysis.reply.template.startswith("de/")
