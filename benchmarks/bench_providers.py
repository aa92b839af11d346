"""Benchmark of the provider parsers on recorded real payloads (prints its figures).

Run: ``.venv/bin/python benchmarks/bench_providers.py``
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

from optionsintel.providers.nse import parse_option_chain
from optionsintel.providers.replay_files import data_root, read_bytes
from optionsintel.providers.replay_parse import parse_intraday_1m, parse_intraday_3m

_PREFIX = "nse_option_chain_indices_NIFTY_"
CHAINS = {
    "NIFTY 2019-08-23 (1807 contracts)": f"{_PREFIX}2019-08-23_aadityatamrakar.json",
    "NIFTY 2022-03-24 (1895 contracts)": f"{_PREFIX}2022-03-24_lakk1.json",
    "NIFTY 2025-07-16 (1338 contracts)": f"{_PREFIX}2025-07-16_ethanelliott50.json",
}


def median_ms(fn: Callable[[], object], repeats: int = 30) -> tuple[float, float]:
    """Median and minimum wall time of ``fn`` in milliseconds after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times)


def main() -> None:
    root = data_root()
    print("parse_option_chain (decoded JSON -> ParsedChain), target < 20 ms")
    for label, name in CHAINS.items():
        raw = read_bytes(root, "nse", name)
        payload = json.loads(raw)
        parse, parse_min = median_ms(lambda p=payload: parse_option_chain(p))
        decode, _ = median_ms(lambda r=raw: json.loads(r))
        print(
            f"  {label}: parse median {parse:6.2f} ms (min {parse_min:6.2f}); "
            f"json.loads {decode:6.2f} ms"
        )
    text_1m = read_bytes(root, "market", "intraday_1min_2021_JAN_NIFTY_d3v-S.txt").decode()
    text_3m = read_bytes(root, "market", "intraday_3min_NIFTY_helpdeskdcp.csv").decode()
    one, _ = median_ms(lambda: parse_intraday_1m(text_1m, "NIFTY"), 10)
    three, _ = median_ms(lambda: parse_intraday_3m(text_3m, "NIFTY"), 10)
    print(f"  1m file (7557 lines) parse median {one:6.2f} ms")
    print(f"  3m file (31770 lines) parse median {three:6.2f} ms")


if __name__ == "__main__":
    main()
