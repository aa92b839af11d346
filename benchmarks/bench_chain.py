"""Benchmark: chain analytics on a full real NIFTY snapshot; eight detectors on 200 underlyings.

Run: ``.venv/bin/python benchmarks/bench_chain.py``. Prints the median of repeats (ms)
and, in brackets, the fastest run (the machine's other load inflates the median).
Targets: chain analytics of one full snapshot < 10 ms; detect_signals on 200 underlyings
< 100 ms.
"""

from __future__ import annotations

import gzip
import json
import statistics
import time
from importlib.resources import files

import numpy as np
import pandas as pd

from optionsintel import chain as ch
from optionsintel.providers.nse import parse_option_chain
from optionsintel.signals import detect_signals

NSE = files("optionsintel.providers") / "replay_data" / "nse"


def load(name: str) -> pd.DataFrame:
    raw = (NSE / f"nse_option_chain_indices_{name}.json.gz").read_bytes()
    return parse_option_chain(json.loads(gzip.decompress(raw))).chain


class Timing(float):
    """Median wall time in ms; ``str`` adds the fastest run."""

    fastest: float

    def __format__(self, spec: str) -> str:
        return f"{float(self):{spec}} (min {self.fastest:{spec}})"


def timed(fn, repeat: int = 15) -> Timing:
    fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    out = Timing(statistics.median(runs))
    out.fastest = min(runs)
    return out


def many(chain: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` perturbed copies of a real chain under different underlying names."""
    parts = []
    for i in range(n):
        c = chain.copy()
        c["underlying"] = f"U{i:03d}"
        c["oi"] = np.round(c["oi"] * rng.uniform(0.7, 1.4, len(c)))
        c["volume"] = np.round(c["volume"] * rng.uniform(0.5, 3.0, len(c)))
        parts.append(c)
    return pd.concat(parts, ignore_index=True)


def main() -> None:
    a, b = load("NIFTY_2025-07-16_ethanelliott50"), load("NIFTY_2025-07-17_ethanelliott50")
    print(f"NIFTY 2025-07-16 chain: {len(a)} contracts, {a['expiry'].nunique()} expiries")
    one = timed(lambda: ch.chain_summary(a), 41)
    print(f"chain_summary (all analytics, one snapshot): {one:.2f} ms")
    for name, fn in [
        ("pcr", ch.pcr), ("max_pain", ch.max_pain), ("gamma_exposure", ch.gamma_exposure),
        ("gamma_flip_level", ch.gamma_flip_level), ("atm_iv", ch.atm_iv),
        ("constant_maturity_iv", ch.constant_maturity_iv),
        ("straddle_expected_move", ch.straddle_expected_move),
        ("support_resistance", ch.support_resistance), ("iv_smile", ch.iv_smile),
    ]:  # fmt: skip
        print(f"  {name}: {timed(lambda fn=fn: fn(a)):.2f} ms")
    rng = np.random.default_rng(42)
    prev, cur = many(a, 200, rng), many(b, 200, rng)
    print(f"200 underlyings: {len(cur)} contracts per snapshot")
    out = detect_signals(prev, cur)
    ms = timed(lambda: detect_signals(prev, cur), repeat=15)
    print(f"detect_signals, 200 underlyings x all expiries: {ms:.1f} ms ({len(out)} signals)")
    print(f"chain_summary, 200 underlyings: {timed(lambda: ch.chain_summary(cur), 5):.1f} ms")


if __name__ == "__main__":
    main()
