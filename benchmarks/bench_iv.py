"""Benchmark: implied volatility of 1,000,000 Black-76 options, ours vs py_vollib(_vectorized).

One command produces every figure::

    .venv/bin/python benchmarks/bench_iv.py

The comparison libraries live in a separate virtual environment because
py_vollib_vectorized 0.1.1 breaks with current py_vollib/py_lets_be_rational; set it up
once with::

    python3 -m venv benchmarks/.venv-bench
    benchmarks/.venv-bench/bin/pip install "py_vollib==1.0.1" "py_lets_be_rational==1.0.1" \
        "py_vollib_vectorized==0.1.1" numba pandas scipy

The script runs the comparison part in that venv through a subprocess (the same
inputs travel in a temporary ``.npz``). Cold calls include numba compilation: each
process points ``NUMBA_CACHE_DIR`` at an empty temporary directory first. Warm
figures are medians of 5 calls. Accuracy is the largest absolute price error after
the round trip price -> iv -> price (repriced with optionsintel's Black-76), over the
options each library solved.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR", tempfile.mkdtemp(prefix="bench_iv_numba_"))

import numpy as np

N_OPTIONS = 1_000_000
N_PURE_PYTHON = 10_000
WARM_REPEATS = 5
BENCH_VENV_PYTHON = Path(__file__).resolve().parent / ".venv-bench" / "bin" / "python"


def make_options(n: int, seed: int = 7) -> dict[str, np.ndarray]:
    """A NIFTY/BANKNIFTY-like mixture: expiries 1 hour .. 1 year, strikes +-4 sd plus tails."""
    rng = np.random.default_rng(seed)
    forward = np.where(rng.random(n) < 0.6, 24_000.0, 52_000.0) * rng.uniform(0.97, 1.03, n)
    days = rng.choice([1 / 24, 0.5, 1, 2, 3, 5, 7, 14, 30, 60, 90, 180, 365], size=n)
    time_to_expiry = days / 365.0
    atm_vol = rng.uniform(0.09, 0.35, n)
    sd = atm_vol * np.sqrt(time_to_expiry)
    z = np.where(rng.random(n) < 0.9, rng.uniform(-4.0, 4.0, n), rng.uniform(-10.0, 10.0, n))
    strike = np.round(forward * np.exp(z * sd) / 50.0) * 50.0
    strike = np.maximum(strike, 50.0)
    volatility = atm_vol * (1.0 + 0.15 * z * z / 4.0)  # a smile
    sign = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    rate = np.full(n, 0.065)
    from optionsintel.pricing import black76_price

    price = black76_price(forward, strike, time_to_expiry, rate, volatility, sign)
    return dict(price=price, forward=forward, strike=strike, time_to_expiry=time_to_expiry,
                rate=rate, sign=sign, volatility=volatility)  # fmt: skip


def round_trip_error(opts: dict[str, np.ndarray], iv: np.ndarray) -> tuple[float, int]:
    """Largest |price(iv) - price| over solved options, and how many were solved."""
    from optionsintel.pricing import black76_price

    ok = np.isfinite(iv) & (iv > 0)
    repriced = black76_price(opts["forward"][ok], opts["strike"][ok], opts["time_to_expiry"][ok],
                             opts["rate"][ok], iv[ok], opts["sign"][ok])  # fmt: skip
    return float(np.max(np.abs(repriced - opts["price"][ok]))), int(ok.sum())


def _timed(fn, repeats: int) -> tuple[float, list[float], np.ndarray]:
    start = time.perf_counter()
    result = fn()
    cold = time.perf_counter() - start
    warm = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        warm.append(time.perf_counter() - start)
    return cold, warm, result


def bench_ours(opts: dict[str, np.ndarray]) -> dict:
    from optionsintel.pricing import implied_volatility

    def run() -> np.ndarray:
        return implied_volatility(opts["price"], opts["forward"], opts["strike"],
                                  opts["time_to_expiry"], opts["rate"], opts["sign"])  # fmt: skip

    cold, warm, iv = _timed(run, WARM_REPEATS)
    return {"cold_s": cold, "warm_median_s": float(np.median(warm)), "iv": iv}


def bench_vollib(path: str) -> dict:
    """Runs inside benchmarks/.venv-bench: py_vollib_vectorized on all, py_vollib on a sample."""
    import py_vollib.black.implied_volatility as pure

    pure_implied_volatility = pure.implied_volatility  # bound before the patching import below
    import py_vollib_vectorized as vec  # it monkey-patches py_vollib on import

    d = dict(np.load(path))
    flag = np.where(d["sign"] > 0, "c", "p")

    def run() -> np.ndarray:
        return vec.vectorized_implied_volatility_black(
            d["price"], d["forward"], d["strike"], d["rate"], d["time_to_expiry"], flag,
            on_error="ignore", return_as="numpy",
        ).reshape(-1)  # fmt: skip

    cold, warm, iv = _timed(run, WARM_REPEATS)
    m = N_PURE_PYTHON
    sample_iv = np.full(m, np.nan)
    start = time.perf_counter()
    for i in range(m):  # py_vollib is scalar-only: the loop is what is being measured
        # py_vollib raises for below-intrinsic quotes; those stay NaN
        with contextlib.suppress(Exception):
            sample_iv[i] = pure_implied_volatility(
                d["price"][i], d["forward"][i], d["strike"][i], d["rate"][i],
                d["time_to_expiry"][i], flag[i],
            )  # fmt: skip
    pure_s = time.perf_counter() - start
    np.savez(path + ".out.npz", iv=iv, sample_iv=sample_iv)
    return {"cold_s": cold, "warm_median_s": float(np.median(warm)), "pure_sample_s": pure_s}


def main() -> None:
    import platform

    import numba

    opts = make_options(N_OPTIONS)
    ours = bench_ours(opts)
    ours_err, ours_ok = round_trip_error(opts, ours["iv"])
    print(f"date {time.strftime('%Y-%m-%d')}, {platform.machine()} {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, numba {numba.__version__}, "
          f"threads {numba.get_num_threads()}")  # fmt: skip
    print(
        f"options: {N_OPTIONS:,} Black-76, expiries 1 hour..1 year, strikes +-4 sd (10 % +-10 sd)"
    )
    print(f"optionsintel           cold {ours['cold_s']:7.2f} s  "
          f"warm {ours['warm_median_s']:7.3f} s  "
          f"solved {ours_ok:,}  max |price err| {ours_err:.2e}")  # fmt: skip
    if not BENCH_VENV_PYTHON.exists():
        print(f"comparison skipped: {BENCH_VENV_PYTHON} missing (setup in this file's docstring)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "opts.npz")
        np.savez(path, **opts)
        env = {**os.environ, "NUMBA_CACHE_DIR": os.path.join(tmp, "numba")}
        out = subprocess.run([str(BENCH_VENV_PYTHON), __file__, "--vollib", path], env=env,
                             check=True, capture_output=True, text=True)  # fmt: skip
        theirs = json.loads(out.stdout.strip().splitlines()[-1])
        results = np.load(path + ".out.npz")
        vec_err, vec_ok = round_trip_error(opts, results["iv"])
        sample = {k: v[:N_PURE_PYTHON] for k, v in opts.items()}
        pure_err, pure_ok = round_trip_error(sample, results["sample_iv"])
    print(f"py_vollib_vectorized   cold {theirs['cold_s']:7.2f} s  "
          f"warm {theirs['warm_median_s']:7.3f} s  "
          f"solved {vec_ok:,}  max |price err| {vec_err:.2e}")  # fmt: skip
    per_million = theirs["pure_sample_s"] * N_OPTIONS / N_PURE_PYTHON
    print(f"py_vollib (10k sample) {theirs['pure_sample_s']:7.2f} s  "
          f"(= {per_million:.0f} s per million)  "
          f"solved {pure_ok:,}/{N_PURE_PYTHON:,}  max |price err| {pure_err:.2e}")  # fmt: skip
    speedup = theirs["warm_median_s"] / ours["warm_median_s"]
    print(f"warm speed-up vs py_vollib_vectorized: {speedup:.1f}x")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--vollib":
        print(json.dumps(bench_vollib(sys.argv[2])))
    else:
        main()
