"""Trainers' API: list the models, activate one, roll back. Role trainer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from app.api.errors_doc import COMMON, errors
from app.deps import SessionDep, SettingsDep, require_role
from app.models import ApiKey
from app.services import registry

router = APIRouter(prefix="/v1/models", tags=["models"], responses=errors(*COMMON))
TrainerKey = Annotated[ApiKey, Depends(require_role("trainer"))]
Version = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="A version from GET /v1/models")]


class ModelOut(BaseModel):
    version: str
    created_at: str | None
    training_size: int | None
    macro_f1: float | None
    auto_coverage: float | None
    auto_precision: float | None
    active: bool
    error: str | None


class ActivationOut(BaseModel):
    version: str
    previous_version: str | None
    action: str
    actor: str
    at: datetime


@router.get("", response_model=list[ModelOut])
def list_models(session: SessionDep, settings: SettingsDep, _: TrainerKey) -> list[ModelOut]:
    """Every trained model, newest first, with its held-out figures; `active` marks the one answering."""
    return [ModelOut(**m.as_dict()) for m in registry.list_models(session=session, model_dir=settings.model_dir)]


@router.post("/{version}/activate", response_model=ActivationOut, responses=errors(404, 409, e409="The model is refused (hash or library version)"))
def activate(version: Version, session: SessionDep, settings: SettingsDep, key: TrainerKey) -> ActivationOut:
    """Make `version` active; every worker switches to it within the poll interval."""
    row = registry.activate(session=session, model_dir=settings.model_dir, version=version, actor=f"key:{key.name}")
    session.commit()
    return ActivationOut(version=row.version, previous_version=row.previous_version, action=row.action, actor=row.actor, at=row.at)


@router.post("/rollback", response_model=ActivationOut, responses=errors(409, e409="Nothing to roll back to"))
def rollback(session: SessionDep, settings: SettingsDep, key: TrainerKey) -> ActivationOut:
    """Go back to the model that was active before the current one."""
    row = registry.rollback(session=session, model_dir=settings.model_dir, actor=f"key:{key.name}")
    session.commit()
    return ActivationOut(version=row.version, previous_version=row.previous_version, action=row.action, actor=row.actor, at=row.at)
