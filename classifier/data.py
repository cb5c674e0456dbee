"""Load and validate labelled messages (CSV or JSONL with text, label and optional lang)."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from classifier import INTENTS

csv.field_size_limit(10 * 1024 * 1024)


class DataError(ValueError):
    """Training or evaluation data that cannot be used; the message says which file and row."""


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    lang: str | None = None


def _check_row(source: str, line: int, text: object, label: object, lang: object) -> Example:
    where = f"{source}, row {line}"
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"{where}: 'text' is empty")
    if not isinstance(label, str) or label.strip() not in INTENTS:
        raise DataError(
            f"{where}: label {label!r} is not one of {', '.join(INTENTS)}"
        )
    if lang is not None and not isinstance(lang, str):
        raise DataError(f"{where}: 'lang' must be text")
    lang_code = lang.strip().lower() if isinstance(lang, str) and lang.strip() else None
    return Example(text=text, label=label.strip(), lang=lang_code)


def read_csv(path: Path) -> list[Example]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = set(reader.fieldnames or [])
        missing = {"text", "label"} - fields
        if missing:
            raise DataError(
                f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                "expected a header with text,label and optionally lang"
            )
        return [
            _check_row(str(path), reader.line_num, row.get("text"), row.get("label"), row.get("lang"))
            for row in reader
        ]


def read_jsonl(path: Path) -> list[Example]:
    examples = []
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}, line {number}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}, line {number}: expected an object with text and label")
            examples.append(_check_row(str(path), number, row.get("text"), row.get("label"), row.get("lang")))
    return examples


def read_file(path: Path) -> list[Example]:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        if path.suffix.lower() in {".jsonl", ".ndjson"}:
            return read_jsonl(path)
        return read_csv(path)
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise DataError(f"{path}: malformed CSV ({exc})") from None


def read_dir(directory: Path) -> list[Example]:
    """Every *.csv and *.jsonl file in `directory`, in name order."""
    directory = Path(directory)
    files = sorted(p for p in directory.iterdir() if p.suffix.lower() in {".csv", ".jsonl"})
    if not files:
        raise DataError(f"{directory}: no .csv or .jsonl training files")
    examples: list[Example] = []
    for path in files:
        examples.extend(read_file(path))
    return examples


def write_csv(examples: Iterable[Example], path: Path) -> int:
    """Write rows as text,label,lang; returns how many were written."""
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label", "lang"])
        for example in examples:
            writer.writerow([example.text, example.label, example.lang or ""])
            count += 1
    return count


def fingerprint(examples: Iterable[Example]) -> str:
    """Order-independent sha256 of the labelled rows."""
    digests = sorted(
        hashlib.sha256(f"{e.label}\x1f{e.lang or ''}\x1f{e.text}".encode()).hexdigest() for e in examples
    )
    return hashlib.sha256("".join(digests).encode()).hexdigest()


def is_holdout(text: str, percent: int = 15) -> bool:
    """Stable evaluation split: a row's side depends only on its text, so it never moves when
    the data grows, and a model trained on the rest has never seen it."""
    digest = hashlib.sha256(" ".join(text.split()).lower().encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def split(examples: list[Example], percent: int = 15) -> tuple[list[Example], list[Example]]:
    train, holdout = [], []
    for example in examples:
        (holdout if is_holdout(example.text, percent) else train).append(example)
    return train, holdout
