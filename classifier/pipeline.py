"""The scikit-learn pipeline: word and character TF-IDF into a linear SVM with softmax confidences.

Every estimator argument is pinned here so that a scikit-learn upgrade cannot silently change the
model; `random_state` is fixed so the same data always gives the same model.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

from classifier.linear import SoftmaxLinearSVC

_URL = re.compile(r"https?://\S+|www\.\S+")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")

DEFAULT_PARAMS: dict[str, Any] = {
    "word_ngram_max": 2,
    "char_ngram_min": 1,
    "char_ngram_max": 4,
    "min_df": 2,
    "max_features_word": 200_000,
    "max_features_char": 300_000,
    "C": 0.7,
    "max_iter": 5000,
}


def normalise(text: str) -> str:
    """What the vectorisers see: NFKC (full-width digits and letters folded), lower case, and
    numbers, links and addresses reduced to placeholders so that order numbers do not become
    features. Module level so that a pickled pipeline can find it."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _URL.sub(" httplink ", text)
    text = _EMAIL.sub(" emailaddr ", text)
    text = _DIGITS.sub("0", text)
    return _SPACE.sub(" ", text).strip()


def build_features(params: dict[str, Any] | None = None) -> FeatureUnion:
    p = {**DEFAULT_PARAMS, **(params or {})}
    words = TfidfVectorizer(
        preprocessor=normalise,
        analyzer="word",
        token_pattern=r"(?u)\b\w+\b",
        ngram_range=(1, p["word_ngram_max"]),
        min_df=p["min_df"],
        max_df=1.0,
        max_features=p["max_features_word"],
        sublinear_tf=True,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        lowercase=False,
        dtype=np.float32,
    )
    chars = TfidfVectorizer(
        preprocessor=normalise,
        analyzer="char_wb",
        ngram_range=(p["char_ngram_min"], p["char_ngram_max"]),
        min_df=p["min_df"],
        max_df=1.0,
        max_features=p["max_features_char"],
        sublinear_tf=True,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        lowercase=False,
        dtype=np.float32,
    )
    return FeatureUnion([("words", words), ("chars", chars)], n_jobs=None)


def build_pipeline(params: dict[str, Any] | None = None) -> Pipeline:
    p = {**DEFAULT_PARAMS, **(params or {})}
    model = SoftmaxLinearSVC(C=p["C"], max_iter=p["max_iter"])
    return Pipeline([("features", build_features(p)), ("model", model)])
