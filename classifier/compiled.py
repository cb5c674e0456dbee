"""The fitted pipeline's arithmetic for one message, without scikit-learn's per-call overhead.

`Pipeline.predict_proba` on a single short text spends about 1.5 ms validating inputs, building
sparse matrices and dispatching through FeatureUnion; the arithmetic itself (find each n-gram's
column, weight it by tf-idf, normalise, dot with the SVM's coefficients) is a small part of that.
`CompiledScorer` does only the arithmetic, from the same fitted vocabulary, idf and coefficients,
with the vectorisers' own tokenizer and n-gram functions, so the features are scikit-learn's:

- the text is normalised once, not once per vectoriser;
- character n-grams within word boundaries (`char_wb`) depend on one word alone, so each word's
  columns are computed once and kept in a bounded cache: buyers reuse a small vocabulary.

The probabilities agree with the pipeline's to float32 precision (the vectorisers compute in
float32); the constructor checks that on sample texts and tests compare the two on real messages.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

WORD_CACHE_SIZE = 50_000  # words whose character n-gram columns are kept (a few MB)
_SELF_CHECK = ("Where is my parcel? Order 302-1234567-1234567", "亲，还没发货吗", "返品したいです", "x", "")


class _Block:
    """One vectoriser's columns: text (already preprocessed) → (column indices, tf-idf values)."""

    def __init__(self, vectorizer: TfidfVectorizer, offset: int) -> None:
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_  # shared, not copied: it is the largest object in memory
        self.offset = offset
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.sublinear = bool(vectorizer.sublinear_tf)
        self.terms = self._term_function(vectorizer)
        self._words: dict[str, tuple[int, ...]] = {}

    def _term_function(self, vectorizer: TfidfVectorizer) -> Callable[[str], list]:
        if vectorizer.analyzer == "char_wb":
            self._char_wb = vectorizer._char_wb_ngrams
            self._spaces = vectorizer._white_spaces
            return self._cached_char_wb_columns
        if vectorizer.analyzer == "word":
            tokenize, stop_words = vectorizer.build_tokenizer(), vectorizer.get_stop_words()
            get = self.vocabulary.get
            return lambda doc: [c for c in map(get, vectorizer._word_ngrams(tokenize(doc), stop_words)) if c is not None]
        raise TypeError(f"no compiled path for analyzer {vectorizer.analyzer!r}")

    def _cached_char_wb_columns(self, doc: str) -> list[int]:
        columns: list[int] = []
        get, cache = self.vocabulary.get, self._words
        for word in self._spaces.sub(" ", doc).split():
            known = cache.get(word)
            if known is None:
                known = tuple(c for c in map(get, self._char_wb(word)) if c is not None)
                if len(cache) >= WORD_CACHE_SIZE:
                    cache.clear()
                cache[word] = known
            columns.extend(known)
        return columns

    def tfidf(self, doc: str) -> tuple[np.ndarray, np.ndarray] | None:
        counts = Counter(self.terms(doc))
        if not counts:
            return None
        index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        values = (np.log(tf) + 1.0 if self.sublinear else tf) * self.idf[index]
        values /= math.sqrt(float(values @ values))
        return index + self.offset, values


class CompiledScorer:
    """decision_function and predict_proba of a fitted (TF-IDF words, TF-IDF char_wb) →
    SoftmaxLinearSVC pipeline, one text at a time. Raises TypeError for any other shape."""

    def __init__(self, pipeline: Pipeline) -> None:
        features: FeatureUnion = pipeline.named_steps["features"]
        model = pipeline.named_steps["model"]
        coef = np.asarray(model.svm_.coef_, dtype=np.float64)
        intercept = np.asarray(model.svm_.intercept_, dtype=np.float64)
        if coef.shape[0] == 1:  # two classes: LinearSVC keeps one row; the scores are (-s, s)
            coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        self.weights = np.ascontiguousarray(coef.T)  # (n_features, n_classes)
        self.intercept = intercept
        self.temperature = float(model.temperature)
        vectorizers = [v for _, v in features.transformer_list]
        if not all(isinstance(v, TfidfVectorizer) and v.norm == "l2" and v.use_idf for v in vectorizers):
            raise TypeError("CompiledScorer expects l2-normalised TF-IDF vectorisers")
        if len({(v.preprocessor, v.lowercase, v.strip_accents) for v in vectorizers}) != 1:
            raise TypeError("the vectorisers preprocess differently")
        self.preprocess = vectorizers[0].build_preprocessor()  # once per text, shared by every block
        self.blocks: list[_Block] = []
        offset = 0
        for vectorizer in vectorizers:
            self.blocks.append(_Block(vectorizer, offset))
            offset += len(vectorizer.vocabulary_)
        if offset != self.weights.shape[0]:
            raise TypeError("the vectorisers' vocabularies do not add up to the model's coefficients")
        expected = pipeline.decision_function(list(_SELF_CHECK))
        if not np.allclose(np.array([self.decision_function(t) for t in _SELF_CHECK]), expected, atol=1e-5):
            raise TypeError("the compiled scores differ from the pipeline's")

    def decision_function(self, text: str) -> np.ndarray:
        doc = self.preprocess(text)
        parts = [p for p in (block.tfidf(doc) for block in self.blocks) if p is not None]
        if not parts:
            return self.intercept.copy()
        index = np.concatenate([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
        values = np.concatenate([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]
        return values @ self.weights[index] + self.intercept

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        scores = np.array([self.decision_function(text) for text in texts]).reshape(len(texts), -1)
        return softmax(scores * self.temperature, axis=1)
