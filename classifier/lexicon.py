"""Word and letter evidence for Latin-script languages, for texts too short for n-grams.

langdetect needs a few dozen characters; "cancel pls" or "danke" are too short and come out as
Spanish or Dutch. Buyers' short messages are made of a small vocabulary (function words,
greetings, the words for parcel, refund, broken), so a hand-written word list per language
(`lexicons/<lang>.txt`) and a few letters only one language uses give the evidence n-grams lack.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")

# letters that point to one language (or a few) among the Latin candidates
_LETTERS: dict[str, tuple[str, ...]] = {
    "ß": ("de",), "ä": ("de",), "ö": ("de",), "ü": ("de",),
    "ñ": ("es",), "¿": ("es",), "¡": ("es",),
    "ã": ("pt",), "õ": ("pt",),
    "ł": ("pl",), "ą": ("pl",), "ę": ("pl",), "ś": ("pl",), "ź": ("pl",), "ż": ("pl",), "ć": ("pl",), "ń": ("pl",),
    "ç": ("fr", "pt"), "œ": ("fr",), "ê": ("fr", "pt"), "â": ("fr", "pt"), "î": ("fr",), "û": ("fr",),
    "ì": ("it",), "ò": ("it",), "ù": ("it", "fr"), "è": ("it", "fr"),
}


@lru_cache(maxsize=1)
def _word_languages() -> dict[str, frozenset[str]]:
    """word -> the languages whose list holds it."""
    languages: dict[str, set[str]] = defaultdict(set)
    for path in sorted(LEXICON_DIR.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                continue
            for word in line.lower().split():
                languages[word].add(path.stem)
    return {word: frozenset(langs) for word, langs in languages.items()}


# English shop words that buyers drop into every language ("der tracking", "o refund"): they
# are weak evidence of English.
_LOANWORDS = frozenset(
    "tracking order refund cancel item size online shop app bluetooth wifi email ok okay sorry "
    "hello hi thanks thx pls please top delivery box code link".split()
)


def lexicon_votes(text: str, candidates: tuple[str, ...]) -> tuple[dict[str, float], int]:
    """Votes per candidate language and the number of words seen.

    A word in k of the candidates' lists gives each of them 1/k, so words shared by many
    languages ("a", "de") weigh little; each telling letter counts half a word."""
    allowed = set(candidates)
    votes: dict[str, float] = defaultdict(float)
    words = _WORD.findall(text.lower())
    table = _word_languages()
    for word in words:
        for part in (word, *word.split("'")) if "'" in word else (word,):
            langs = table.get(part, frozenset()) & allowed
            if langs:
                weight = 0.3 if part in _LOANWORDS else 1.0
                for lang in langs:
                    votes[lang] += weight / len(langs)
                break
    for letter, owners in _LETTERS.items():
        count = text.count(letter)
        langs = [lang for lang in owners if lang in allowed]
        if count and langs:
            for lang in langs:
                votes[lang] += 0.5 * min(count, 3) / len(langs)
    return dict(votes), len(words)
