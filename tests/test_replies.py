"""Reply templates: every intent drafts in English, strictly, in a sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.replies import ReplyTemplates, TemplateMissing, TemplateRenderError
from classifier import INTENTS

REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "replies"
FULL = {"seller_name": "Acme Shop", "buyer_name": "Sam", "order_id": "123-1234567-1234567", "marketplace": "Amazon.com", "tracking_number": "1Z999", "carrier": "UPS"}


@pytest.fixture
def shipped() -> ReplyTemplates:
    return ReplyTemplates(REPO_TEMPLATES)


@pytest.mark.parametrize("intent", INTENTS)
def test_every_intent_has_an_english_template_and_sop(shipped, intent):
    reply = shipped.render(intent, "en", FULL)
    assert reply.subject and "{{" not in reply.body and "None" not in reply.body
    assert reply.body.startswith("Dear Sam,")
    assert "Acme Shop" in reply.body
    sop = shipped.sop(intent, "en")
    assert sop is not None and sop.title and len(sop.steps) >= 3


def test_greeting_without_a_buyer_name(shipped):
    variables = {k: v for k, v in FULL.items() if k != "buyer_name"}
    assert shipped.render("return", "en", variables).body.startswith("Hello,")


def test_optional_tracking_number_changes_the_text(shipped):
    with_tracking = shipped.render("logistics_delay", "en", FULL).body
    without = shipped.render("logistics_delay", "en", {k: v for k, v in FULL.items() if k not in {"tracking_number", "carrier"}}).body
    assert "1Z999" in with_tracking and "UPS" in with_tracking
    assert "1Z999" not in without


def test_a_needed_variable_that_is_unknown_is_an_error(shipped):
    with pytest.raises(TemplateRenderError) as caught:
        shipped.render("cancellation", "en", {"seller_name": "Acme"})
    assert caught.value.missing == "order_id"


def test_a_missing_language_is_template_missing(shipped):
    with pytest.raises(TemplateMissing):
        shipped.render("quality", "xx", FULL)


def test_buyer_text_with_jinja_syntax_is_printed_not_evaluated(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "other.j2").write_text("Subject: Re: {{ subject }}\nYou wrote: {{ text }}\n")
    templates = ReplyTemplates(tmp_path)
    hostile = "{{ 7*7 }} {% for x in range(3) %}x{% endfor %} {{ ''.__class__.__mro__ }}"
    reply = templates.render("other", "en", {"subject": "{{ config }}", "text": hostile})
    assert reply.body == f"You wrote: {hostile}\n"
    assert reply.subject == "Re: {{ config }}"


def test_a_template_reaching_for_python_internals_fails_in_the_sandbox(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "other.j2").write_text("Subject: x\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    with pytest.raises(TemplateRenderError):
        ReplyTemplates(tmp_path).render("other", "en", {})


def test_a_template_without_a_subject_line_is_an_error(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "other.j2").write_text("Hello there\n")
    with pytest.raises(TemplateRenderError):
        ReplyTemplates(tmp_path).render("other", "en", {})


def test_a_broken_template_is_an_error_not_a_crash(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "other.j2").write_text("Subject: x\n{% if %}\n")
    with pytest.raises(TemplateRenderError):
        ReplyTemplates(tmp_path).render("other", "en", {})
