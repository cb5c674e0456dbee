"""`triage models` and `triage labels`: the trainer's commands over the registry and the history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli_common import fail, open_session, print_json, settings_or_exit
from app.errors import TriageError

models_cli = typer.Typer(no_args_is_help=True, help="Trained models: list, activate, roll back.")
labels_cli = typer.Typer(no_args_is_help=True, help="The labelled history agents build.")


@models_cli.command("list")
def models_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False) -> None:
    """List trained models with their held-out figures; the active one is marked.

    Example: triage models list --json
    """
    from app.services import registry

    settings = settings_or_exit()
    with open_session(settings) as session:
        models = registry.list_models(session=session, model_dir=settings.model_dir)
    if as_json:
        print_json([m.as_dict() for m in models])
        return
    if not models:
        typer.echo(f"no models in {settings.model_dir}; run `triage train`")
        return
    typer.echo(f"  {'version':<17}{'trained':<18}{'rows':>7}{'macro-F1':>10}{'auto cov':>10}{'auto prec':>11}")
    for m in models:
        mark = "*" if m.active else " "
        if m.error:
            typer.echo(f"{mark} {m.version:<17}refused: {m.error}")
            continue
        typer.echo(f"{mark} {m.version:<17}{(m.created_at or '')[:16].replace('T', ' '):<18}{m.training_size or 0:>7}"
                   f"{_num(m.macro_f1):>10}{_num(m.auto_coverage):>10}{_num(m.auto_precision):>11}")
    typer.echo("* active")


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


@models_cli.command("activate")
def models_activate(version: Annotated[str, typer.Argument(help="A version from `triage models list`")]) -> None:
    """Make VERSION the active model; running workers switch within seconds.

    Example: triage models activate 20261122-203214
    """
    from app.services import registry

    settings = settings_or_exit()
    with open_session(settings) as session:
        try:
            row = registry.activate(session=session, model_dir=settings.model_dir, version=version, actor="cli")
        except TriageError as exc:
            fail(exc.message)
        session.commit()
    typer.echo(f"activated {row.version} (was {row.previous_version or 'none'})")


@models_cli.command("rollback")
def models_rollback() -> None:
    """Go back to the model that was active before the current one.

    Example: triage models rollback
    """
    from app.services import registry

    settings = settings_or_exit()
    with open_session(settings) as session:
        try:
            row = registry.rollback(session=session, model_dir=settings.model_dir, actor="cli")
        except TriageError as exc:
            fail(exc.message)
        session.commit()
    typer.echo(f"rolled back to {row.version} (from {row.previous_version})")


@labels_cli.command("export")
def labels_export(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write (text,label,lang)")],
    redact: Annotated[bool, typer.Option("--redact", help="Mask e-mail addresses, phone and card numbers in the text")] = False,
) -> None:
    """Write the labelled history as training data; the latest label of each message wins.

    Example: triage labels export --out history.csv --redact
    """
    from app.services import labels

    settings = settings_or_exit()
    with open_session(settings) as session:
        count = labels.export(session=session, path=out, redacted=redact)
    typer.echo(f"wrote {count} labelled messages to {out}" + (" (personal data masked)" if redact else ""))
