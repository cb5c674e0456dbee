"""Training: fit the pipeline, choose thresholds from cross-validation, measure on the holdout."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from classifier import INTENTS
from classifier.data import DataError, Example, fingerprint, split
from classifier.evaluate import NEVER_AUTO, classification_metrics, evaluate
from classifier.pipeline import DEFAULT_PARAMS, build_pipeline
from classifier.predict import Classifier, Prediction, predictions_from_probabilities
from classifier.thresholds import choose_thresholds

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def out_of_fold_predictions(
    examples: Sequence[Example], *, params: dict[str, Any], folds: int, progress: Progress = _quiet
) -> list[Prediction]:
    texts = np.array([e.text for e in examples], dtype=object)
    labels = np.array([e.label for e in examples])
    classes = sorted(set(labels))
    probabilities = np.zeros((len(examples), len(classes)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for number, (fit_idx, held_idx) in enumerate(splitter.split(texts, labels), start=1):
        started = time.perf_counter()
        pipeline = build_pipeline(params).fit(list(texts[fit_idx]), labels[fit_idx])
        fold_probabilities = pipeline.predict_proba(list(texts[held_idx]))
        # a fold may lack a rare class; place its columns by name
        for column, label in enumerate(pipeline.classes_):
            probabilities[held_idx, classes.index(label)] = fold_probabilities[:, column]
        progress(f"  cross-validation fold {number}/{folds} ({time.perf_counter() - started:.1f}s)")
    return predictions_from_probabilities(classes, probabilities)


def train(
    examples: Sequence[Example],
    *,
    params: dict[str, Any] | None = None,
    target_precision: float = 0.97,
    min_margin: float = 0.2,
    folds: int = 5,
    holdout_percent: int = 15,
    progress: Progress = _quiet,
) -> tuple[Classifier, dict[str, Any]]:
    """Train on everything outside the fixed holdout; return the classifier and its evaluation.

    Thresholds come from out-of-fold predictions on the training part, so they are chosen on
    messages the scoring model never saw; the holdout is used only to report."""
    params = {**DEFAULT_PARAMS, **(params or {})}
    started = time.perf_counter()
    train_set, holdout = split(list(examples), holdout_percent)
    counts = Counter(e.label for e in train_set)
    if len(counts) < 2:
        raise DataError("training needs at least two intents with examples outside the holdout")
    progress(
        f"training on {len(train_set)} messages ({len(holdout)} held out for evaluation): "
        + ", ".join(f"{label} {counts.get(label, 0)}" for label in INTENTS)
    )
    folds = max(2, min(folds, min(counts.values())))
    oof = out_of_fold_predictions(train_set, params=params, folds=folds, progress=progress)
    truths = [e.label for e in train_set]
    labels = sorted(counts)
    thresholds = choose_thresholds(
        oof, truths, labels=labels, target_precision=target_precision, min_margin=min_margin
    )
    auto_intents = [i for i in labels if i not in NEVER_AUTO]
    cross_validated = classification_metrics(
        truths, oof, thresholds=thresholds, min_margin=min_margin, auto_intents=auto_intents
    )
    progress("  fitting the final model")
    pipeline = build_pipeline(params).fit([e.text for e in train_set], truths)
    classifier = Classifier(
        pipeline=pipeline,
        manifest={
            "created_at": datetime.now(UTC).isoformat(),
            "params": params,
            "thresholds": thresholds,
            "min_margin": min_margin,
            "target_precision": target_precision,
            "training_size": len(train_set),
            "holdout_size": len(holdout),
            "holdout_percent": holdout_percent,
            "data_fingerprint": fingerprint(examples),
            "label_counts": dict(sorted(counts.items())),
        },
    )
    evaluation: dict[str, Any] = {"cross_validation": _summary(cross_validated)}
    if holdout:
        progress(f"  evaluating on the {len(holdout)} held-out messages")
        evaluation["holdout"] = evaluate(classifier, holdout, auto_intents=auto_intents)
    seconds = round(time.perf_counter() - started, 1)
    classifier.manifest["training_seconds"] = seconds
    classifier.manifest["metrics"] = {
        name: _summary(report) for name, report in evaluation.items()
    }
    progress(f"trained in {seconds}s")
    return classifier, evaluation


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "n": report["n"],
        "accuracy": report["accuracy"],
        "macro_f1": report["macro_f1"],
        "auto": report["auto"],
    }
