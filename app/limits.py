"""Request body size limit, enforced before the application sees the body."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """Answer 413 when a body is larger than `max_bytes`, by its Content-Length or as it streams.

    The body is read here (it is small by definition) and replayed to the application, so a
    chunked upload that grows past the limit is refused before any handler parses it."""

    def __init__(self, app: ASGIApp, max_bytes: int, rules: tuple[tuple[str, int, int], ...] = ()) -> None:
        """`rules`: (path prefix, max bytes, status) pairs that override the default for some
        paths, e.g. larger mail posts, answered with the status that stops a gateway's retries."""
        self.app = app
        self.max_bytes = max_bytes
        self.rules = rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        max_bytes, status = self._limit(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _reject(send, 400, "the Content-Length header is not a number")
                return
            if int(declared) > max_bytes:
                await _reject(send, status, _too_large(max_bytes))
                return

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_bytes:
                await _reject(send, status, _too_large(max_bytes))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break

        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _limit(self, path: str) -> tuple[int, int]:
        for prefix, max_bytes, status in self.rules:
            if path.startswith(prefix):
                return max_bytes, status
        return self.max_bytes, 413


def _too_large(max_bytes: int) -> str:
    return f"the request body is larger than the {max_bytes // 1024} KiB limit"


async def _reject(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
