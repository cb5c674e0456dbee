"""Text as it may be stored and shown: without the control characters that mail and JSON can carry
(NUL cannot be stored in PostgreSQL at all; escape sequences and bells mean nothing to a reader)."""

from __future__ import annotations

import re

_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(text: str) -> str:
    """`text` without C0 control characters and DEL; tabs and line breaks stay."""
    return _CONTROLS.sub("", text)
