"""Benchmark of the failover layer and the Angel One parsers (prints its figures).

Run: ``.venv/bin/python benchmarks/bench_failover.py``

Cases: overhead of ``FailoverProvider`` per call (cache hit; cache miss over an in-memory
provider that returns a prebuilt frame), instrument-master normalisation and lookups at
full-master size (the recorded 46 real NIFTY rows are replicated with new tokens and
strikes to 150,000 rows; only the size is synthetic), and parsing a 50-token FULL quote
(the recorded SBIN row re-keyed).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from optionsintel.frames import QUOTE_COLUMNS
from optionsintel.providers.angelone_parse import parse_market_quote
from optionsintel.providers.angelone_scrip import ScripMaster, scrip_frame
from optionsintel.providers.failover import FailoverProvider
from optionsintel.providers.resilience import RetryPolicy

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "angelone"


def median_ms(fn: Callable[[], object], repeats: int = 20) -> float:
    """Median wall time of ``fn`` in milliseconds after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


class StaticProvider:
    name = "nse"

    def __init__(self) -> None:
        row = dict.fromkeys(QUOTE_COLUMNS, 1.0)
        row.update(underlying="NIFTY", provider="nse")
        self.frame = pd.DataFrame([row], columns=list(QUOTE_COLUMNS))

    def get_quote(self, underlying: str) -> pd.DataFrame:
        return self.frame

    get_option_chain = get_candles = None  # type: ignore[assignment]


def big_master(n: int = 150_000) -> list[dict]:
    base = json.loads((DATA / "scrip_master_excerpt_NFO_NIFTY_05MAY2022_options.json").read_text())
    rows = []
    for i in range(n):
        r = dict(base[i % len(base)])
        r["token"] = str(100000 + i)
        r["strike"] = f"{(10000 + (i // len(base)) * 50) * 100:.6f}"
        rows.append(r)
    return rows


def main() -> None:
    fo_hit = FailoverProvider([StaticProvider()], allow_synthetic_fallback=False)
    fo_miss = FailoverProvider(
        [StaticProvider()], allow_synthetic_fallback=False, cache_ttl=0,
        retry_policy=RetryPolicy(max_attempts=1),
    )  # fmt: skip
    hit = median_ms(lambda: fo_hit.get_quote("NIFTY"), 200)
    miss = median_ms(lambda: fo_miss.get_quote("NIFTY"), 200)
    print(f"failover get_quote, cache hit:  {hit:.3f} ms")
    print(f"failover get_quote, cache miss: {miss:.3f} ms")

    rows = big_master()
    print(f"scrip_frame 150k rows:          {median_ms(lambda: scrip_frame(rows), 3):.0f} ms")
    master = ScripMaster.from_records(rows)
    exp = dt.date(2022, 5, 5)
    token = median_ms(lambda: master.option_token("NIFTY", exp, 16400, "PE"), 20)
    chain = median_ms(lambda: master.options("NIFTY", exp), 20)
    print(f"option_token lookup (150k):     {token:.1f} ms")
    print(f"options() one expiry (150k):    {chain:.1f} ms")

    full = json.loads((DATA / "market_quote_FULL_SBIN-EQ_response.json").read_text())["data"]
    fetched = []
    for i in range(50):
        r = copy.deepcopy(full["fetched"][0])
        r["symbolToken"] = str(i)
        fetched.append(r)
    data = {"fetched": fetched, "unfetched": []}
    quote = median_ms(lambda: parse_market_quote(data), 50)
    print(f"parse_market_quote 50 FULL:     {quote:.2f} ms")


if __name__ == "__main__":
    main()
