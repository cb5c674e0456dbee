"""HTML form bodies (multipart/form-data or urlencoded) as raw bytes per field.

Gateways send text fields in the mail's own charset (SendGrid says which in `charsets`), so fields
are kept as bytes and decoded by the gateway module, not guessed as UTF-8 here."""

from __future__ import annotations

from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from urllib.parse import unquote_to_bytes

from app.gateways.normalized import RefusedMessage


@dataclass
class Upload:
    field: str
    filename: str
    content_type: str
    size: int
    data: bytes = field(repr=False)


@dataclass
class Form:
    fields: dict[str, bytes]
    files: list[Upload]

    def text(self, name: str, charset: str | None = "utf-8") -> str | None:
        from app.gateways import charsets

        value = self.fields.get(name)
        return None if value is None else charsets.decode(value, charset)


def _urlencoded_fields(body: bytes) -> dict[str, bytes]:
    """Values stay bytes (parse_qsl on bytes cannot return non-ASCII values: it re-encodes them as
    ASCII and raises); the gateway decodes them with the right charset."""
    fields: dict[str, bytes] = {}
    for pair in body.split(b"&"):
        if not pair:
            continue
        key, _, value = pair.partition(b"=")
        name = unquote_to_bytes(key.replace(b"+", b" ")).decode("utf-8", "replace")
        fields[name] = unquote_to_bytes(value.replace(b"+", b" "))
    return fields


def parse_form(body: bytes, content_type: str) -> Form:
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return Form(fields=_urlencoded_fields(body), files=[])
    if kind != "multipart/form-data" or "boundary=" not in content_type.lower():
        raise RefusedMessage(f"expected a multipart/form-data or urlencoded form, got {kind or 'no Content-Type'}")
    envelope = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\nMIME-Version: 1.0\r\n\r\n"
    parsed = BytesParser(policy=policy.compat32).parsebytes(envelope + body)
    if not parsed.is_multipart():
        raise RefusedMessage("the multipart form could not be read: check its boundary")
    fields: dict[str, bytes] = {}
    files: list[Upload] = []
    for part in parsed.get_payload():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        name = str(name)
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files.append(Upload(field=name, filename=str(filename), content_type=part.get_content_type(), size=len(data), data=data))
        else:
            fields[name] = data
    return Form(fields=fields, files=files)
