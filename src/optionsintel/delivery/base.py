"""What every channel shares: the notification handed to it, the result, error mapping.

A channel's ``send`` either returns a :class:`Receipt` or raises
:class:`~optionsintel.errors.PermanentDeliveryError` (retrying cannot help: HTTP 4xx
other than 408/429, a refused address, a missing secret) or
:class:`~optionsintel.errors.TransientDeliveryError` (timeouts, refused connections,
HTTP 5xx/408/429, with the server's ``Retry-After`` when given). Error messages are
built here, never from a URL or a request, so they cannot carry a token.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from optionsintel.delivery._redact import redact
from optionsintel.errors import PermanentDeliveryError, TransientDeliveryError


@dataclass(frozen=True)
class Notification:
    """One outbox row as a channel sees it.

    Attributes
    ----------
    dedupe_key
        The outbox key: stable across retries (the webhook id, the feed row's key).
    owner, rule_name, channel
        Whose rule raised it and the channel kind.
    event
        The trigger: rule, type, instrument, triggered_at, value, threshold, condition.
    target
        The channel target of the rule (url and secret_env, addresses, chat id...).
    """

    dedupe_key: str
    owner: str
    rule_name: str
    channel: str
    event: dict[str, Any]
    target: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    """A delivery the far end accepted (``status_code`` for HTTP channels)."""

    status_code: int | None = None


class Channel(Protocol):
    """A delivery channel."""

    kind: str

    def send(self, notification: Notification) -> Receipt:
        """Deliver one notification or raise a typed delivery error."""
        ...


#: Longest ``Retry-After`` honoured (s): a receiver's 1e308 or a date in 9999 made the
#: database refuse the batch's schedule (every row of it stayed SENDING and was resent).
MAX_RETRY_AFTER = 86_400.0


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), at most a day."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # "-0000": the zone is unknown; RFC 5322 means UTC
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def check_http(response: httpx.Response, what: str, detail: str = "") -> Receipt:
    """Map an HTTP response to a receipt or a typed error (4xx permanent but 408/429)."""
    code = response.status_code
    if 200 <= code < 300:
        return Receipt(code)
    text = f"{what} answered HTTP {code}" + (f": {redact(detail)[:200]}" if detail else "")
    if code in (408, 429) or code >= 500:
        retry = retry_after_seconds(response.headers.get("Retry-After"))
        raise TransientDeliveryError(text, retry_after=retry)
    raise PermanentDeliveryError(text + " (not retried)")


def transport_error(exc: httpx.HTTPError, what: str) -> TransientDeliveryError:
    """A transient error for a failed HTTP exchange, naming only the kind of failure."""
    if isinstance(exc, httpx.TimeoutException):
        return TransientDeliveryError(f"{what} timed out ({type(exc).__name__})")
    return TransientDeliveryError(f"{what} could not be reached ({type(exc).__name__})")


#: A response body must be complete this many seconds after the request started, and at
#: most this many of its bytes are read. The client's timeouts bound each read, not the
#: exchange: a receiver trickling its body a byte a second held a send for as long as it
#: liked (past the dispatcher's lease, so another dispatcher sent the row again).
RESPONSE_DEADLINE_S = 20.0
MAX_RESPONSE_BYTES = 64 * 1024
_BODY_FRAMING = ("content-encoding", "content-length", "transfer-encoding")


def post(client: httpx.Client, url: str, what: str, **kwargs: Any) -> httpx.Response:
    """POST with transport failures mapped to :class:`TransientDeliveryError`.

    The body is read within :data:`RESPONSE_DEADLINE_S` and up to
    :data:`MAX_RESPONSE_BYTES` (the rest is dropped: only the status and a short detail
    are used). A 2xx whose body is still coming at the deadline counts as accepted (its
    status is the receipt); any other status still coming is a transient error.
    """
    start = time.monotonic()
    body = bytearray()
    try:
        with client.stream("POST", url, **kwargs) as response:
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= MAX_RESPONSE_BYTES:
                    break
                if time.monotonic() - start > RESPONSE_DEADLINE_S:
                    if response.is_success:
                        break
                    raise TransientDeliveryError(
                        f"{what} answered HTTP {response.status_code} too slowly "
                        f"(body not complete within {RESPONSE_DEADLINE_S:g} s)"
                    )
    except httpx.HTTPError as exc:
        raise transport_error(exc, what) from None
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_FRAMING]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=bytes(body[:MAX_RESPONSE_BYTES]),
        request=response.request,
    )
