"""Cut quoted earlier messages and signatures from a reply, so that only the buyer's new words
are classified. The full text is kept elsewhere; this only decides where the new words end."""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"""^\s*(?:
        On\s.+\swrote\s*:
      | Am\s.+\s(?:schrieb|geschrieben)\s*.*:
      | Le\s.+\sa\s+[ée]crit\s*:
      | El\s.+\sescribi[óo]\s*:
      | Il\s.+\sha\s+scritto\s*:
      | Op\s.+\sschreef\s.*:
      | .{0,80}(?:于|在).{0,80}写道\s*[:：]
      | .{0,80}(?:さんは書きました|のメッセージ)\s*[:：]?
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|"
    r"Messaggio originale|Oorspronkelijk bericht|原始邮件|原始郵件|元のメッセージ|Forwarded message)\s*-{2,}\s*$",
    re.IGNORECASE,
)
# An Outlook-style header block: "From:" followed within a few lines by "Sent:"/"Date:"/"To:"
_HEADER_FROM = re.compile(r"^\s*\*?(?:From|Von|De|Da|Van|发件人|寄件者|差出人|送信者)\s*\*?\s*[:：]", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(?:Sent|Date|To|Subject|Gesendet|Datum|An|Betreff|Envoyé|Date|À|Objet|Enviado|Fecha|Para|Asunto|"
    r"Inviato|Data|A|Oggetto|Verzonden|Aan|Onderwerp|发送时间|收件人|主题|時間|送信日時|宛先|件名)\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_CJK_HEADER = re.compile(r"^\s*(?:发件人|寄件者|差出人)\s*[:：]")
_SIGNATURE = re.compile(
    r"^\s*(?:--\s*|__+|Sent from my .{1,40}|Sent from (?:Mail|Outlook|Yahoo).{0,40}|Get Outlook for .{1,20}|"
    r"Von meinem .{1,30} gesendet|Gesendet von .{1,30}|Envoyé de mon .{1,30}|Envoyé depuis .{1,30}|"
    r"Enviado desde mi .{1,30}|Inviato da .{1,30}|Verzonden vanaf .{1,30}|.{1,20}から送信|发自我的.{1,20}|"
    r"從我的.{1,20}傳送)\s*$",
    re.IGNORECASE,
)


def own_words(text: str) -> str:
    """The text up to the first quoted earlier message or signature, without "> " lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _starts_quote(lines, index):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def _starts_quote(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _SIGNATURE.match(line) or _SEPARATOR.match(line) or _CJK_HEADER.match(line):
        return True
    if _ATTRIBUTION.match(line):
        return True
    # an attribution wrapped over two lines by the client
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if line.strip() and following.strip() and _ATTRIBUTION.match(line.rstrip() + " " + following.strip()):
        return True
    if _HEADER_FROM.match(line):
        window = lines[index + 1 : index + 5]
        return any(_HEADER_NEXT.match(other) for other in window)
    return False
