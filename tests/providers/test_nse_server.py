"""End-to-end NSE fetch against a local HTTP server on 127.0.0.1 (stdlib http.server)."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from optionsintel.frames import validate_chain
from optionsintel.providers.base import AuthenticationError
from optionsintel.providers.nse import NSEProvider
from optionsintel.providers.replay_files import data_root, read_bytes

RECORDED = {
    "NIFTY": "nse_option_chain_indices_NIFTY_2025-07-17_ethanelliott50.json",
    "BANKNIFTY": "nse_option_chain_indices_BANKNIFTY_2023-05-03_lamba-manish.json",
}


class _NSEHandler(BaseHTTPRequestHandler):
    """Serves recorded chains; the API demands the cookie set by the home page."""

    cookie = "nsit=local-session"
    accept_cookies = True

    def log_message(self, *args: object) -> None:  # keep pytest output quiet
        pass

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if not url.path.startswith("/api/"):
            self.send_response(200)
            self.send_header("Set-Cookie", f"{self.cookie}; Path=/")
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>NSE</html>")
            return
        if not self.accept_cookies or self.cookie not in self.headers.get("Cookie", ""):
            self.send_response(401)
            self.end_headers()
            return
        symbol = parse_qs(url.query).get("symbol", [""])[0]
        body = gzip.compress(read_bytes(data_root(), "nse", RECORDED[symbol]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def local_nse() -> Iterator[tuple[str, type[_NSEHandler]]]:
    handler = type("Handler", (_NSEHandler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_end_to_end_fetch_of_recorded_chains(local_nse) -> None:
    base, _ = local_nse
    provider = NSEProvider(base_url=base, timeout=5)
    for symbol, expected_spot in (("NIFTY", 25111.45), ("BANKNIFTY", 43312.7)):
        parsed = provider.fetch_option_chain(symbol)
        validate_chain(parsed.chain)
        assert parsed.underlying == symbol
        assert parsed.quote["ltp"].iloc[0] == expected_spot
        assert parsed.nse_totals["CE"]["totOI"] > 0
    assert parsed.snapshot_ts == pd.Timestamp("2023-05-03 10:00", tz="UTC")


def test_end_to_end_server_refusing_the_session(local_nse) -> None:
    base, handler = local_nse
    handler.accept_cookies = False
    with pytest.raises(AuthenticationError, match="re-warming"):
        NSEProvider(base_url=base, timeout=5).get_option_chain("NIFTY")
