"""Near-duplicate pairs in labelled data: messages that differ only by a name or a number teach the
model a sentence pattern instead of the language, and inflate every score measured on a split."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.data import Example
from classifier.pipeline import normalise


@dataclass(frozen=True)
class DuplicateReport:
    rows: int
    pairs: int
    rows_with_a_near_duplicate: int
    threshold: float
    examples: list[tuple[float, str, str]]

    @property
    def share(self) -> float:
        """Share of rows that have at least one near-duplicate."""
        return self.rows_with_a_near_duplicate / self.rows if self.rows else 0.0


def near_duplicates(examples: Sequence[Example], *, threshold: float = 0.9, block: int = 2000, show: int = 10) -> DuplicateReport:
    """Cosine similarity of character 2–4-gram TF-IDF between every pair of rows, in blocks so
    that memory stays bounded on large sets."""
    texts = [e.text for e in examples]
    if len(texts) < 2:
        return DuplicateReport(len(texts), 0, 0, threshold, [])
    matrix = TfidfVectorizer(preprocessor=normalise, analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, dtype=np.float32).fit_transform(texts)
    flagged = np.zeros(len(texts), dtype=bool)
    pairs = 0
    found: list[tuple[float, str, str]] = []
    for start in range(0, len(texts), block):
        similarity = (matrix[start : start + block] @ matrix.T).toarray()
        for offset in range(similarity.shape[0]):
            similarity[offset, : start + offset + 1] = 0  # each pair once, never a row with itself
        rows, cols = np.nonzero(similarity > threshold)
        pairs += len(rows)
        flagged[rows + start] = True
        flagged[cols] = True
        for r, c in zip(rows, cols):
            if len(found) < show:
                found.append((float(similarity[r, c]), texts[r + start], texts[c]))
    return DuplicateReport(len(texts), pairs, int(flagged.sum()), threshold, found)
