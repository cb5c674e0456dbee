"""Trainers: labelled history, retraining, the promotion gate, live reload and rollback."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.main import create_app
from app.models import ModelActivation
from app.services import promotion, registry
from app.services.models import train_and_promote
from classifier.data import is_holdout, read_file
from tests.builders import TINY_PARAMS, message_payload, tiny_examples
from tests.conftest import REPO, auth

# German messages the English-only tiny model has never seen; an agent says they are returns
CORRECTED = [
    "Die Jacke passt mir leider nicht, ich schicke sie zurück",
    "Ich möchte die Schuhe zurückschicken, sie gefallen mir nicht",
    "Bitte Rücksendeetikett für die Jacke schicken, ich schicke sie zurück",
    "Die Hose ist zu klein, ich schicke sie zurück und möchte mein Geld",
    "Rücksendung: Pullover gefällt nicht, bitte Etikett schicken",
    "Kann ich den Mantel zurückschicken? Gefällt mir nicht",
]


def train_into(session: Session, model_dir: Path, *, history=(), force: bool = False):
    return train_and_promote(
        session=session, examples=tiny_examples() + list(history), model_dir=model_dir, target_precision=0.97,
        actor="test", force=force, params=TINY_PARAMS, progress=lambda _: None,
    )


@pytest.fixture
def trainer_setup(database_url, tmp_path):
    model_dir = tmp_path / "models"
    settings = Settings(_env_file=None, database_url=database_url, model_dir=model_dir, templates_dir=REPO / "templates" / "replies",
                        auto_migrate=False, model_poll_seconds=0.2)
    with TestClient(create_app(settings)) as client:
        yield client, settings


def wait_for_version(client: TestClient, version: str, seconds: float = 10.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if client.get("/healthz").json()["model_version"] == version:
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"the service did not switch to {version} within {seconds} s")


def intents_for(client: TestClient, key: str, texts: list[str]) -> list[str]:
    return [client.post("/v1/messages", json=message_payload(body=t), headers=auth(key)).json()["intent"] for t in texts]


def test_the_whole_loop_correct_retrain_switch_and_roll_back(trainer_setup, api_keys):
    client, settings = trainer_setup
    assert not any(is_holdout(t) for t in CORRECTED), "the corrected messages must fall in the training part"
    engine = client.app.state.engine
    with Session(engine) as session:
        first = train_into(session, settings.model_dir)
        session.commit()
    wait_for_version(client, first.classifier.version)

    # the service gets them wrong, an agent corrects them through the API
    before = intents_for(client, api_keys["ingest"], CORRECTED)
    assert before.count("return") < len(CORRECTED)
    posted = [client.post("/v1/messages", json=message_payload(body=t), headers=auth(api_keys["ingest"])).json() for t in CORRECTED]
    for decision in posted:
        response = client.post(f"/v1/messages/{decision['id']}/label", json={"intent": "return"}, headers=auth(api_keys["agent"]))
        assert response.status_code == 201 and response.json()["suggested_intent"] == decision["intent"]

    # retrain with the history; the running service switches without a restart
    from app.services import labels

    with Session(engine) as session:
        history = labels.history_examples(session=session)
        assert {e.label for e in history} == {"return"} and len(history) == len(CORRECTED)
        second = train_into(session, settings.model_dir, history=history, force=True)
        session.commit()
    assert second.activated
    wait_for_version(client, second.classifier.version)
    assert intents_for(client, api_keys["ingest"], CORRECTED) == ["return"] * len(CORRECTED)
    assert client.get(f"/v1/messages/{posted[0]['id']}", headers=auth(api_keys["agent"])).json()["model_version"] == first.classifier.version

    # a rollback restores the previous behaviour
    response = client.post("/v1/models/rollback", headers=auth(api_keys["trainer"]))
    assert response.status_code == 200 and response.json()["version"] == first.classifier.version
    wait_for_version(client, first.classifier.version)
    assert intents_for(client, api_keys["ingest"], CORRECTED) == before


def test_models_api_lists_and_activates(trainer_setup, api_keys):
    client, settings = trainer_setup
    with Session(client.app.state.engine) as session:
        first = train_into(session, settings.model_dir)
        second = train_into(session, settings.model_dir, force=True)
        session.commit()
    listed = client.get("/v1/models", headers=auth(api_keys["trainer"])).json()
    assert [m["version"] for m in listed] == [second.classifier.version, first.classifier.version]
    assert [m["active"] for m in listed] == [True, False]
    assert client.get("/v1/models", headers=auth(api_keys["agent"])).status_code == 403
    response = client.post(f"/v1/models/{first.classifier.version}/activate", headers=auth(api_keys["trainer"]))
    assert response.status_code == 200 and response.json()["previous_version"] == second.classifier.version
    assert client.post("/v1/models/20990101-000000/activate", headers=auth(api_keys["trainer"])).status_code == 404


def test_a_tampered_model_is_refused_and_the_service_keeps_its_own(trainer_setup, api_keys):
    client, settings = trainer_setup
    with Session(client.app.state.engine) as session:
        good = train_into(session, settings.model_dir)
        bad = train_into(session, settings.model_dir, force=True, history=[])
        session.commit()
    wait_for_version(client, bad.classifier.version)
    client.post(f"/v1/models/{good.classifier.version}/activate", headers=auth(api_keys["trainer"]))
    wait_for_version(client, good.classifier.version)
    artifact_file = bad.path / "model.joblib"
    artifact_file.write_bytes(artifact_file.read_bytes() + b"tampered")

    response = client.post(f"/v1/models/{bad.classifier.version}/activate", headers=auth(api_keys["trainer"]))
    assert response.status_code == 409 and "does not match the manifest" in response.json()["error"]
    # even if the database names it (say another host activated it before the file broke here)
    with Session(client.app.state.engine) as session:
        session.add(ModelActivation(version=bad.classifier.version, previous_version=good.classifier.version, action="activate",
                                    actor="elsewhere", forced=False, at=registry.utcnow()))
        session.commit()
    client.app.state.model_watcher.check()
    health = client.get("/healthz").json()
    assert health["model_version"] == good.classifier.version
    assert "refused" in health["model_error"] and bad.classifier.version in health["model_error"]
    assert client.post("/v1/messages", json=message_payload(), headers=auth(api_keys["ingest"])).status_code == 201


def test_rollback_with_nothing_before_is_a_clear_conflict(trainer_setup, api_keys):
    client, _ = trainer_setup
    response = client.post("/v1/models/rollback", headers=auth(api_keys["trainer"]))
    assert response.status_code == 409 and "no earlier active model" in response.json()["error"]


def test_labels_need_the_agent_role_and_a_known_intent(trainer_setup, api_keys):
    client, _ = trainer_setup
    created = client.post("/v1/messages", json=message_payload(), headers=auth(api_keys["ingest"])).json()
    path = f"/v1/messages/{created['id']}/label"
    assert client.post(path, json={"intent": "return"}, headers=auth(api_keys["ingest"])).status_code == 403
    assert client.post(path, json={"intent": "refund"}, headers=auth(api_keys["agent"])).status_code == 422
    assert client.post("/v1/messages/999999/label", json={"intent": "return"}, headers=auth(api_keys["agent"])).status_code == 404


def report(macro_f1: float, precisions: dict[str, float | None]) -> dict:
    return {
        "macro_f1": macro_f1, "auto": {"coverage": 0.7, "precision": 0.98},
        "per_label": {i: {"f1": macro_f1, "precision": 1, "recall": 1, "support": 10} for i in precisions},
        "auto_per_intent": {i: {"n": 0 if p is None else 20, "precision": p} for i, p in precisions.items()},
    }


def test_the_gate_allows_half_a_point_of_macro_f1_and_no_less():
    fine = {"quality": 0.98, "return": None}
    assert promotion.compare(report(0.916, fine), report(0.920, fine), target_precision=0.97).passed
    result = promotion.compare(report(0.914, fine), report(0.920, fine), target_precision=0.97)
    assert not result.passed and "0.60 points below" in result.reasons[0]


def test_an_intent_already_below_the_target_must_not_get_worse():
    active = report(0.93, {"quality": 0.96, "return": 0.99})
    assert promotion.compare(report(0.93, {"quality": 0.965, "return": 0.99}), active, target_precision=0.97).passed
    worse = promotion.compare(report(0.93, {"quality": 0.95, "return": 0.99}), active, target_precision=0.97)
    assert not worse.passed and "worse than the active model's 96.0%" in worse.reasons[0]
    dropped = promotion.compare(report(0.93, {"quality": 0.97, "return": 0.96}), active, target_precision=0.97)
    assert not dropped.passed and dropped.reasons[0].startswith("return:")


def test_the_gate_names_each_intent_below_the_precision_target():
    result = promotion.compare(report(0.95, {"quality": 0.95, "return": 0.99, "cancellation": 0.90}), None, target_precision=0.97)
    assert not result.passed
    assert [r.split(":")[0] for r in result.reasons] == ["quality", "cancellation"]


def test_cli_train_with_history_models_list_and_labels_export(tmp_path, monkeypatch, tiny_model_dir):
    runner = CliRunner()
    data = tmp_path / "data"
    data.mkdir()
    rows = "".join(f'"{e.text}",{e.label},en\n' for e in tiny_examples())
    (data / "tiny.csv").write_text("text,label,lang\n" + rows)
    monkeypatch.setenv("TRIAGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("TRIAGE_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("TRIAGE_TRAINING_DATA_DIR", str(data))
    monkeypatch.chdir(REPO)
    first = runner.invoke(cli, ["train", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["activated"] is True

    from app import db
    from app.models import Label, Message, utcnow

    engine = db.make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with Session(engine) as session:
        message = Message(channel="c", external_id="1", sender_email="a@b.c", body=CORRECTED[0], received_at=utcnow(),
                          created_at=utcnow(), due_at=utcnow(), language="de", intent="other")
        session.add(message)
        session.flush()
        for intent in ("quality", "return"):  # corrected twice: the latest wins
            session.add(Label(message_id=message.id, intent=intent, source="console", actor="ana", created_at=utcnow()))
        session.commit()
    engine.dispose()
    exported = runner.invoke(cli, ["labels", "export", "--out", str(tmp_path / "history.csv")])
    assert exported.exit_code == 0, exported.output
    assert [(e.text, e.label, e.lang) for e in read_file(tmp_path / "history.csv")] == [(CORRECTED[0], "return", "de")]

    second = runner.invoke(cli, ["train", "--with-history", "--force"])
    assert second.exit_code == 0, second.output
    assert "added 1 messages from the labelled history" in second.stderr
    assert "gate:" in second.stdout
    listed = json.loads(runner.invoke(cli, ["models", "list", "--json"]).stdout)
    assert len(listed) == 2 and listed[0]["active"] and not listed[1]["active"]
    rolled = runner.invoke(cli, ["models", "rollback"])
    assert rolled.exit_code == 0 and listed[1]["version"] in rolled.stdout


def test_the_first_model_goes_live_even_below_the_precision_target(database_url, tmp_path, monkeypatch):
    from app import db

    below = promotion.GateResult(passed=False, reasons=["quality: automatic answers 96.8% precise"])
    monkeypatch.setattr(promotion, "compare", lambda *a, **k: below)
    engine = db.make_engine(database_url)
    with Session(engine) as session:
        outcome = train_and_promote(
            session=session, examples=tiny_examples(), model_dir=tmp_path / "models", target_precision=0.97,
            actor="test", params=TINY_PARAMS, progress=lambda _: None,
        )
        session.commit()
        assert not outcome.gate.passed and outcome.activated
        assert registry.active_version(session=session, model_dir=tmp_path / "models") == outcome.classifier.version
        recorded = session.exec(select(ModelActivation)).all()
        assert [(a.version, a.forced) for a in recorded] == [(outcome.classifier.version, False)]
        assert recorded[0].note.startswith("first model, activated despite")
        assert "—" in outcome.comparison and "nan" not in outcome.comparison
    engine.dispose()
