"""The model registry: versions on disk under the model folder, the active one in the database.

The newest `model_activations` row names the active version, so every worker and every host
reads the same answer; with no row yet, the newest model on disk is active.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from app.errors import BadRequest, Conflict, NotFound
from app.models import ModelActivation, as_utc, utcnow
from classifier import artifact
from classifier.predict import Classifier


@dataclass
class ModelInfo:
    version: str
    created_at: str | None
    training_size: int | None
    macro_f1: float | None
    auto_coverage: float | None
    auto_precision: float | None
    active: bool
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _latest_activation(session: Session) -> ModelActivation | None:
    return session.exec(select(ModelActivation).order_by(ModelActivation.id.desc()).limit(1)).first()


def active_version(*, session: Session, model_dir: Path) -> str | None:
    row = _latest_activation(session)
    if row is not None:
        return row.version
    newest = artifact.latest(model_dir)
    return newest.name if newest else None


def load(*, model_dir: Path, version: str | None) -> tuple[Classifier | None, str | None]:
    """The model `version` checked against its manifest, or (None, why)."""
    if version is None:
        return None, f"no trained model in {model_dir}; run `triage train`"
    folder = Path(model_dir) / version
    if not folder.is_dir():
        return None, f"model {version} is not in {model_dir}"
    try:
        return artifact.load(folder), None
    except artifact.ArtifactError as exc:
        return None, str(exc)


def list_models(*, session: Session, model_dir: Path) -> list[ModelInfo]:
    active = active_version(session=session, model_dir=model_dir)
    infos = []
    for folder in reversed(artifact.list_versions(model_dir)):
        try:
            manifest = artifact.read_manifest(folder)
        except artifact.ArtifactError as exc:
            infos.append(ModelInfo(folder.name, None, None, None, None, None, folder.name == active, error=str(exc)))
            continue
        holdout = (manifest.get("metrics") or {}).get("holdout") or {}
        auto = holdout.get("auto") or {}
        infos.append(ModelInfo(
            version=folder.name, created_at=manifest.get("created_at"), training_size=manifest.get("training_size"),
            macro_f1=holdout.get("macro_f1"), auto_coverage=auto.get("coverage"), auto_precision=auto.get("precision"),
            active=folder.name == active,
        ))
    return infos


def activate(
    *, session: Session, model_dir: Path, version: str, actor: str, action: str = "activate",
    forced: bool = False, note: str | None = None,
) -> ModelActivation:
    """Make `version` the active model, after checking that it loads (hash and library version)."""
    if not version or "/" in version or version.startswith("."):
        raise BadRequest(f"{version!r} is not a model version")
    if not (Path(model_dir) / version).is_dir():
        raise NotFound(f"no model {version} in {model_dir}; `triage models list` shows the versions")
    _, error = load(model_dir=model_dir, version=version)
    if error:
        raise Conflict(f"model {version} is refused: {error}")
    previous = active_version(session=session, model_dir=model_dir)
    row = ModelActivation(version=version, previous_version=previous, action=action, actor=actor,
                          forced=forced, note=note, at=utcnow())
    session.add(row)
    session.flush()
    return row


def rollback(*, session: Session, model_dir: Path, actor: str) -> ModelActivation:
    """Go back to the model that was active before the current one."""
    current = _latest_activation(session)
    if current is None or not current.previous_version or current.previous_version == current.version:
        raise Conflict("there is no earlier active model to go back to")
    return activate(session=session, model_dir=model_dir, version=current.previous_version, actor=actor,
                    action="rollback", note=f"rolled back from {current.version}")


def history(*, session: Session) -> list[dict[str, Any]]:
    rows = session.exec(select(ModelActivation).order_by(ModelActivation.id.desc()).limit(50))
    return [{"version": r.version, "previous_version": r.previous_version, "action": r.action, "actor": r.actor,
             "forced": r.forced, "note": r.note, "at": as_utc(r.at)} for r in rows]
