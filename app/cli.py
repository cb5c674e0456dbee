"""The `triage` command: a thin layer over the services and the classifier library."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer


from app import db
from app.cli_registry import labels_cli, models_cli
from app.cli_worker import worker
from app.cli_common import active_model, fail, open_session, print_json, progress, settings_or_exit
from app.config import Settings
from app.errors import TriageError

cli = typer.Typer(no_args_is_help=True, add_completion=False, help="Buyer message triage: serve, train, evaluate, manage keys.")
keys_cli = typer.Typer(no_args_is_help=True, help="API keys for gateways, agents and trainers.")
db_cli = typer.Typer(no_args_is_help=True, help="Database schema.")
data_cli = typer.Typer(no_args_is_help=True, help="Training data.")
users_cli = typer.Typer(no_args_is_help=True, help="Console users: agents, trainers, admins.")
cli.add_typer(keys_cli, name="keys")
cli.add_typer(db_cli, name="db")
cli.add_typer(data_cli, name="data")
cli.add_typer(users_cli, name="users")
cli.add_typer(models_cli, name="models")
cli.add_typer(labels_cli, name="labels")
cli.command()(worker)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request line")] = True,
) -> None:
    """Run the HTTP service; migrate the database and train a first model if there is none.

    Example: triage serve --host 0.0.0.0 --port 8000
    """
    from app import supervisor
    from app.logs import logging_config
    from classifier import artifact

    settings = settings_or_exit()
    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # the workers add their counters up through files here (prometheus-client multiprocess mode)
        metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="triage-metrics-")
    db.upgrade(settings.database_url)
    if artifact.latest(settings.model_dir) is None and settings.train_on_start:
        progress(f"no model in {settings.model_dir}: training one from {settings.training_data_dir} (first start only)")
        _train(settings, extra=[], actor="first start")
    options = {"access_log": access_log, "log_config": logging_config(settings.log_level)}
    try:  # several workers: a socket each, so the kernel spreads connections evenly (app/supervisor.py)
        supervisor.serve("app.main:app_from_environment", factory=True, host=host, port=port, workers=workers, options=options)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _train(settings: Settings, extra: list[Path], *, with_history: bool = False, force: bool = False,
           activate: bool = True, actor: str = "cli") -> Any:
    from classifier.data import DataError

    from app.services import labels
    from app.services.models import collect_examples, train_and_promote

    with open_session(settings) as session:
        history = labels.history_examples(session=session) if with_history else []
        if with_history and not history:
            progress("the labelled history is empty: no agent has confirmed or corrected an intent yet")
        try:
            examples = collect_examples(training_dir=settings.training_data_dir, extra_files=extra, history=history, progress=progress)
            outcome = train_and_promote(
                session=session, examples=examples, model_dir=settings.model_dir, target_precision=settings.target_precision,
                actor=actor, force=force, activate=activate, progress=progress,
            )
        except (DataError, OSError) as exc:
            fail(str(exc))
        session.commit()
    return outcome


@cli.command()
def train(
    data: Annotated[list[Path] | None, typer.Option("--data", help="Extra labelled CSV or JSONL files (text,label[,lang])")] = None,
    with_history: Annotated[bool, typer.Option("--with-history", help="Add the intents agents confirmed or corrected")] = False,
    force: Annotated[bool, typer.Option("--force", help="Activate even if the new model fails the promotion gate")] = False,
    activate: Annotated[bool, typer.Option("--activate/--no-activate", help="Activate the new model when it passes the gate")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
) -> None:
    """Train a model, compare it with the active one on the fixed evaluation split, activate it if not worse.

    Example: triage train --with-history --data exported_helpdesk.csv
    """
    settings = settings_or_exit()
    outcome = _train(settings, extra=list(data or []), with_history=with_history, force=force, activate=activate)
    if as_json:
        print_json(outcome.as_dict())
        return
    typer.echo(f"model {outcome.classifier.version} saved in {outcome.path}")
    typer.echo("thresholds: " + ", ".join(f"{k} {v}" for k, v in outcome.classifier.thresholds.items()))
    typer.echo(outcome.comparison)
    if outcome.activated:
        if outcome.gate.passed:
            how = ""
        elif outcome.active_version is None:
            how = " (the first model: nothing better to keep; uncertain messages still go to review)"
        else:
            how = " (forced past the gate)"
        typer.echo(f"activated {outcome.classifier.version}{how}")
    elif not activate:
        typer.echo(f"not activated (--no-activate); `triage models activate {outcome.classifier.version}` when ready")
    else:
        typer.echo(f"not activated: {outcome.active_version} stays active. Use --force to override.")
        raise typer.Exit(1)


def _summary_table(report: dict[str, Any]) -> str:
    lines = [
        f"n={report['n']}  accuracy={report['accuracy']:.3f}  macro-F1={report['macro_f1']:.3f}  "
        f"auto coverage={report['auto']['coverage']:.3f}  auto precision={report['auto']['precision']}",
        f"{'intent':<20}{'precision':>10}{'recall':>10}{'f1':>8}{'n':>7}",
    ]
    for label, m in report["per_label"].items():
        lines.append(f"{label:<20}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>8.3f}{m['support']:>7}")
    for lang, m in report.get("per_language", {}).items():
        lines.append(f"language {lang:<11} n={m['n']:<6} accuracy={m['accuracy']:.3f}  macro-F1={m['macro_f1']:.3f}")
    return "\n".join(lines)


@cli.command()
def evaluate(
    data: Annotated[Path, typer.Option("--data", help="CSV with text,label and optionally lang")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    report_dir: Annotated[Path | None, typer.Option("--report", help="Also write a report page with charts into this folder")] = None,
) -> None:
    """Evaluate the active model on labelled messages.

    Example: triage evaluate --data heldout.csv --json --report reports/latest
    """
    from classifier.data import DataError, read_file
    from classifier.evaluate import evaluate_with_predictions
    from classifier.language import LanguageDetector

    settings = settings_or_exit()
    try:
        examples = read_file(data)
    except DataError as exc:
        fail(str(exc))
    if not examples:
        fail(f"{data}: no rows to evaluate")
    classifier, error = active_model(settings)
    if classifier is None:
        fail(error or "no model")
    report, predictions = evaluate_with_predictions(
        classifier,
        examples,
        detector=LanguageDetector(settings.languages),
        auto_intents=settings.auto_intents,
    )
    if report_dir is not None:
        from classifier.report import write_report

        index = write_report(
            report,
            [e.label for e in examples],
            predictions,
            report_dir,
            min_margin=classifier.min_margin,
            auto_intents=settings.auto_intents,
            target_precision=settings.target_precision,
            source=str(data),
        )
        progress(f"report written to {index}")
    if as_json:
        print_json(report)
    else:
        typer.echo(f"model {report['model_version']}")
        typer.echo(_summary_table(report))


@cli.command()
def classify(
    text: Annotated[str, typer.Argument(help="The buyer's message; '-' reads standard input")],
    context: Annotated[str | None, typer.Option(help="Template variables as a JSON object")] = None,
) -> None:
    """Print the decision for a message without storing it.

    Example: triage classify "Where is my parcel? Order 123-1234567-1234567"
    """
    from app.services.analysis import Analyzer
    from app.services.triage import classify_text

    settings = settings_or_exit()
    if text == "-":
        text = sys.stdin.read()
    variables: dict[str, Any] = {}
    if context:
        try:
            variables = json.loads(context)
        except json.JSONDecodeError as exc:
            fail(f"--context is not valid JSON ({exc.msg})")
        if not isinstance(variables, dict):
            fail("--context must be a JSON object")
    classifier, error = active_model(settings)
    analyzer = Analyzer(settings=settings, classifier=classifier, model_error=error)
    decision = classify_text(text=text, analyzer=analyzer, variables=variables)
    print_json(decision.model_dump(mode="json"))


@keys_cli.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="A name for the key, e.g. the gateway it is for")],
    role: Annotated[str, typer.Option(help="ingest, agent, trainer or admin")] = "ingest",
    as_json: Annotated[bool, typer.Option("--json", help="Print {name, role, key}")] = False,
) -> None:
    """Create an API key; the key is shown once and stored only as a hash.

    Example: triage keys create postmark --role ingest --json
    """
    from app.services import keys

    settings = settings_or_exit()
    with open_session(settings) as session:
        try:
            row, plain = keys.create_key(session=session, name=name, role=role)
        except TriageError as exc:
            fail(exc.message)
        session.commit()
    if as_json:
        print_json({"name": row.name, "role": row.role, "key": plain})
    else:
        typer.echo(f"created key {row.name!r} with role {row.role}. It is shown only this once:\n{plain}")


@keys_cli.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List API keys (names, roles, prefixes; never the keys).

    Example: triage keys list
    """
    from app.services import keys

    settings = settings_or_exit()
    with open_session(settings) as session:
        rows = [
            {"name": k.name, "role": k.role, "prefix": k.prefix, "created_at": k.created_at, "revoked": k.revoked_at is not None}
            for k in keys.list_keys(session=session)
        ]
    if as_json:
        print_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['name']:<24} {r['role']:<8} {r['prefix']}…  {'revoked' if r['revoked'] else 'active'}")


