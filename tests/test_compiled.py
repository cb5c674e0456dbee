"""The compiled scorer (the service's fast path) decides exactly as the scikit-learn pipeline."""

from __future__ import annotations

import random

import numpy as np
import pytest

from classifier.compiled import CompiledScorer
from classifier.confidence import confidence_reasons
from classifier.data import read_dir
from classifier.predict import predictions_from_probabilities
from classifier.train import train
from tests.conftest import REPO


@pytest.fixture(scope="module")
def trained_and_unseen():
    examples = read_dir(REPO / "training_data")
    random.Random(7).shuffle(examples)
    classifier, _ = train(examples[:3000], folds=3, holdout_percent=0)
    return classifier, [e.text for e in examples[3000:3400]]


def test_compiled_predictions_equal_the_pipelines_on_real_messages(trained_and_unseen):
    classifier, texts = trained_and_unseen
    assert classifier._scorer is not None  # the service really uses the fast path
    fast = classifier.predict_many(texts)
    slow = predictions_from_probabilities(classifier.labels, classifier.pipeline.predict_proba(texts))
    for a, b in zip(fast, slow):
        assert a.intent == b.intent
        assert [i for i, _ in a.ranking] == [i for i, _ in b.ranking]
        assert np.allclose([c for _, c in a.ranking], [c for _, c in b.ranking], atol=1e-6)
        rule = {"thresholds": classifier.thresholds, "min_margin": classifier.min_margin}
        assert confidence_reasons(a, **rule) == confidence_reasons(b, **rule)


def test_the_same_text_twice_scores_the_same_with_a_warm_word_cache(trained_and_unseen):
    classifier, texts = trained_and_unseen
    scorer: CompiledScorer = classifier._scorer
    first = [scorer.decision_function(t) for t in texts[:50]]
    second = [scorer.decision_function(t) for t in texts[:50]]
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert np.allclose(scorer.decision_function(""), scorer.intercept)
