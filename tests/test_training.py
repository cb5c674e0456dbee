"""Training on a tiny set, thresholds, the artefact's manifest and its integrity checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier import INTENTS, artifact
from classifier.data import DataError, Example, fingerprint, read_dir, read_file, split
from classifier.evaluate import evaluate
from classifier.predict import Prediction
from classifier.thresholds import choose_thresholds, precision_lower_bound
from classifier.train import train
from tests.builders import TINY_PARAMS, tiny_examples


@pytest.fixture(scope="module")
def trained():
    return train(tiny_examples(), params=TINY_PARAMS, folds=3, holdout_percent=0)


def test_training_on_a_tiny_set_learns_the_obvious(trained):
    classifier, _ = trained
    assert classifier.predict("please cancel my order").intent == "cancellation"
    assert classifier.predict("how do I pair it with my phone").intent == "technical_support"
    assert set(classifier.labels) == set(INTENTS)


def test_the_manifest_records_what_made_the_model(trained, tmp_path):
    classifier, evaluation = trained
    folder = artifact.save(tmp_path, classifier, evaluation=evaluation)
    manifest = json.loads((folder / "manifest.json").read_text())
    for key in ("version", "sklearn_version", "python_version", "labels", "data_fingerprint", "metrics", "thresholds", "sha256", "training_size"):
        assert key in manifest
    assert manifest["data_fingerprint"] == fingerprint(tiny_examples())
    assert manifest["sha256"] == artifact.sha256_of(folder / "model.joblib")


def test_a_saved_model_loads_and_predicts_the_same(trained, tmp_path):
    classifier, _ = trained
    folder = artifact.save(tmp_path, classifier)
    loaded = artifact.load(folder)
    text = "the screen arrived cracked"
    assert loaded.predict(text) == classifier.predict(text)
    assert loaded.version == folder.name


def test_a_changed_artefact_is_refused(trained, tmp_path):
    classifier, _ = trained
    folder = artifact.save(tmp_path, classifier)
    with (folder / "model.joblib").open("ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(artifact.ArtifactError, match="does not match the manifest"):
        artifact.load(folder)


def test_a_model_from_another_sklearn_minor_version_is_refused(trained, tmp_path):
    classifier, _ = trained
    folder = artifact.save(tmp_path, classifier)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["sklearn_version"] = "0.24.2"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(artifact.ArtifactError, match="0.24.2"):
        artifact.load(folder)


def test_a_model_without_manifest_is_not_listed_or_loaded(tmp_path):
    (tmp_path / "20260101-000000").mkdir()
    (tmp_path / "20260101-000000" / "model.joblib").write_bytes(b"x")
    assert artifact.latest(tmp_path) is None
    with pytest.raises(artifact.ArtifactError, match="no manifest"):
        artifact.load(tmp_path / "20260101-000000")


def test_training_is_reproducible():
    first, _ = train(tiny_examples(), params=TINY_PARAMS, folds=3, holdout_percent=0)
    second, _ = train(tiny_examples(), params=TINY_PARAMS, folds=3, holdout_percent=0)
    text = "my parcel is late and I want to cancel"
    assert first.predict(text) == second.predict(text)
    assert first.thresholds == second.thresholds


def _p(intent: str, confidence: float) -> Prediction:
    rest = 1 - confidence
    return Prediction(intent=intent, confidence=confidence, ranking=((intent, confidence), ("other", rest)))


def test_thresholds_take_the_lowest_confidence_that_keeps_the_precision():
    # 20 right answers at 0.95..0.76, then 3 wrong ones at 0.7, 0.69, 0.68
    predictions = [_p("quality", 0.95 - i * 0.01) for i in range(20)] + [_p("quality", c) for c in (0.7, 0.69, 0.68)]
    truths = ["quality"] * 20 + ["return"] * 3
    thresholds = choose_thresholds(predictions, truths, labels=["quality", "return"], target_precision=0.95, min_margin=0.0)
    # 20 of 20 right has a lower bound of 0.952; 20 of 21 right (0.952 on average) only 0.882
    assert thresholds["quality"] == 0.76
    assert thresholds["return"] is None  # never predicted


def test_the_precision_bound_is_wilsons_lower_bound():
    assert precision_lower_bound(20, 20) == pytest.approx(0.9524, abs=1e-4)
    assert precision_lower_bound(20, 21) == pytest.approx(0.8820, abs=1e-4)
    assert precision_lower_bound(970, 1000) < 0.97 < precision_lower_bound(985, 1000)
    assert precision_lower_bound(0, 0) == 0.0


def test_no_threshold_when_the_precision_is_never_reached():
    predictions = [_p("quality", 0.9 - i * 0.01) for i in range(20)]
    truths = ["quality", "return"] * 10
    assert choose_thresholds(predictions, truths, labels=["quality"], target_precision=0.97, min_margin=0.0) == {"quality": None}


def test_evaluation_reports_every_field(trained):
    classifier, _ = trained
    examples = [Example("cancel my order please", "cancellation", "en"), Example("Wo ist mein Paket?", "logistics_delay", "de")]
    report = evaluate(classifier, examples)
    for key in ("n", "accuracy", "macro_f1", "per_label", "per_language", "auto", "confusion", "language"):
        assert key in report
    assert report["n"] == 2
    assert report["language"]["per_language"]["de"]["accuracy"] == 1.0
    assert set(report["per_label"]) == set(INTENTS)
    assert report["confusion"]["cancellation"]["cancellation"] == 1


def test_the_holdout_split_is_stable_and_disjoint():
    examples = [Example(f"message number {i} about something", "other") for i in range(400)]
    train_part, holdout = split(examples)
    assert {e.text for e in train_part}.isdisjoint({e.text for e in holdout})
    assert 30 < len(holdout) < 90
    assert split(examples + [Example("a new one", "other")])[1][: len(holdout)] == holdout


def test_data_with_an_unknown_label_is_refused_with_the_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nhello,other\nwhere is it,shipping\n")
    with pytest.raises(DataError, match=r"row 3.*'shipping'"):
        read_file(path)


def test_data_without_a_label_column_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,intent\nhello,other\n")
    with pytest.raises(DataError, match="label"):
        read_file(path)


def test_jsonl_is_read_and_bad_lines_named(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text('{"text": "cancel it", "label": "cancellation"}\n\n{"text": "thx", "label": "other", "lang": "EN"}\n')
    assert read_file(good) == [Example("cancel it", "cancellation", None), Example("thx", "other", "en")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "cancel it", "label": "cancellation"}\n{oops\n')
    with pytest.raises(DataError, match="line 2"):
        read_file(bad)


def test_the_shipped_training_data_is_valid():
    examples = read_dir(Path(__file__).resolve().parent.parent / "training_data")
    labels = {e.label for e in examples}
    assert labels == set(INTENTS)
    english = [e for e in examples if e.lang == "en"]
    for intent in INTENTS:
        assert sum(e.label == intent for e in english) >= 150, intent
