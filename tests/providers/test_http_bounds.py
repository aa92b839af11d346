"""HTTP bounds of the NSE and Angel One clients against hostile servers (issue 12 item 7).

Each server is a real ``http.server`` in a thread: one dripping its body a byte at a
time, one sending a gzip bomb, one redirecting to another host, one redirecting in a
loop, one answering 429 with an HTTP-date ``Retry-After``, all on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import json
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from tests.providers._angel_fakes import credentials

from optionsintel.providers import angelone_client as ac
from optionsintel.providers.base import (
    DeadlineExceededError,
    RedirectLoopError,
    RedirectRefusedError,
    ResponseTooLargeError,
    TransientProviderError,
)
from optionsintel.providers.http_bounds import (
    HttpBounds,
    bounded_request,
    retry_after_seconds,
)
from optionsintel.providers.nse import NSEClient

Route = Callable[[BaseHTTPRequestHandler], None]
BOMB_BYTES = 200 * 2**20


def _serve(routes: dict[str, Route]) -> tuple[ThreadingHTTPServer, list[str]]:
    """A server answering each path with its route (HTML warm-up pages for the rest)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _any(self) -> None:
            path = self.path.split("?")[0]
            seen.append(path)
            if self.command == "POST":
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
            route = routes.get(path)
            if route is None:
                _send(self, 200, b"<html>home</html>", {"Content-Type": "text/html"})
            else:
                route(self)

        do_GET = do_POST = _any  # noqa: N815 (http.server's handler names)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


@pytest.fixture
def serve() -> Iterator[Callable[[dict[str, Route]], tuple[str, list[str]]]]:
    servers: list[ThreadingHTTPServer] = []

    def start(routes: dict[str, Route]) -> tuple[str, list[str]]:
        server, seen = _serve(routes)
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", seen

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
    h.send_response(status)
    for k, v in {"Content-Length": str(len(body)), **headers}.items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(body)


def _json(h: BaseHTTPRequestHandler) -> None:
    _send(h, 200, b'{"ok": true}', {"Content-Type": "application/json"})


def _redirect(location: str) -> Route:
    return lambda h: _send(h, 302, b"", {"Location": location})


