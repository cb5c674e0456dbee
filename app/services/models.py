"""Training into the registry: train, compare with the active model, activate if not worse."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.services import promotion, registry
from classifier import artifact
from classifier.data import Example, read_dir, read_file, split
from classifier.evaluate import evaluate
from classifier.predict import Classifier
from classifier.train import Progress, train

log = logging.getLogger(__name__)


@dataclass
class TrainingOutcome:
    classifier: Classifier
    evaluation: dict[str, Any]
    path: Path
    active_version: str | None
    active_report: dict[str, Any] | None
    gate: promotion.GateResult
    activated: bool
    comparison: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.classifier.version, "path": str(self.path), "activated": self.activated,
            "active_before": self.active_version, "gate": self.gate.as_dict(),
            "metrics": self.classifier.manifest.get("metrics"), "thresholds": self.classifier.thresholds,
        }


def collect_examples(*, training_dir: Path, extra_files: list[Path], history: list[Example], progress: Progress) -> list[Example]:
    examples = read_dir(training_dir)
    progress(f"read {len(examples)} labelled messages from {training_dir}")
    for path in extra_files:
        rows = read_file(path)
        progress(f"read {len(rows)} labelled messages from {path}")
        examples.extend(rows)
    if history:
        progress(f"added {len(history)} messages from the labelled history (latest label of each)")
        examples.extend(history)
    return examples


def train_and_promote(
    *,
    session: Session,
    examples: list[Example],
    model_dir: Path,
    target_precision: float,
    actor: str,
    force: bool = False,
    activate: bool = True,
    params: dict[str, Any] | None = None,
    progress: Progress,
) -> TrainingOutcome:
    """Train on `examples`, save the model, compare it with the active one on the same fixed
    evaluation split, and activate it when it passes the gate (or when forced)."""
    active_version = registry.active_version(session=session, model_dir=model_dir)
    classifier, evaluation = train(examples, target_precision=target_precision, params=params, progress=progress)
    path = artifact.save(model_dir, classifier, evaluation=evaluation)
    progress(f"saved model {classifier.version} to {path}")

    candidate_report = evaluation.get("holdout")
    active_report = None
    if active_version and candidate_report:
        active, error = registry.load(model_dir=model_dir, version=active_version)
        if active is not None:
            progress(f"  evaluating the active model {active_version} on the same held-out messages")
            _, holdout = split(examples)
            active_report = evaluate(active, holdout)
        else:
            progress(f"  the active model {active_version} cannot be loaded ({error}); comparing with nothing")
    if candidate_report:
        gate = promotion.compare(candidate_report, active_report, target_precision=target_precision)
        comparison = promotion.table(gate, candidate_report, active_report, candidate_version=classifier.version,
                                     active_version=active_version if active_report else None)
    else:
        gate = promotion.GateResult(passed=True, reasons=[])
        comparison = "no held-out messages: nothing to compare"

    activated = False
    first_model = active_version is None
    if activate and (gate.passed or force or first_model):
        # With nothing active there is nothing better to keep: the first model goes live and its
        # thresholds still send every uncertain message to review.
        forced = force and not gate.passed and not first_model
        note = None
        if not gate.passed:
            note = ("first model, activated despite: " if first_model else "forced past the gate: ") + "; ".join(gate.reasons)
        registry.activate(session=session, model_dir=model_dir, version=classifier.version, actor=actor,
                          action="train", forced=forced, note=note)
        activated = True
    return TrainingOutcome(classifier, evaluation, path, active_version, active_report, gate, activated, comparison)


def load_active_model(model_dir: Path, *, engine=None) -> tuple[Classifier | None, str | None]:
    """The active model (from the database when an engine is given, else the newest on disk),
    or (None, why) when there is none or it is refused."""
    version = None
    if engine is not None:
        try:
            with Session(engine) as session:
                version = registry.active_version(session=session, model_dir=model_dir)
        except SQLAlchemyError as exc:
            log.warning("cannot read the active model version (%s); using the newest on disk", type(exc).__name__)
    if version is None:
        newest = artifact.latest(model_dir)
        version = newest.name if newest else None
    classifier, error = registry.load(model_dir=model_dir, version=version)
    if error:
        log.error("model refused: %s", error)
    else:
        log.info("loaded model %s", version)
    return classifier, error
