"""Grow the shipped training data to a given size for timing training (not for accuracy).

Each synthetic row is a real row with small random edits (dropped and swapped words or
characters, a new order number, changed case), so that the vocabulary keeps growing with the
row count the way it does with real data, instead of repeating the same features."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from classifier.data import Example

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def _edit_words(text: str, rng: random.Random) -> str:
    words = text.split()
    words = [w for w in words if rng.random() > 0.12] or words
    if len(words) > 3:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def _edit_chars(text: str, rng: random.Random) -> str:
    return "".join(c for c in text if rng.random() > 0.08) or text


def variant(example: Example, rng: random.Random) -> Example:
    text = _edit_chars(example.text, rng) if _CJK.search(example.text) else _edit_words(example.text, rng)
    if rng.random() < 0.3:
        text += f" {rng.randrange(100, 999)}-{rng.randrange(10**6, 10**7)}-{rng.randrange(10**6, 10**7)}"
    if rng.random() < 0.1:
        text = text.upper()
    return Example(text=text, label=example.label, lang=example.lang)


def grow(examples: Sequence[Example], rows: int, seed: int = 0) -> list[Example]:
    """`rows` examples: the originals first, then edited copies drawn at random."""
    rng = random.Random(seed)
    grown = list(examples[:rows])
    while len(grown) < rows:
        grown.append(variant(rng.choice(examples), rng))
    return grown
