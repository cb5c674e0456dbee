"""Language detection: a script pass for CJK and Hangul, then seeded langdetect on the rest.

langdetect alone confuses short Chinese with Korean or Japanese and answers differently from run
to run unless seeded. Han, kana and Hangul identify their languages far more reliably than n-gram
statistics, so they are decided by counting characters; Latin-script text goes to langdetect
restricted to the languages the seller serves, which makes it both faster and more accurate.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

from classifier.lexicon import lexicon_votes

UNDETERMINED = "und"
DEFAULT_CANDIDATES = ("en", "de", "fr", "es", "it", "ja", "zh", "pt", "nl", "pl", "ko")
MAX_DETECT_CHARS = 600
_SEED = 0
_TRIALS = 3  # langdetect's default 7 costs twice the time for no measured gain here
_PROFILE_ALIASES = {"zh": ("zh-cn", "zh-tw")}
_ADDRESSES = re.compile(r"https?://\S+|www\.\S+|\S+@\S+")  # links and e-mail addresses say nothing of the language


# Japanese shinjitai that differ from both simplified and traditional Chinese, and simplified
# forms Japanese does not use: they tell kana-less Japanese ("請求書再発行希望") from Chinese.
_JAPANESE_ONLY_HAN = frozenset(
    "発収変払込様済円単対売読続気広図検験価帰転伝営総鉄駅歳薬楽挙戻壊梱働枠観権県経効悪労拡覚従"
    "遅両満辺歩毎黒団継録処応仮帯乗巻圏実弁仏証険剤隠焼聴縁励徴軽恵桜穏斎譲嬢畳匂峠"
)
_SIMPLIFIED_ONLY_HAN = frozenset(
    "这们个么吗还没货买卖发给说让对时问东车过边为从会后现经电话机关开门进运递单么决样谢请"
    "虽坏该换质颜码钱页见认识输讯设备产导试邮宝贝亲刚错误听们脑线缺损态实"
)


@dataclass(frozen=True)
class Language:
    code: str
    confidence: float


_KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9d"
_HANGUL = "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
_HAN = "\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff"
_LATIN = "\x00-\u024f\u1e00-\u1eff"
_SCRIPTS = {  # characters by script: any kana, Hangul or Han character; Latin and other letters
    "kana": re.compile(f"[{_KANA}]"),
    "hangul": re.compile(f"[{_HANGUL}]"),
    "han": re.compile(f"[{_HAN}]"),
    "latin": re.compile(f"(?=[^\\W\\d_])[{_LATIN}]"),
    "other": re.compile(f"(?=[^\\W\\d_])[^{_LATIN}{_KANA}{_HANGUL}{_HAN}]"),
}


_CJK = re.compile(f"[{_KANA}{_HANGUL}{_HAN}]")


def _script_counts(text: str) -> dict[str, int]:
    return {script: len(pattern.findall(text)) for script, pattern in _SCRIPTS.items()}


def _profile_names(codes: tuple[str, ...]) -> list[str]:
    names: list[str] = []
    available = set(os.listdir(PROFILES_DIRECTORY))
    for code in codes:
        for name in _PROFILE_ALIASES.get(code, (code,)):
            if name in available:
                names.append(name)
    return names


@lru_cache(maxsize=8)
def _factory(codes: tuple[str, ...] | None) -> DetectorFactory:
    """A private, seeded factory holding only the wanted profiles (None: every profile)."""
    factory = DetectorFactory()
    factory.seed = _SEED
    names = sorted(os.listdir(PROFILES_DIRECTORY)) if codes is None else _profile_names(codes)
    profiles = []
    for name in names:
        with open(os.path.join(PROFILES_DIRECTORY, name), encoding="utf-8") as handle:
            profiles.append(handle.read())
    if len(profiles) < 2:
        # langdetect needs at least two profiles; a single-language seller still gets an answer.
        extra = "en" if "en" not in names else "de"
        with open(os.path.join(PROFILES_DIRECTORY, extra), encoding="utf-8") as handle:
            profiles.append(handle.read())
    factory.load_json_profile(profiles)
    return factory


_factory_lock = threading.Lock()


def _langdetect_probabilities(text: str, codes: tuple[str, ...] | None) -> dict[str, float]:
    with _factory_lock:  # the first call builds the factory; lru_cache is not build-once
        factory = _factory(codes)
    detector = factory.create()
    detector.n_trial = _TRIALS
    detector.append(text)
    try:
        ranked = detector.get_probabilities()
    except LangDetectException:
        return {}
    probabilities: dict[str, float] = {}
    for item in ranked:
        code = _normalise_code(item.lang)
        probabilities[code] = probabilities.get(code, 0.0) + float(item.prob)
    return probabilities


def _langdetect(text: str, codes: tuple[str, ...] | None) -> Language:
    probabilities = _langdetect_probabilities(text, codes)
    if not probabilities:
        return Language(UNDETERMINED, 0.0)
    code = max(probabilities, key=probabilities.__getitem__)
    return Language(code, round(probabilities[code], 4))


def _words_decide(votes: dict[str, float]) -> bool:
    """Words alone decide when they agree: nearly all votes for one language, or at least three
    words' worth for the leader and three times the runner-up's. Longer messages carry plenty of
    function words, so langdetect (the costly part) is left for the short and the mixed."""
    if not votes:
        return False
    ranked = sorted(votes.values(), reverse=True)
    lead, second, total = ranked[0], (ranked[1] if len(ranked) > 1 else 0.0), sum(ranked)
    return (total >= 3 and lead >= 0.9 * total) or (lead >= 3 and lead >= 3 * second)


def _combine(votes: dict[str, float], words: int, probabilities: dict[str, float]) -> Language:
    """Word evidence and n-gram probabilities, the words weighing more the shorter the text:
    in a three-word message the words decide, in a paragraph langdetect does."""
    total_votes = sum(votes.values())
    if not total_votes:
        if not probabilities:
            return Language(UNDETERMINED, 0.0)
        code = max(probabilities, key=probabilities.__getitem__)
        return Language(code, round(probabilities[code], 4))
    word_weight = 0.8 if words <= 6 else 0.6 if words <= 15 else 0.4
    if not probabilities:
        word_weight = 1.0
    scores = {
        lang: word_weight * votes.get(lang, 0.0) / total_votes + (1 - word_weight) * probabilities.get(lang, 0.0)
        for lang in set(votes) | set(probabilities)
    }
    code = max(sorted(scores), key=scores.__getitem__)
    return Language(code, round(min(scores[code], 1.0), 4))


def _normalise_code(code: str) -> str:
    return "zh" if code.startswith("zh") else code


class LanguageDetector:
    """Deterministic detector for a fixed set of candidate languages. Never raises."""

    def __init__(self, candidates: tuple[str, ...] | list[str] = DEFAULT_CANDIDATES) -> None:
        self.candidates = tuple(dict.fromkeys(c.strip().lower() for c in candidates if c.strip()))
        self._latin = tuple(c for c in self.candidates if c not in {"ja", "zh", "ko"})

    def detect(self, text: str) -> Language:
        try:
            return self._detect(text)
        except Exception:  # a detector must never take a message down with it
            return Language(UNDETERMINED, 0.0)

    def _detect(self, text: str) -> Language:
        sample = unicodedata.normalize("NFKC", text or "")[: MAX_DETECT_CHARS * 2]
        sample = _ADDRESSES.sub(" ", sample)[:MAX_DETECT_CHARS]
        counts = _script_counts(sample)
        letters = sum(counts.values())
        if letters == 0:
            return Language(UNDETERMINED, 0.0)
        cjk = counts["kana"] + counts["han"] + counts["hangul"]
        if cjk and cjk >= 0.3 * letters or cjk >= 20:
            return self._detect_cjk(counts, cjk, sample)
        if counts["other"] > counts["latin"]:
            return _langdetect(sample, None)
        if not self._latin:
            return Language(UNDETERMINED, 0.0)
        latin_only = _CJK.sub("", sample)
        votes, words = lexicon_votes(latin_only, self._latin)
        if _words_decide(votes):
            code = max(sorted(votes), key=votes.__getitem__)
            return Language(code, round(votes[code] / sum(votes.values()), 4))
        return _combine(votes, words, _langdetect_probabilities(latin_only, self._latin))

    def _detect_cjk(self, counts: dict[str, int], cjk: int, sample: str) -> Language:
        if counts["hangul"] >= max(counts["kana"], 1) and counts["hangul"] >= 0.3 * cjk:
            return Language("ko", round(counts["hangul"] / cjk, 4))
        if counts["kana"] >= 0.05 * cjk or counts["kana"] >= 2:
            return Language("ja", round((counts["kana"] + counts["han"]) / cjk, 4))
        japanese = sum(ch in _JAPANESE_ONLY_HAN for ch in sample)
        if japanese and japanese > sum(ch in _SIMPLIFIED_ONLY_HAN for ch in sample):
            return Language("ja", round(japanese / cjk, 4))
        return Language("zh", round(counts["han"] / cjk, 4))


_default = LanguageDetector()


def detect(text: str) -> Language:
    """Detect the language of `text` among the default candidates; `und` when it cannot tell."""
    return _default.detect(text)
