"""The model registry seen from the service: which model to load, and training into it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from classifier import artifact
from classifier.data import read_dir, read_file
from classifier.predict import Classifier
from classifier.train import Progress, train

log = logging.getLogger(__name__)


def load_active_model(model_dir: Path) -> tuple[Classifier | None, str | None]:
    """The newest model in `model_dir`, or (None, why) when there is none or it is refused."""
    version_dir = artifact.latest(model_dir)
    if version_dir is None:
        return None, f"no trained model in {model_dir}; run `triage train`"
    try:
        classifier = artifact.load(version_dir)
    except artifact.ArtifactError as exc:
        log.error("model refused: %s", exc)
        return None, str(exc)
    log.info("loaded model %s", classifier.version)
    return classifier, None


def train_model(
    *,
    training_dir: Path,
    model_dir: Path,
    extra_files: list[Path] | None = None,
    target_precision: float = 0.97,
    params: dict[str, Any] | None = None,
    progress: Progress,
) -> tuple[Classifier, dict[str, Any], Path]:
    examples = read_dir(training_dir)
    for path in extra_files or []:
        examples.extend(read_file(path))
    progress(f"read {len(examples)} labelled messages from {training_dir}")
    classifier, evaluation = train(examples, target_precision=target_precision, params=params, progress=progress)
    path = artifact.save(model_dir, classifier, evaluation=evaluation)
    progress(f"saved model {classifier.version} to {path}")
    return classifier, evaluation, path
