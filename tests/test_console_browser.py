"""The console in a real browser: Debian's Chromium, headless, driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlmodel import Session, select

from app.config import Settings
from app.main import create_app
from app.models import Action, Label, Message, OutboxItem
from app.services import keys, users
from tests.builders import PASSWORD, message_payload

playwright_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need the playwright package")
CHROMIUM = os.environ.get("TRIAGE_TEST_CHROMIUM", "/usr/bin/chromium")
if not shutil.which(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set TRIAGE_TEST_CHROMIUM)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def live(tmp_path, tiny_model_dir) -> Iterator[LiveServer]:
    from app import db
    from tests.conftest import REPO

    url = f"sqlite:///{tmp_path / 'browser.db'}"
    db.upgrade(url)
    settings = Settings(_env_file=None, database_url=url, model_dir=tiny_model_dir, templates_dir=REPO / "templates" / "replies",
                        auto_migrate=False, auto_intents=[])
    with LiveServer(settings) as server:
        engine = server.app.state.engine
        with Session(engine) as session:
            for name, role in (("ana", "agent"), ("ben", "agent")):
                users.create_user(session=session, name=name, role=role, password=PASSWORD)
            _, server.ingest_key = keys.create_key(session=session, name="gateway", role="ingest")
            session.commit()
        yield server


def post_message(server: LiveServer, **overrides) -> int:
    response = httpx.post(f"{server.url}/v1/messages", json=message_payload(**overrides),
                          headers={"Authorization": f"Bearer {server.ingest_key}"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def log_in(browser, server: LiveServer, name: str):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{server.url}/console/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/queue")
    return page


def test_an_agent_relabels_edits_and_approves(browser, live):
    message_id = post_message(live, body="hi, the blender I got makes a burning smell and stopped after two days")
    page = log_in(browser, live, "ana")
    page.click(f"a[href='/console/messages/{message_id}']")
    page.wait_for_url(f"**/console/messages/{message_id}")
    assert "You hold this message" in page.inner_text("main")
    page.select_option("#intent-select", "quality")
    page.click("form[action$='/intent'] button")
    page.wait_for_selector("text=Intent changed")
    assert page.inner_text("#intent") == "quality"
    page.fill("#draft-body", "Dear Alex, we are sorry. A replacement blender is on its way.")
    page.click("#approve")
    page.wait_for_selector("text=Approved: the reply is in the outbox.")

    with Session(live.app.state.engine) as session:
        row = session.get(Message, message_id)
        assert (row.status, row.intent) == ("approved", "quality")
        sent = session.exec(select(OutboxItem).where(OutboxItem.message_id == message_id)).one()
        assert sent.body == "Dear Alex, we are sorry. A replacement blender is on its way.\n"
        labels = session.exec(select(Label).where(Label.message_id == message_id)).all()
        assert {label.intent for label in labels} == {"quality"}
        actions = [a.action for a in session.exec(select(Action).where(Action.message_id == message_id).order_by(Action.id))]
        assert actions[0] in ("change_intent",) and actions[-1] == "approve"
    page.context.close()


def test_keyboard_shortcuts_open_and_save(browser, live):
    message_id = post_message(live)
    page = log_in(browser, live, "ana")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/console/messages/{message_id}")
    page.fill("#draft-body", "Saved from the keyboard.")
    page.locator("#draft-body").blur()
    page.keyboard.press("s")
    page.wait_for_selector("text=Draft saved.")
    assert page.input_value("#draft-body").startswith("Saved from the keyboard.")
    page.context.close()


def test_hostile_buyer_html_is_shown_as_text_and_runs_nothing(browser, live):
    hostile = '<script>window.pwned = 1; alert("x")</script><img src=x onerror="window.pwned = 2; alert(2)">'
    message_id = post_message(live, body=hostile, subject='<b onmouseover="alert(3)">hi</b>')
    page = log_in(browser, live, "ana")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live.url}/console/messages/{message_id}")
    page.wait_for_selector("pre.body")
    page.hover("h1")
    assert page.inner_text("pre.body") == hostile
    assert page.evaluate("window.pwned") is None
    assert page.locator("pre.body img, pre.body script").count() == 0
    assert dialogs == []
    page.context.close()


def test_a_post_without_the_csrf_token_is_refused(browser, live):
    message_id = post_message(live)
    page = log_in(browser, live, "ana")
    page.goto(f"{live.url}/console/messages/{message_id}")
    response = page.request.post(f"{live.url}/console/messages/{message_id}/resolve", form={"note": "no token"})
    assert response.status == 403
    with Session(live.app.state.engine) as session:
        assert session.get(Message, message_id).status == "open"
    page.context.close()


def test_an_agent_gets_403_on_admin_pages(browser, live):
    page = log_in(browser, live, "ana")
    assert page.goto(f"{live.url}/console/admin/users").status == 403
    assert page.goto(f"{live.url}/console/models").status == 403
    assert "Not for your role" in page.inner_text("main")
    page.goto(f"{live.url}/console/queue")
    assert "Users" not in page.locator("header nav").inner_text()
    page.context.close()


def test_two_browsers_cannot_both_claim_one_item(browser, live):
    message_id = post_message(live)
    first = log_in(browser, live, "ana")
    second = log_in(browser, live, "ben")
    first.goto(f"{live.url}/console/messages/{message_id}")
    second.goto(f"{live.url}/console/messages/{message_id}")
    assert "You hold this message" in first.inner_text("main")
    assert "ana is working on this message" in second.inner_text("main")
    assert second.locator("#approve").count() == 0
    with Session(live.app.state.engine) as session:
        assert session.get(Message, message_id).claimed_by == "ana"
    first.context.close()
    second.context.close()
