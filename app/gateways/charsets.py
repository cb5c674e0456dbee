"""Bytes to text when the declared charset may be missing, misspelt or wrong."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

# Charsets that mail clients declare for a superset they actually send.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "euc-cn": "gb18030", "x-gbk": "gb18030",
              "iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "us-ascii": "utf-8", "ascii": "utf-8",
              "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "shift-jis": "cp932", "shift_jis": "cp932", "sjis": "cp932",
              "x-sjis": "cp932", "iso-2022-jp": "iso2022_jp_ext", "big5": "big5hkscs"}


def codec_for(declared: str | None) -> str | None:
    """The Python codec for a declared charset, widened to the superset clients really use."""
    if not declared:
        return None
    name = declared.strip().strip('"').lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):  # unknown, or not even a name (a NUL in it)
        return None


def decode(data: bytes, declared: str | None = None) -> str:
    """The text of `data`. Bytes that are valid UTF-8 are UTF-8 whatever the declaration says (the
    commonest client mistake); otherwise the declared charset when the bytes fit it; otherwise a
    detected one. Never raises: the last resort replaces what no charset explains."""
    if not data:
        return ""
    declared_codec = codec_for(declared)
    try:
        text = data.decode("utf-8")
        if not declared_codec or not declared_codec.startswith("iso2022") or _is_8bit(data):
            return text
    except UnicodeDecodeError:
        pass
    if declared_codec:
        try:
            return data.decode(declared_codec)
        except UnicodeDecodeError:
            pass
    best = from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode(declared_codec or "utf-8", errors="replace")


def _is_8bit(data: bytes) -> bool:
    return any(byte > 0x7F for byte in data)