def _drip(h: BaseHTTPRequestHandler) -> None:
    """Valid JSON, one byte every 0.2 s (60 bytes: 12 s); headers at once."""
    body = json.dumps({"drip": "x" * 46}).encode()
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    try:
        for byte in body:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(0.2)
    except OSError:  # the client hung up: what the deadline is for
        pass


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """200 MB of zeros gzip-compressed to about 200 kB, built without holding 200 MB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(2**20)
    parts = [packer.compress(zeros) for _ in range(BOMB_BYTES // len(zeros))]
    return b"".join([*parts, packer.flush()])


def _nse(base: str, **kw) -> NSEClient:
    return NSEClient(base_url=base, **kw)


# -- deadline -------------------------------------------------------------------------------
def test_a_dripping_server_cannot_outlast_the_call_deadline(serve) -> None:
    base, _ = serve({"/api/option-chain-indices": _drip})
    client = _nse(base, timeout=1.0)  # each byte comes well within the 1-s read timeout
    start = time.monotonic()
    with pytest.raises(DeadlineExceededError, match="1 s deadline of the whole call"):
        client.get_json("/api/option-chain-indices", {"symbol": "NIFTY"})
    # Per-read timeouts alone would have waited for the whole 12-s drip.
    assert time.monotonic() - start < 1.0 * 3 + 1.5  # warm-up (2 calls) + the dripping call


def test_the_deadline_is_transient_for_the_failover_retry() -> None:
    assert issubclass(DeadlineExceededError, TransientProviderError)


def test_angel_one_calls_have_the_same_deadline(serve) -> None:
    base, _ = serve({ac.LOGIN: _drip})
    client = ac.AngelOneClient(credentials(), base_url=base, timeout=1.0, rate_limits={})
    start = time.monotonic()
    with pytest.raises(DeadlineExceededError):
        client.login()
    assert time.monotonic() - start < 2.5


# -- decompressed size cap -------------------------------------------------------------------
def test_a_gzip_bomb_is_refused_without_inflating_it(serve, bomb) -> None:
    route = lambda h: _send(  # noqa: E731
        h, 200, bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    )
    base, _ = serve({"/api/option-chain-indices": route})
    client = _nse(base, timeout=10.0)
    client.warm_up()
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLargeError, match="inflates to more than the 20971520"):
            client.get_json("/api/option-chain-indices", {"symbol": "NIFTY"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 25 * 2**20  # the cap (20 MB) and one 1-MB slice, never the 200 MB


def test_a_body_larger_than_the_cap_is_refused_as_sent(serve) -> None:
    big = b'{"x": "' + b"y" * 3000 + b'"}'
    base, _ = serve({"/big": lambda h: _send(h, 200, big, {"Content-Type": "application/json"})})
    with httpx.Client() as http, pytest.raises(ResponseTooLargeError, match="declares 3009"):
        bounded_request(http, "GET", f"{base}/big", bounds=HttpBounds(5, 1000), provider="t")


def test_bodies_under_the_cap_are_inflated_whole(serve) -> None:
    payload = json.dumps({"records": list(range(5000))}).encode()
    route = lambda h: _send(  # noqa: E731
        h, 200, gzip.compress(payload), {"Content-Type": "application/json",
                                         "Content-Encoding": "gzip"}
    )  # fmt: skip
    base, _ = serve({"/ok": route})
    with httpx.Client() as http:
        got = bounded_request(http, "GET", f"{base}/ok", bounds=HttpBounds(), provider="t")
    assert got.status_code == 200 and got.content == payload


# -- redirects --------------------------------------------------------------------------------
def test_nse_refuses_a_redirect_to_another_host(serve) -> None:
    elsewhere, seen_elsewhere = serve({"/api/option-chain-indices": _json})
    other = elsewhere.replace("127.0.0.1", "localhost")  # same machine, another host name
    base, _ = serve({"/api/option-chain-indices": _redirect(f"{other}/api/option-chain-indices")})
    with pytest.raises(RedirectRefusedError, match="another origin"):
        _nse(base, timeout=5).get_json("/api/option-chain-indices", {"symbol": "NIFTY"})
    assert seen_elsewhere == []  # its data was never asked for


def test_same_origin_redirects_are_followed(serve) -> None:
    base, seen = serve({"/api/old": _redirect("/api/new"), "/api/new": _json})
    assert _nse(base, timeout=5).get_json("/api/old") == {"ok": True}
    assert seen[-2:] == ["/api/old", "/api/new"]


def test_a_redirect_loop_raises_a_typed_error(serve) -> None:
    base, _ = serve({"/api/a": _redirect("/api/b"), "/api/b": _redirect("/api/a")})
    with pytest.raises(RedirectLoopError, match="loop"):
        _nse(base, timeout=5).get_json("/api/a")


def test_a_long_redirect_chain_raises_a_typed_error(serve) -> None:
    routes = {f"/r/{i}": _redirect(f"/r/{i + 1}") for i in range(20)}
    base, seen = serve(routes)
    with httpx.Client(follow_redirects=True) as http, pytest.raises(RedirectLoopError):
        bounded_request(http, "GET", f"{base}/r/0", bounds=HttpBounds(max_redirects=5),
                        provider="t")  # fmt: skip
    assert len(seen) == 6  # the first call and five redirects, no more


# -- Retry-After -----------------------------------------------------------------------------
def _too_many(wait: float) -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        when = email.utils.formatdate(time.time() + wait, usegmt=True)
        _send(h, 429, b"slow down", {"Retry-After": when})

    return route


def test_nse_honours_retry_after_as_an_http_date(serve) -> None:
    base, _ = serve({"/api/x": _too_many(30)})
    with pytest.raises(TransientProviderError) as info:
        _nse(base, timeout=5).get_json("/api/x")
    assert 28 <= info.value.retry_after <= 31  # the date is to the second


def test_nse_sleeps_through_a_short_http_date_retry_after(serve) -> None:
    calls: list[int] = []

    def route(h: BaseHTTPRequestHandler) -> None:
        calls.append(1)
        (_too_many(20) if len(calls) == 1 else _json)(h)

    base, _ = serve({"/api/x": route})
    slept: list[float] = []
    client = _nse(base, timeout=5, max_wait_429=60, sleep=slept.append)
    assert client.get_json("/api/x") == {"ok": True}
    assert len(slept) == 1 and 18 <= slept[0] <= 21


def test_angel_one_honours_retry_after_as_an_http_date(serve) -> None:
    base, _ = serve({ac.LOGIN: _too_many(45)})
    client = ac.AngelOneClient(credentials(), base_url=base, timeout=5, rate_limits={})
    with pytest.raises(ac.AngelOneTransientError) as info:
        client.login()
    assert 43 <= info.value.retry_after <= 46


def test_retry_after_forms() -> None:
    now = dt.datetime(2025, 7, 16, 10, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds("Wed, 16 Jul 2025 10:01:30 GMT", now) == 90.0
    assert retry_after_seconds("Wed, 16 Jul 2025 09:00:00 GMT", now) == 0.0  # past: now
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


def test_a_server_dripping_its_headers_cannot_outlast_the_deadline(serve) -> None:
    def route(h: BaseHTTPRequestHandler) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        try:
            for byte in head:  # 80 bytes at 0.2 s: 16 s, every read well within its timeout
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    base, _ = serve({"/slow-head": route})
    start = time.monotonic()
    with httpx.Client(timeout=1.0) as http, pytest.raises(DeadlineExceededError):
        bounded_request(http, "GET", f"{base}/slow-head", bounds=HttpBounds(deadline=1.0),
                        provider="t")  # fmt: skip
    assert time.monotonic() - start < 2.0
    with httpx.Client(timeout=1.0) as http:  # and on a reused keep-alive connection
        bounded_request(http, "GET", f"{base}/fast", bounds=HttpBounds(1.0), provider="t")
        start = time.monotonic()
        with pytest.raises(DeadlineExceededError):
            bounded_request(http, "GET", f"{base}/slow-head", bounds=HttpBounds(1.0),
                            provider="t")  # fmt: skip
    assert time.monotonic() - start < 2.0
