"""End-to-end NSE fetch against a local HTTP server on 127.0.0.1 (stdlib http.server)."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from optionsintel.collect.session import collect_tick
from optionsintel.frames import validate_chain
from optionsintel.providers.base import AuthenticationError
from optionsintel.providers.nse import NSEProvider
from optionsintel.providers.registry import build_provider
from optionsintel.providers.replay_files import data_root, read_bytes

RECORDED = {
    "NIFTY": "nse_option_chain_indices_NIFTY_2025-07-17_ethanelliott50.json",
    "BANKNIFTY": "nse_option_chain_indices_BANKNIFTY_2023-05-03_lamba-manish.json",
}


#: Two chains recorded the same day, for a collection tick (validated against its instant).
SAME_DAY = {
    "NIFTY": "nse_option_chain_indices_NIFTY_2020-04-20_aadityatamrakar.json",
    "BANKNIFTY": "nse_option_chain_indices_BANKNIFTY_2020-04-20_aadityatamrakar.json",
}


class _NSEHandler(BaseHTTPRequestHandler):
    """Serves recorded chains; the API demands the cookie set by the home page."""

    recorded = RECORDED
    cookie = "nsit=local-session"
    accept_cookies = True
    paths: list[str]  # every request path, in order (set per server)

    def log_message(self, *args: object) -> None:  # keep pytest output quiet
        pass

    def do_GET(self) -> None:
        url = urlparse(self.path)
        self.paths.append(url.path)
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
        body = gzip.compress(read_bytes(data_root(), "nse", self.recorded[symbol]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def local_nse() -> Iterator[tuple[str, type[_NSEHandler]]]:
    handler = type("Handler", (_NSEHandler,), {"paths": []})
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


def test_a_collection_tick_is_one_request_per_underlying(local_nse) -> None:
    base, handler = local_nse
    handler.recorded = SAME_DAY  # the tick's boundary check wants the chains' own day
    provider = build_provider("nse", base_url=base, timeout=5)
    underlyings = ["NIFTY", "BANKNIFTY"]
    ticks = pd.date_range("2020-04-20 10:00:15", periods=3, freq="15s", tz="UTC")
    got = collect_tick(provider, underlyings, ticks[0])
    warm_up = [p for p in handler.paths if not p.startswith("/api/")]
    assert warm_up == ["/", "/option-chain"]  # the session's cookies, once
    for tick in ticks[1:]:
        before = len(handler.paths)
        got = collect_tick(provider, underlyings, tick)
        assert handler.paths[before:] == ["/api/option-chain-indices"] * len(underlyings)
    assert "/api/allIndices" not in handler.paths
    quotes = got.quotes.set_index("underlying")
    assert quotes.loc["NIFTY", "ltp"] == 9261.85 and quotes.loc["BANKNIFTY", "ltp"] == 20522.65
    assert got.rejected.empty and not got.refused  # real answers pass the boundary whole
    assert (got.chains["snapshot_ts"] == ticks[-1]).all()
    assert set(got.chains["provider"]) == {"nse"}


def test_failover_snapshot_keeps_one_request_per_underlying(local_nse) -> None:
    base, handler = local_nse
    nse = NSEProvider(base_url=base, timeout=5)
    chain = build_provider("failover", chain=[nse], cache_ttl=0)
    snap = chain.snapshot("NIFTY")
    api = [p for p in handler.paths if p.startswith("/api/")]
    assert api == ["/api/option-chain-indices"]
    assert snap.quote["provider"].tolist() == ["nse"] and snap.chain.attrs["fallback"] is False
    assert snap.quote["ltp"].iloc[0] == snap.chain["underlying_price"].iloc[0]
