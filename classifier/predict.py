"""Inference: one message in, the ranked intents out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from classifier.compiled import CompiledScorer


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float
    ranking: tuple[tuple[str, float], ...]

    @property
    def margin(self) -> float:
        """Gap between the best intent and the runner-up."""
        if len(self.ranking) < 2:
            return self.confidence
        return self.ranking[0][1] - self.ranking[1][1]

    def alternatives(self, count: int = 3) -> list[dict[str, Any]]:
        return [{"intent": i, "confidence": round(c, 4)} for i, c in self.ranking[:count]]


@dataclass
class Classifier:
    """A fitted pipeline with its manifest (version, thresholds, margin).

    Predictions go through CompiledScorer, the pipeline's own arithmetic without scikit-learn's
    per-call overhead; a pipeline of another shape falls back to `predict_proba`."""

    pipeline: Pipeline
    manifest: dict[str, Any] = field(default_factory=dict)
    _scorer: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            self._scorer = CompiledScorer(self.pipeline)
        except (TypeError, KeyError, AttributeError, ValueError):
            self._scorer = None

    @property
    def version(self) -> str:
        return str(self.manifest.get("version", "unversioned"))

    @property
    def thresholds(self) -> dict[str, float | None]:
        return dict(self.manifest.get("thresholds", {}))

    @property
    def min_margin(self) -> float:
        return float(self.manifest.get("min_margin", 0.2))

    @property
    def labels(self) -> list[str]:
        return [str(label) for label in self.pipeline.classes_]

    def predict(self, text: str) -> Prediction:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        if self._scorer is not None:
            probabilities = self._scorer.predict_proba(texts)
        else:
            probabilities = self.pipeline.predict_proba(list(texts))
        return predictions_from_probabilities(self.labels, probabilities)


def predictions_from_probabilities(labels: Sequence[str], probabilities: np.ndarray) -> list[Prediction]:
    predictions = []
    for row in probabilities:
        order = np.argsort(-row, kind="stable")
        ranking = tuple((labels[i], float(row[i])) for i in order)
        predictions.append(Prediction(intent=ranking[0][0], confidence=ranking[0][1], ranking=ranking))
    return predictions
