"""Training: fit the pipeline, choose thresholds from cross-validation, measure on the holdout."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from scipy.special import softmax
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from classifier import INTENTS
from classifier.data import DataError, Example, fingerprint, split
from classifier.evaluate import NEVER_AUTO, classification_metrics, evaluate
from classifier.linear import SoftmaxLinearSVC, fit_temperature
from classifier.pipeline import DEFAULT_PARAMS, build_features
from classifier.predict import Classifier, Prediction, predictions_from_probabilities
from classifier.thresholds import choose_thresholds

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def _fold_scores(model: SoftmaxLinearSVC, features, labels, fit_idx, held_idx, classes) -> tuple:
    started = time.perf_counter()
    model = clone(model).fit(features[fit_idx], labels[fit_idx])
    scores = np.full((len(held_idx), len(classes)), -1e3)  # a class missing from a fold scores lowest
    fold_scores = model.decision_function(features[held_idx])
    for column, label in enumerate(model.classes_):
        scores[:, classes.index(label)] = fold_scores[:, column]
    return held_idx, scores, time.perf_counter() - started


def out_of_fold_scores(
    features, labels: np.ndarray, *, model: SoftmaxLinearSVC, folds: int, progress: Progress = _quiet
) -> np.ndarray:
    """Decision scores for every training row from a model that did not see it.

    The TF-IDF vocabulary is fitted once on all training texts (it sees no labels); only the
    classifier is refitted per fold, and the folds run in parallel on the machine's cores."""
    classes = sorted(set(labels))
    scores = np.zeros((len(labels), len(classes)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    jobs = (
        delayed(_fold_scores)(model, features, labels, fit_idx, held_idx, classes)
        for fit_idx, held_idx in splitter.split(np.zeros(len(labels)), labels)
    )
    for number, (held_idx, fold_scores, seconds) in enumerate(
        Parallel(n_jobs=min(folds, os.cpu_count() or 1), return_as="generator")(jobs), start=1
    ):
        scores[held_idx] = fold_scores
        progress(f"  cross-validation fold {number}/{folds} ({seconds:.1f}s)")
    return scores


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

    The confidence temperature and the thresholds come from out-of-fold scores on the training
    part, so they are chosen on messages the scoring model never saw; the holdout only reports."""
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
    truths = [e.label for e in train_set]
    labels = sorted(counts)
    progress("  building features")
    features = build_features(params)
    matrix = features.fit_transform([e.text for e in train_set])
    model = SoftmaxLinearSVC(C=params["C"], max_iter=params["max_iter"])
    scores = out_of_fold_scores(matrix, np.array(truths), model=model, folds=folds, progress=progress)
    model.temperature = round(fit_temperature(scores, np.array([labels.index(t) for t in truths])), 4)
    oof = predictions_from_probabilities(labels, softmax(scores * model.temperature, axis=1))
    thresholds = choose_thresholds(
        oof, truths, labels=labels, target_precision=target_precision, min_margin=min_margin
    )
    auto_intents = [i for i in labels if i not in NEVER_AUTO]
    cross_validated = classification_metrics(
        truths, oof, thresholds=thresholds, min_margin=min_margin, auto_intents=auto_intents
    )
    progress("  fitting the final model")
    pipeline = Pipeline([("features", features), ("model", model.fit(matrix, truths))])
    classifier = Classifier(
        pipeline=pipeline,
        manifest={
            "created_at": datetime.now(UTC).isoformat(),
            "params": params,
            "thresholds": thresholds,
            "min_margin": min_margin,
            "target_precision": target_precision,
            "temperature": model.temperature,
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