@keys_cli.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument()]) -> None:
    """Revoke an API key by name.

    Example: triage keys revoke old-gateway
    """
    from app.services import keys

    settings = settings_or_exit()
    with open_session(settings) as session:
        try:
            keys.revoke_key(session=session, name=name)
        except TriageError as exc:
            fail(exc.message)
        session.commit()
    typer.echo(f"revoked {name}")


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply the schema migrations.

    Example: TRIAGE_DATABASE_URL=postgresql+psycopg://triage@db/triage triage db upgrade
    """
    settings = settings_or_exit()
    db.upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}")


@users_cli.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Log-in name")],
    role: Annotated[str, typer.Option(help="agent, trainer or admin")] = "agent",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input")] = False,
) -> None:
    """Add a console user; the password is prompted without echo and stored as an argon2 hash.

    Example: printf '%s' "$PASSWORD" | triage users add alice --role agent --password-stdin
    """
    from app.services import users

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = settings_or_exit()
    with open_session(settings) as session:
        try:
            user = users.create_user(session=session, name=name, role=role, password=password)
        except TriageError as exc:
            fail(exc.message)
        session.commit()
    typer.echo(f"added {user.name} ({user.role})")


@users_cli.command("list")
def users_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List console users.

    Example: triage users list --json
    """
    from app.services import users

    settings = settings_or_exit()
    with open_session(settings) as session:
        rows = [{"name": u.name, "role": u.role, "created_at": u.created_at, "disabled": u.disabled_at is not None}
                for u in users.list_users(session=session)]
    if as_json:
        print_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['name']:<24} {r['role']:<8} {'disabled' if r['disabled'] else 'active'}")


@users_cli.command("disable")
def users_disable(name: Annotated[str, typer.Argument()]) -> None:
    """Disable a console user; their sessions stop working at once.

    Example: triage users disable bob
    """
    from app.services import users

    settings = settings_or_exit()
    with open_session(settings) as session:
        try:
            users.disable_user(session=session, name=name)
        except TriageError as exc:
            fail(exc.message)
        session.commit()
    typer.echo(f"disabled {name}")


@data_cli.command("holdout")
def data_holdout(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write (text,label,lang)")],
) -> None:
    """Write the fixed evaluation split of the training data, the rows training never sees.

    Example: triage data holdout --out heldout.csv && triage evaluate --data heldout.csv --json
    """
    from classifier.data import DataError, read_dir, split, write_csv

    settings = settings_or_exit()
    try:
        _, holdout = split(read_dir(settings.training_data_dir))
    except DataError as exc:
        fail(str(exc))
    count = write_csv(holdout, out)
    typer.echo(f"wrote {count} held-out messages to {out}")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
