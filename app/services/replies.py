"""Reply templates and SOPs from templates/replies/<lang>/<intent>.j2 and <intent>.sop.md.

Templates are the seller's, rendered in a Jinja sandbox with StrictUndefined: a variable the
template needs but the message does not provide is an error, never an empty hole in a reply sent to
a buyer. Buyer text only ever enters as a variable value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")
_STEP = re.compile(r"^\s*(?:[-*]|\d+[.)])\s+(.*\S)\s*$")


@dataclass(frozen=True)
class RenderedReply:
    subject: str
    body: str
    template: str
    language: str


@dataclass(frozen=True)
class Sop:
    intent: str
    title: str
    steps: list[str]


class TemplateMissing(LookupError):
    pass


class TemplateRenderError(ValueError):
    def __init__(self, template: str, detail: str, missing: str | None = None) -> None:
        super().__init__(f"{template}: {detail}")
        self.template = template
        self.missing = missing


class ReplyTemplates:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.env = SandboxedEnvironment(
            loader=FileSystemLoader(str(self.directory)),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=False,
            lstrip_blocks=False,
            auto_reload=True,
        )
        self._sops: dict[Path, tuple[int, Sop]] = {}

    @staticmethod
    def template_name(intent: str, language: str) -> str:
        return f"{language}/{intent}.j2"

    def has_template(self, intent: str, language: str) -> bool:
        return (self.directory / self.template_name(intent, language)).is_file()

    def languages(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.name for p in self.directory.iterdir() if p.is_dir() and any(p.glob("*.j2")))

    def render(self, intent: str, language: str, variables: dict[str, Any]) -> RenderedReply:
        name = self.template_name(intent, language)
        try:
            template = self.env.get_template(name)
        except TemplateNotFound:
            raise TemplateMissing(f"no {language} template for {intent} ({name})") from None
        except TemplateError as exc:
            raise TemplateRenderError(name, f"the template does not compile: {exc}") from None
        try:
            text = template.render(**variables)
        except UndefinedError as exc:
            match = _UNDEFINED_NAME.search(str(exc))
            missing = match.group(1) if match else None
            raise TemplateRenderError(name, str(exc), missing=missing) from None
        except Exception as exc:  # a sandbox violation or any other template fault
            raise TemplateRenderError(name, f"{type(exc).__name__}: {exc}") from None
        subject, body = _split_subject(text, name)
        return RenderedReply(subject=subject, body=body, template=name, language=language)

    def sop(self, intent: str, language: str) -> Sop | None:
        """The SOP for an intent in a language, read once per file change (every decision shows one)."""
        path = self.directory / language / f"{intent}.sop.md"
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return None
        cached = self._sops.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        sop = self._read_sop(path, intent)
        self._sops[path] = (stamp, sop)
        return sop

    @staticmethod
    def _read_sop(path: Path, intent: str) -> Sop:
        title, steps = intent, []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("# "):
                title = line[2:].strip()
            elif match := _STEP.match(line):
                steps.append(match.group(1))
        return Sop(intent=intent, title=title, steps=steps)


def _split_subject(text: str, name: str) -> tuple[str, str]:
    first, _, rest = text.lstrip("\n").partition("\n")
    if not first.lower().startswith("subject:"):
        raise TemplateRenderError(name, "the first line must be 'Subject: ...'")
    return first.split(":", 1)[1].strip(), rest.strip("\n") + "\n"
