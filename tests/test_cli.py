"""The `triage` command as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(tmp_path, tiny_model_dir, monkeypatch):
    monkeypatch.setenv("TRIAGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("TRIAGE_MODEL_DIR", str(tiny_model_dir))
    monkeypatch.chdir(REPO)  # templates/replies and training_data are found from the repo root
    return tmp_path


def test_keys_create_json_shows_the_key_once(env):
    result = runner.invoke(cli, ["keys", "create", "postmark", "--role", "ingest", "--json"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["name"] == "postmark" and created["role"] == "ingest" and created["key"].startswith("trg_")
    listed = runner.invoke(cli, ["keys", "list", "--json"])
    assert created["key"] not in listed.stdout
    assert json.loads(listed.stdout)[0]["name"] == "postmark"


def test_keys_create_refuses_an_unknown_role_and_a_duplicate(env):
    assert runner.invoke(cli, ["keys", "create", "x", "--role", "root"]).exit_code == 2
    assert runner.invoke(cli, ["keys", "create", "x"]).exit_code == 0
    duplicate = runner.invoke(cli, ["keys", "create", "x"])
    assert duplicate.exit_code == 2
    assert "already exists" in duplicate.output


def test_classify_prints_the_decision_json(env):
    result = runner.invoke(cli, ["classify", "please cancel my order, I ordered by mistake", "--context", '{"order_id": "123-1234567-1234567"}'])
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["intent"] == "cancellation"
    assert decision["language"] == "en"
    assert decision["route"] in {"auto", "review"}
    assert decision["sop"]["intent"] == "cancellation"
    assert "123-1234567-1234567" in decision["draft"]["body"]


def test_evaluate_prints_the_report(env, tmp_path):
    data = tmp_path / "eval.csv"
    data.write_text("text,label,lang\nplease cancel my order,cancellation,en\nwhere is my parcel,logistics_delay,en\n")
    result = runner.invoke(cli, ["evaluate", "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 2
    assert {"accuracy", "macro_f1", "per_label", "per_language", "auto", "confusion", "language"} <= report.keys()


def test_evaluate_refuses_an_unknown_label(env, tmp_path):
    data = tmp_path / "eval.csv"
    data.write_text("text,label\nwhere is my parcel,shipping\n")
    result = runner.invoke(cli, ["evaluate", "--data", str(data), "--json"])
    assert result.exit_code == 2
    assert "shipping" in result.output


def test_evaluate_a_missing_file_is_a_clear_error(env):
    result = runner.invoke(cli, ["evaluate", "--data", "nope.csv"])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_train_writes_a_versioned_model(env, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    from tests.builders import TINY_SET

    lines = ["text,label,lang"] + [f'"{t}",{label},en' for label, texts in TINY_SET.items() for t in texts]
    (data / "tiny.csv").write_text("\n".join(lines) + "\n")
    models = tmp_path / "models"
    monkeypatch.setenv("TRIAGE_TRAINING_DATA_DIR", str(data))
    monkeypatch.setenv("TRIAGE_MODEL_DIR", str(models))
    result = runner.invoke(cli, ["train", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (models / out["version"] / "manifest.json").is_file()
    assert "training on" in result.stderr


def test_data_holdout_writes_the_rows_training_never_sees(env, tmp_path, monkeypatch):
    from classifier.data import is_holdout, read_file

    data = tmp_path / "data"
    data.mkdir()
    rows = [f"my parcel number {n} has not arrived" for n in range(200)]
    (data / "d.csv").write_text("text,label,lang\n" + "".join(f"{t},logistics_delay,en\n" for t in rows))
    monkeypatch.setenv("TRIAGE_TRAINING_DATA_DIR", str(data))
    out = tmp_path / "heldout.csv"
    result = runner.invoke(cli, ["data", "holdout", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = read_file(out)
    assert {e.text for e in written} == {t for t in rows if is_holdout(t)}
    assert 10 < len(written) < 60 and all(e.lang == "en" for e in written)


def test_evaluate_report_writes_a_page_with_charts(env, tmp_path):
    data = tmp_path / "eval.csv"
    data.write_text(
        "text,label,lang\nplease cancel my order,cancellation,<b>x</b>\nwhere is my parcel,logistics_delay,en\n"
        "the screen arrived cracked,quality,en\n"
    )
    out = tmp_path / "report"
    result = runner.invoke(cli, ["evaluate", "--data", str(data), "--json", "--report", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text()
    assert "confusion.png" in page and "precision_coverage.png" in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page  # data is escaped
    for image in ("confusion.png", "precision_coverage.png"):
        assert (out / image).read_bytes().startswith(b"\x89PNG")
    assert json.loads((out / "report.json").read_text())["n"] == 3


def test_users_add_reads_the_password_from_stdin_and_stores_a_hash(env):
    from sqlmodel import Session, create_engine, select

    from app.models import User

    result = runner.invoke(cli, ["users", "add", "alice", "--role", "agent", "--password-stdin"], input="a long enough secret\n")
    assert result.exit_code == 0, result.output
    engine = create_engine(f"sqlite:///{env / 'cli.db'}")
    with Session(engine) as session:
        user = session.exec(select(User)).one()
    engine.dispose()
    assert user.role == "agent" and user.password_hash.startswith("$argon2")
    assert "a long enough secret" not in user.password_hash


def test_users_add_refuses_a_short_password_and_an_unknown_role(env):
    short = runner.invoke(cli, ["users", "add", "bob", "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    bad_role = runner.invoke(cli, ["users", "add", "bob", "--role", "ingest", "--password-stdin"], input="a long enough secret\n")
    assert bad_role.exit_code == 2 and "role must be one of" in bad_role.output
