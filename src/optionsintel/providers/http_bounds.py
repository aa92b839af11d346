"""Bounded HTTP calls for the live providers: a total deadline, a size cap, same-origin redirects.

httpx's timeouts bound each socket operation, not a call: a server dripping one byte a
second keeps a "3 s timeout" call alive for as long as it likes, and a small gzip body
is inflated in memory whatever its decompressed size. :func:`bounded_request` makes
one call, redirects included, under :class:`HttpBounds`:

* a **total deadline** across connect, every redirect hop, the headers and the whole
  body: each hop's socket timeouts are cut to the time left, the body is read in
  chunks and the deadline is checked after each one, and
  :class:`~optionsintel.providers.base.DeadlineExceededError` (transient) is raised;
* a **size cap** on the body as sent and once decompressed: gzip and deflate are
  inflated here, at most the bytes left under the cap at a time (``zlib`` with
  ``max_length``), so a 200 MB bomb never reaches memory
  (:class:`~optionsintel.providers.base.ResponseTooLargeError`);
* **same-origin redirects only** (scheme, host and port of the first URL):
  :class:`~optionsintel.providers.base.RedirectRefusedError` otherwise, and
  :class:`~optionsintel.providers.base.RedirectLoopError` for a loop or too many hops
  (never httpx's raw ``TooManyRedirects``).

The deadline reaches the sockets too: through httpcore's documented ``trace`` request
extension, each connection a bounded call opens gets its ``read``/``write`` wrapped so
that every socket operation waits at most until the deadline (a server dripping its
*headers* a byte at a time is cut off as well, on new and on reused connections).

:func:`retry_after_seconds` reads ``Retry-After`` in both of its RFC 9110 forms
(delta-seconds and HTTP-date).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import time
import zlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from optionsintel.providers.base import (
    DeadlineExceededError,
    RedirectLoopError,
    RedirectRefusedError,
    ResponseTooLargeError,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Fetched",
    "HttpBounds",
    "bounded_request",
    "retry_after_seconds",
]

#: 20 MB: a whole NSE chain is about 1.5 MB decompressed, an Angel One answer far less.
DEFAULT_MAX_BYTES = 20 * 2**20
_SLICE = 2**20  # most bytes inflated by one zlib call
#: Monotonic instant the current bounded call must end by (None outside such a call).
_DEADLINE: ContextVar[float | None] = ContextVar("optionsintel_http_deadline", default=None)
_ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


@dataclass(frozen=True)
class HttpBounds:
    """Limits of one HTTP call.

    Attributes
    ----------
    deadline
        Seconds the whole call may take: connect, every redirect hop, headers and body.
    max_bytes
        Largest body accepted, as sent and once decompressed.
    max_redirects
        Same-origin redirects followed before :class:`RedirectLoopError`.
    """

    deadline: float = 10.0
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = 5


@dataclass(frozen=True)
class Fetched:
    """A fully read (and decompressed) response."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: httpx.URL

    @property
    def text(self) -> str:
        """The body decoded with the declared charset (UTF-8 when none), bad bytes replaced."""
        charset = _charset(self.headers.get("content-type", "")) or "utf-8"
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:  # an unknown charset name
            return self.content.decode("utf-8", errors="replace")


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date.

    Parameters
    ----------
    value
        The header value (None when absent).
    now
        The current aware instant, for the HTTP-date form (default: the wall clock).

    Returns
    -------
    float or None
        Non-negative seconds (a date in the past gives 0), None when absent or unparsable.

    Examples
    --------
    >>> retry_after_seconds("120")
    120.0
    >>> now = dt.datetime(2015, 10, 21, 7, 27, tzinfo=dt.UTC)
    >>> retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now)
    60.0
    """
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110: an HTTP-date is always GMT
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def bounded_request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    bounds: HttpBounds,
    provider: str,
    clock: Callable[[], float] = time.monotonic,
    **kwargs: Any,
) -> Fetched:
    """One HTTP call under ``bounds``: deadline, size cap, same-origin redirects.

    Parameters
    ----------
    client
        The httpx client (its cookies, headers and timeouts apply; its
        ``follow_redirects`` does not: redirects are followed here).
    method, url, **kwargs
        As for ``client.build_request`` (``params``, ``content``, ``headers``...).
    bounds
        The limits.
    provider
        Provider name set on raised errors.
    clock
        Monotonic clock of the deadline.

    Raises
    ------
    DeadlineExceededError
        The call outlasted ``bounds.deadline`` (transient: worth retrying later).
    ResponseTooLargeError, RedirectRefusedError, RedirectLoopError
        See the module notes.
    httpx.TimeoutException, httpx.TransportError
        Other transport failures, for the caller to map.
    """
    start = clock()
    token = _DEADLINE.set(time.monotonic() + bounds.deadline)
    try:
        return _call(client, method, url, bounds, provider, clock, start, kwargs)
    finally:
        _DEADLINE.reset(token)


def _call(
    client: httpx.Client,
    method: str,
    url: str,
    bounds: HttpBounds,
    provider: str,
    clock: Callable[[], float],
    start: float,
    kwargs: dict[str, Any],
) -> Fetched:
    request = _build(client, method, url, bounds.deadline, kwargs)
    origin, seen = _origin(request.url), {str(request.url)}
    for _ in range(bounds.max_redirects + 1):
        try:
            response = client.send(request, stream=True, follow_redirects=False)
            try:
                if not response.has_redirect_location:
                    return _read(response, bounds, provider, start, clock)
                request = _next_hop(response, origin, seen, provider)
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            if clock() - start >= bounds.deadline * 0.99:
                raise _late(bounds, provider, str(request.url)) from exc
            raise
        left = bounds.deadline - (clock() - start)
        if left <= 0:
            raise _late(bounds, provider, str(request.url))
        request.extensions["timeout"] = _cut(client.timeout, left).as_dict()
    raise RedirectLoopError(
        f"{url} redirected more than {bounds.max_redirects} times; not followed further",
        provider=provider,
    )


def _build(client: httpx.Client, method: str, url: str, left: float, kwargs: dict) -> httpx.Request:
    request = client.build_request(method, url, timeout=_cut(client.timeout, left), **kwargs)
    request.headers["Accept-Encoding"] = "gzip, deflate"  # only what _decoded can bound
    request.extensions["trace"] = _trace
    return request


def _trace(event: str, info: dict[str, Any]) -> None:
    """Trace hook of httpcore: bound every socket operation of a connection we open."""
    if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
        stream = info.get("return_value")
        if stream is not None:
            _bound_stream(stream)


def _bound_stream(stream: httpcore.NetworkStream) -> None:
    """Make ``stream``'s reads and writes wait no longer than the current call's deadline."""
    read, write = stream.read, stream.write

    def bounded_read(max_bytes: int, timeout: float | None = None) -> bytes:
        return read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def bounded_write(buffer: bytes, timeout: float | None = None) -> None:
        write(buffer, _left(timeout, httpcore.WriteTimeout))

    # Instance attributes shadow the methods; the connection keeps this stream for reuse.
    setattr(stream, "read", bounded_read)  # noqa: B010
    setattr(stream, "write", bounded_write)  # noqa: B010


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` cut to what is left of the current call's deadline (unchanged outside one)."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the call's deadline has passed")
    return left if timeout is None else min(timeout, left)


def _cut(timeout: httpx.Timeout, left: float) -> httpx.Timeout:
    """``timeout`` with every phase cut to the ``left`` seconds of the deadline."""

    def cut(value: float | None) -> float:
        return max(0.001, left if value is None else min(value, left))

    return httpx.Timeout(
        connect=cut(timeout.connect), read=cut(timeout.read), write=cut(timeout.write),
        pool=cut(timeout.pool),
    )  # fmt: skip


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host.lower(), url.port or default)


def _next_hop(
    response: httpx.Response, origin: tuple, seen: set[str], provider: str
) -> httpx.Request:
    """The redirect's request, refused when it leaves the origin or comes back."""
    nxt = response.next_request
    if nxt is None:  # has_redirect_location guarantees a Location header
        raise RedirectRefusedError(f"unusable redirect from {response.url}", provider=provider)
    if _origin(nxt.url) != origin:
        raise RedirectRefusedError(
            f"{response.url} redirected to another origin ({nxt.url.scheme}://{nxt.url.host}"
            f"{':' + str(nxt.url.port) if nxt.url.port else ''}); only same-origin redirects "
            "are followed: check the provider's base URL",
            provider=provider,
        )
    if str(nxt.url) in seen:
        raise RedirectLoopError(
            f"{response.url} redirects in a loop (back to {nxt.url}); not followed",
            provider=provider,
        )
    seen.add(str(nxt.url))
    return nxt


