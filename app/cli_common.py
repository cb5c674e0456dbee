"""What every `triage` command shares: settings, errors, output and a database session."""

from __future__ import annotations

import json
from typing import Any

import typer
from sqlmodel import Session

from app import db
from app.config import Settings


def settings_or_exit() -> Settings:
    try:
        return Settings()
    except Exception as exc:  # pydantic's message names the bad variable
        fail(f"invalid settings: {exc}")


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def progress(line: str) -> None:
    typer.echo(line, err=True)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def active_model(settings: Settings) -> tuple[Any, str | None]:
    from app.services.models import load_active_model

    db.upgrade(settings.database_url)
    engine = db.make_engine(settings.database_url)
    try:
        return load_active_model(settings.model_dir, engine=engine)
    finally:
        engine.dispose()


class open_session:
    """Migrate, then open a session for one CLI command."""

    def __init__(self, settings: Settings) -> None:
        db.upgrade(settings.database_url)
        self.engine = db.make_engine(settings.database_url)

    def __enter__(self) -> Session:
        self.session = Session(self.engine, expire_on_commit=False)
        return self.session

    def __exit__(self, *exc: object) -> None:
        self.session.close()
        self.engine.dispose()
