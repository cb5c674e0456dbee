"""Masks for personal data in logs and exported training data: e-mail addresses, card numbers
and phone numbers. Order numbers stay readable: they identify an order, not a person."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# kept as they are, though they look like phone numbers: Amazon order numbers (3-7-7 digits),
# dates, and model versions (20261204-174535)
_KEPT = re.compile(r"\b\d{3}-\d{7}-\d{7}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b20\d{6}-\d{6}\b")
# 13 to 19 digits, optionally grouped by spaces or dashes: a card number when the Luhn check passes
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
# an optional +, then 8 to 15 digits with the separators people write in phone numbers
_PHONE = re.compile(r"(?<![\w+(])(?<!\d[ .-])(?:\+|00)?\(?\d(?:[ ().-]{0,2}\d){7,14}(?!\w|[ ().-]\d)")


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card]" if _luhn(digits) else match.group(0)


def redact(text: str) -> str:
    """`text` with e-mail addresses, card numbers and phone numbers replaced by [email], [card]
    and [phone]. Amazon order numbers (3-7-7 digits) and dates are kept."""
    if not text:
        return text
    text = _EMAIL.sub("[email]", text)
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    text = _KEPT.sub(keep, text.replace("\x00", ""))
    text = _CARD.sub(_card, text)
    text = _PHONE.sub("[phone]", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)