def _read(
    response: httpx.Response,
    bounds: HttpBounds,
    provider: str,
    start: float,
    clock: Callable[[], float],
) -> Fetched:
    """Read the whole body, checking the deadline per chunk and the cap as it inflates."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > bounds.max_bytes:
        raise _too_large(bounds, provider, response.url, f"declares {int(declared)} bytes")
    try:  # an answer built in memory (httpx.MockTransport) is already read and decoded
        content = response.content
    except httpx.ResponseNotRead:
        pass
    else:
        if len(content) > bounds.max_bytes:
            raise _too_large(bounds, provider, response.url, "sent more")
        return Fetched(response.status_code, response.headers, content, response.url)
    parts = []
    for piece in _decoded(response, bounds, provider):
        parts.append(piece)
        if clock() - start > bounds.deadline:
            raise _late(bounds, provider, str(response.url))
    return Fetched(response.status_code, response.headers, b"".join(parts), response.url)


def _decoded(response: httpx.Response, bounds: HttpBounds, provider: str) -> Iterator[bytes]:
    """The body's bytes, decompressed at most up to the cap (raw bytes are capped too)."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    wbits = _ENCODINGS.get(encoding)
    if encoding not in ("", "identity") and wbits is None:
        raise _too_large(bounds, provider, response.url, f"uses content-encoding {encoding!r}")
    inflater = zlib.decompressobj(wbits) if wbits is not None else None
    raw = out = 0
    for chunk in response.iter_raw():  # as received: no re-chunking, so no waiting to fill
        raw += len(chunk)
        if raw > bounds.max_bytes:
            raise _too_large(bounds, provider, response.url, "sent more")
        if inflater is None:
            out += len(chunk)
            yield chunk
            continue
        data = chunk
        while data:  # slices of at most _SLICE bytes: a bomb never inflates far past the cap
            try:
                piece = inflater.decompress(data, min(bounds.max_bytes - out + 1, _SLICE))
            except zlib.error as exc:
                what = f"is not valid {encoding}: {exc}"
                raise _too_large(bounds, provider, response.url, what) from exc
            data = inflater.unconsumed_tail
            out += len(piece)
            if out > bounds.max_bytes:
                raise _too_large(bounds, provider, response.url, "inflates to more")
            yield piece
    if inflater is not None:
        tail = inflater.flush()
        if out + len(tail) > bounds.max_bytes:
            raise _too_large(bounds, provider, response.url, "inflates to more")
        yield tail


def _too_large(
    bounds: HttpBounds, provider: str, url: httpx.URL, what: str
) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"the response of {url} {what} than the {bounds.max_bytes} byte cap"
        if what in ("sent more", "inflates to more")
        else f"the response of {url} {what}; refused (cap {bounds.max_bytes} bytes)",
        provider=provider,
    )


def _late(bounds: HttpBounds, provider: str, url: str) -> DeadlineExceededError:
    return DeadlineExceededError(
        f"{url} took longer than the {bounds.deadline:g} s deadline of the whole call "
        "(connect, redirects and body); the server is too slow: retry later",
        provider=provider,
    )


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None
