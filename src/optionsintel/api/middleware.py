"""ASGI middleware: request-size cap and response headers for an authenticated API."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Largest request body accepted (bytes); the API takes small JSON documents only.
MAX_BODY_BYTES = 64 * 1024


class _TooLarge(HTTPException):
    """Raised from ``receive``: FastAPI passes HTTP exceptions through body parsing."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request bodies are limited to {limit} bytes")


class GuardMiddleware:
    """Refuse bodies over ``max_body`` with 413 and mark responses ``no-store``.

    The size is checked on ``Content-Length`` and again while a chunked body streams
    in, so a client cannot bypass the cap by omitting the header.
    """

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await self._reject(send)
            return
        seen = 0
        started = False

        async def guarded_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge(self.max_body)
            return message

        async def marked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                extra = [(b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    h for h in extra if h[0] not in names
                ]
            await send(message)

        try:
            await self.app(scope, guarded_receive, marked_send)
        except _TooLarge:
            if not started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        body: dict[str, Any] = {
            "code": "payload_too_large",
            "message": f"request bodies are limited to {self.max_body} bytes",
            "details": {"max_bytes": self.max_body},
        }
        raw = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(raw)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": raw})
