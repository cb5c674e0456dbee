"""Inference: one message in, the ranked intents out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline


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
    """A fitted pipeline with its manifest (version, thresholds, margin)."""

    pipeline: Pipeline
    manifest: dict[str, Any] = field(default_factory=dict)

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
        probabilities = self.pipeline.predict_proba(list(texts))
        return predictions_from_probabilities(self.labels, probabilities)


def predictions_from_probabilities(labels: Sequence[str], probabilities: np.ndarray) -> list[Prediction]:
    predictions = []
    for row in probabilities:
        order = np.argsort(-row, kind="stable")
        ranking = tuple((labels[i], float(row[i])) for i in order)
        predictions.append(Prediction(intent=ranking[0][0], confidence=ranking[0][1], ranking=ranking))
    return predictions
