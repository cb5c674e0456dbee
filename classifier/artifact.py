"""Save and load a model with its manifest; refuse any file whose hash or origin does not match."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import sklearn

from classifier.predict import Classifier

ARTIFACT_NAME = "model.joblib"
MANIFEST_NAME = "manifest.json"
EVALUATION_NAME = "evaluation.json"


class ArtifactError(RuntimeError):
    """A model that must not be loaded; the message says why and what to do."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def new_version(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%d-%H%M%S")


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def save(
    model_dir: Path,
    classifier: Classifier,
    *,
    evaluation: dict[str, Any] | None = None,
) -> Path:
    """Write `model_dir/<version>/` with the artefact, its manifest and the evaluation.

    The folder is built under a temporary name and renamed into place, so a reader never sees a
    model without its manifest."""
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    version = classifier.manifest.get("version") or new_version()
    while (model_dir / version).exists():
        version = f"{version}-{os.urandom(2).hex()}"
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=model_dir))
    artifact = staging / ARTIFACT_NAME
    joblib.dump(classifier.pipeline, artifact, compress=3)
    manifest = {
        **classifier.manifest,
        "version": version,
        "created_at": classifier.manifest.get("created_at") or datetime.now(UTC).isoformat(),
        "python_version": platform.python_version(),
        "sklearn_version": sklearn.__version__,
        "labels": classifier.labels,
        "artifact": ARTIFACT_NAME,
        "sha256": sha256_of(artifact),
    }
    _write_json(staging / MANIFEST_NAME, manifest)
    if evaluation is not None:
        _write_json(staging / EVALUATION_NAME, evaluation)
    os.replace(staging, model_dir / version)
    classifier.manifest = manifest
    return model_dir / version


def read_manifest(version_dir: Path) -> dict[str, Any]:
    path = Path(version_dir) / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"{path}: no manifest; a model without one is never loaded") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path}: the manifest is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or "sha256" not in manifest:
        raise ArtifactError(f"{path}: the manifest has no sha256 of the artefact")
    return manifest


def load(version_dir: Path) -> Classifier:
    """Check the artefact against its manifest, then load it."""
    version_dir = Path(version_dir)
    manifest = read_manifest(version_dir)
    artifact = version_dir / manifest.get("artifact", ARTIFACT_NAME)
    if not artifact.is_file():
        raise ArtifactError(f"{artifact}: the artefact named by the manifest is missing")
    actual = sha256_of(artifact)
    if actual != manifest["sha256"]:
        raise ArtifactError(
            f"{artifact}: sha256 {actual[:12]}… does not match the manifest's "
            f"{str(manifest['sha256'])[:12]}…; the file was changed or corrupted. Retrain with "
            "`triage train` or restore the original file."
        )
    written_with = str(manifest.get("sklearn_version", "unknown"))
    if _minor(written_with) != _minor(sklearn.__version__):
        raise ArtifactError(
            f"{artifact}: written by scikit-learn {written_with}, but {sklearn.__version__} is "
            "installed; models do not carry across minor versions. Retrain with `triage train`."
        )
    pipeline = joblib.load(artifact)
    return Classifier(pipeline=pipeline, manifest=manifest)


def list_versions(model_dir: Path) -> list[Path]:
    """Model folders that have a manifest, oldest first (versions sort by time)."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        return []
    return sorted(
        p for p in model_dir.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST_NAME).is_file()
    )


def latest(model_dir: Path) -> Path | None:
    versions = list_versions(model_dir)
    return versions[-1] if versions else None
