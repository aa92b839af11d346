"""ASGI middleware: request-size cap, NUL refusal and response headers for the API."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optionsintel.api.errors import error_response

#: Largest request body accepted (bytes); the API takes small JSON documents only.
MAX_BODY_BYTES = 64 * 1024


def _too_large_message(limit: int) -> str:
    return f"request bodies are limited to {limit} bytes"


class _TooLarge(HTTPException):
    """Raised from ``receive``: FastAPI passes HTTP exceptions through body parsing.

    ``details`` is what the error handler puts in the body, so a chunked body refused
    while streaming gets the same answer as one refused on its ``Content-Length``.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_message(limit))
        self.details = {"max_bytes": limit}


_NUL_MESSAGE = "paths and query parameters may not contain NUL characters"


def _has_nul(scope: Scope) -> bool:
    """Whether the path or the query string carries a NUL (raw or percent-encoded)."""
    query = scope.get("query_string") or b""
    return "\x00" in scope.get("path", "") or b"\x00" in query or b"%00" in query


class GuardMiddleware:
    """Refuse bodies over ``max_body`` with 413 and mark responses ``no-store``.

    The size is checked on ``Content-Length`` and again while a chunked body streams
    in, so a client cannot bypass the cap by omitting the header. A NUL character in the
    path or a query parameter is refused with 422 before any handler sees it: PostgreSQL
    text cannot hold one, so it could only ever fail deeper down (a 500 the fuzzer found
    on ``GET /api/v2/audit?action=%00``).
    """

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = marked = _MarkedSend(send)
        if _has_nul(scope):
            await _send_error(scope, receive, send, 422, "invalid_request", _NUL_MESSAGE, None)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await self._reject(scope, receive, send)
            return
        seen = 0

        async def guarded_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge(self.max_body)
            return message

        try:
            await self.app(scope, guarded_receive, send)
        except _TooLarge:
            if not marked.started:
                await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        details = {"max_bytes": self.max_body}
        message = _too_large_message(self.max_body)
        await _send_error(scope, receive, send, 413, "payload_too_large", message, details)


_EXTRA_HEADERS = ((b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"))


class _MarkedSend:
    """``send`` adding ``no-store`` and ``nosniff`` to a response that does not set them.

    It notes whether the response has started (a body refused after that cannot be
    answered with an error any more).
    """

    __slots__ = ("send", "started")

    def __init__(self, send: Send) -> None:
        self.send, self.started = send, False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            names = {k.lower() for k, _ in message.get("headers", [])}
            message["headers"] = list(message.get("headers", [])) + [
                h for h in _EXTRA_HEADERS if h[0] not in names
            ]
        await self.send(message)


async def _send_error(
    scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str, details: Any
) -> None:
    """The API's error response (:func:`optionsintel.api.errors.error_response`) sent here."""
    await error_response(status, code, message, details)(scope, receive, send)
