"""A receiver that trickles or floods its answer cannot hold a send or fill memory.

Real sockets on 127.0.0.1: the server sends its status line and headers at once, then the
body a few bytes at a time (each piece well inside the client's per-read timeout), or a
body far larger than anything a channel reads.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from optionsintel.delivery import base
from optionsintel.errors import TransientDeliveryError


def _serve(status: str, body_piece: bytes, pieces: int, pause: float) -> Iterator[str]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)
                conn.sendall(f"HTTP/1.1 {status}\r\ncontent-type: text/plain\r\n"
                             "connection: close\r\n\r\n".encode())  # fmt: skip
                for _ in range(pieces):
                    if stop.is_set():
                        return
                    conn.sendall(body_piece)
                    time.sleep(pause)
            except OSError:  # the client hung up: what the test wants
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}/hook"
    finally:
        stop.set()
        srv.close()


@pytest.fixture
def short_deadline(monkeypatch):
    monkeypatch.setattr(base, "RESPONSE_DEADLINE_S", 1.0)


def test_a_trickled_2xx_body_is_cut_at_the_deadline_and_counts_as_accepted(short_deadline):
    gen = _serve("200 OK", b"x", 1000, 0.1)
    url = next(gen)
    with httpx.Client(timeout=5.0) as client:
        start = time.monotonic()
        response = base.post(client, url, "webhook test")
        took = time.monotonic() - start
    assert base.check_http(response, "webhook test").status_code == 200
    assert took < 15.0, took  # cut after ~1 s; 1,000 pieces at 0.1 s would hold it 100 s
    assert 0 < len(response.content) < 1000
    gen.close()


def test_a_trickled_error_body_is_a_transient_error_at_the_deadline(short_deadline):
    gen = _serve("503 Service Unavailable", b"y", 1000, 0.1)
    url = next(gen)
    with httpx.Client(timeout=5.0) as client:
        start = time.monotonic()
        with pytest.raises(TransientDeliveryError, match="too slowly"):
            base.post(client, url, "webhook test")
    assert time.monotonic() - start < 15.0
    gen.close()


def test_a_flooding_body_is_read_only_up_to_the_cap():
    gen = _serve("500 Internal Server Error", b"z" * 65536, 64, 0.0)  # 4 MiB offered
    url = next(gen)
    with httpx.Client(timeout=5.0) as client:
        response = base.post(client, url, "webhook test")
    assert response.status_code == 500
    assert len(response.content) == base.MAX_RESPONSE_BYTES
    with pytest.raises(TransientDeliveryError, match="HTTP 500"):
        base.check_http(response, "webhook test", response.text)
    gen.close()


def test_a_huge_retry_after_from_a_chat_api_is_capped():
    assert base.retry_after_seconds(str(1e308)) == base.MAX_RETRY_AFTER
    assert base.retry_after_seconds("nan") is None
