"""Metrics of a classifier on labelled messages, in the shape `triage evaluate --json` prints."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sklearn.metrics import precision_recall_fscore_support

from classifier import INTENTS
from classifier.confidence import confidence_reasons
from classifier.data import Example
from classifier.language import LanguageDetector
from classifier.predict import Classifier, Prediction

NEVER_AUTO = frozenset({"other"})


def would_auto_answer(
    prediction: Prediction,
    *,
    thresholds: Mapping[str, float | None],
    min_margin: float,
    auto_intents: Iterable[str],
) -> bool:
    return prediction.intent in set(auto_intents) and not confidence_reasons(
        prediction, thresholds=thresholds, min_margin=min_margin
    )


def classification_metrics(
    truths: Sequence[str],
    predictions: Sequence[Prediction],
    *,
    thresholds: Mapping[str, float | None],
    min_margin: float,
    auto_intents: Iterable[str],
) -> dict[str, Any]:
    predicted = [p.intent for p in predictions]
    n = len(truths)
    labels = list(INTENTS)
    precision, recall, f1, support = precision_recall_fscore_support(
        truths, predicted, labels=labels, zero_division=0
    )
    present = [i for i, s in enumerate(support) if s > 0]
    per_label = {
        label: {
            "precision": round(float(precision[i]), 4),
            "recall": round(float(recall[i]), 4),
            "f1": round(float(f1[i]), 4),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }
    confusion: dict[str, dict[str, int]] = {t: {p: 0 for p in labels} for t in labels}
    for truth, guess in zip(truths, predicted):
        confusion[truth][guess] += 1
    auto_intents = set(auto_intents)
    auto = [
        (p.intent == truth)
        for p, truth in zip(predictions, truths)
        if would_auto_answer(p, thresholds=thresholds, min_margin=min_margin, auto_intents=auto_intents)
    ]
    by_intent: dict[str, list[bool]] = defaultdict(list)
    for p, truth in zip(predictions, truths):
        if would_auto_answer(p, thresholds=thresholds, min_margin=min_margin, auto_intents=auto_intents):
            by_intent[p.intent].append(p.intent == truth)
    correct = sum(t == p for t, p in zip(truths, predicted))
    return {
        "n": n,
        "accuracy": round(correct / n, 4) if n else 0.0,
        "macro_f1": round(float(sum(f1[i] for i in present) / len(present)), 4) if present else 0.0,
        "per_label": per_label,
        "auto": {
            "coverage": round(len(auto) / n, 4) if n else 0.0,
            "precision": round(sum(auto) / len(auto), 4) if auto else None,
        },
        "auto_per_intent": {
            label: {"n": len(hits), "precision": round(sum(hits) / len(hits), 4) if hits else None}
            for label, hits in ((label, by_intent.get(label, [])) for label in labels if label in auto_intents)
        },
        "confusion": confusion,
    }


def _macro_f1(truths: Sequence[str], predicted: Sequence[str]) -> float:
    labels = sorted(set(truths))
    _, _, f1, _ = precision_recall_fscore_support(truths, predicted, labels=labels, zero_division=0)
    return round(float(f1.mean()), 4) if labels else 0.0


def precision_coverage_curve(
    truths: Sequence[str],
    predictions: Sequence[Prediction],
    *,
    min_margin: float,
    auto_intents: Iterable[str],
) -> list[tuple[float, float, float]]:
    """(confidence threshold, coverage, precision) for one threshold applied to every intent:
    what answering alone would give at each cut-off, from the most confident message down."""
    allowed = set(auto_intents)
    eligible = sorted(
        ((p.confidence, p.intent == t) for p, t in zip(predictions, truths) if p.intent in allowed and p.margin >= min_margin),
        key=lambda item: -item[0],
    )
    points, correct = [], 0
    for count, (confidence, is_correct) in enumerate(eligible, start=1):
        correct += is_correct
        points.append((confidence, count / len(truths), correct / count))
    return points


def evaluate(
    classifier: Classifier,
    examples: Sequence[Example],
    *,
    detector: LanguageDetector | None = None,
    auto_intents: Iterable[str] = tuple(i for i in INTENTS if i not in NEVER_AUTO),
) -> dict[str, Any]:
    """The full evaluation: classification metrics, per-language accuracy and, when the data
    gives a language, how often detection agreed with it."""
    report, _ = evaluate_with_predictions(classifier, examples, detector=detector, auto_intents=auto_intents)
    return report


def evaluate_with_predictions(
    classifier: Classifier,
    examples: Sequence[Example],
    *,
    detector: LanguageDetector | None = None,
    auto_intents: Iterable[str] = tuple(i for i in INTENTS if i not in NEVER_AUTO),
) -> tuple[dict[str, Any], list[Prediction]]:
    """`evaluate`, also returning each message's prediction (for the report's curves)."""
    auto_intents = tuple(auto_intents)
    detector = detector or LanguageDetector()
    texts = [e.text for e in examples]
    truths = [e.label for e in examples]
    predictions = classifier.predict_many(texts)
    report = classification_metrics(
        truths,
        predictions,
        thresholds=classifier.thresholds,
        min_margin=classifier.min_margin,
        auto_intents=auto_intents,
    )
    detected = [detector.detect(t).code for t in texts]
    by_language: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for example, detected_code, prediction in zip(examples, detected, predictions):
        by_language[example.lang or detected_code].append((example.label, prediction.intent))
    report["per_language"] = {
        lang: {
            "n": len(pairs),
            "accuracy": round(sum(t == p for t, p in pairs) / len(pairs), 4),
            "macro_f1": _macro_f1([t for t, _ in pairs], [p for _, p in pairs]),
        }
        for lang, pairs in sorted(by_language.items())
    }
    given = [(e.lang, d) for e, d in zip(examples, detected) if e.lang]
    if given:
        agreement: dict[str, list[bool]] = defaultdict(list)
        for lang, detected_code in given:
            agreement[lang].append(lang == detected_code)
        report["language"] = {
            "accuracy": round(sum(lang == d for lang, d in given) / len(given), 4),
            "per_language": {
                lang: {"n": len(hits), "accuracy": round(sum(hits) / len(hits), 4)}
                for lang, hits in sorted(agreement.items())
            },
            "confused_with": {
                lang: dict(Counter(d for g, d in given if g == lang and d != lang).most_common(3))
                for lang in sorted(agreement)
            },
        }
    report["model_version"] = classifier.version
    return report, predictions
