"""Greeks benchmark (issue 21): ``pricing.greeks`` vs a plain NumPy implementation.

1,000,000 Black-76 options (NIFTY/BANKNIFTY-like forwards, strikes within ~±30 %, expiries
one hour to two years, smile vols, calls/puts 50/50, option types given as "CE"/"PE"
strings). Both sides take the same arrays and return the same seven columns (delta,
gamma, vega, vega_pct, theta per year and per day, rho) as a DataFrame; the peer is the
textbook NumPy formulation (scipy's ``ndtr`` for N). They run interleaved, round by
round, so machine load hits both alike; the ratio of medians is the figure to read.

Run: ``python benchmarks/bench_greeks.py [--n 1000000] [--rounds 9]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import pandas as pd
from scipy.special import ndtr

from optionsintel.pricing import greeks


def numpy_greeks(F, K, T, r, sigma, option_type) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The plain NumPy peer (Black-76: carry = rate)."""
    theta = np.where(option_type == "CE", 1.0, -1.0)
    sqrt_T = np.sqrt(T)
    total_vol = sigma * sqrt_T
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = np.log(F / K) / total_vol + 0.5 * total_vol
        d2 = d1 - total_vol
        df = np.exp(-r * T)
        pdf = np.exp(-0.5 * d1 * d1) / np.sqrt(2.0 * np.pi)
        n_d1, n_d2 = ndtr(theta * d1), ndtr(theta * d2)
        price = theta * df * (F * n_d1 - K * n_d2)
        vega = F * df * pdf * sqrt_T
        theta_year = -F * df * pdf * sigma / (2.0 * sqrt_T) + r * price
        return pd.DataFrame(
            {
                "delta": theta * df * n_d1,
                "gamma": df * pdf / (F * total_vol),
                "vega": vega,
                "vega_pct": 0.01 * vega,
                "theta_per_year": theta_year,
                "theta_per_day": theta_year / 365.0,
                "rho": -T * price,
            }
        )


def options(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    F = np.where(rng.random(n) < 0.5, 25000.0, 56000.0) * rng.uniform(0.97, 1.03, n)
    K = F * np.exp(rng.normal(0.0, 0.1, n))
    T = np.exp(rng.uniform(np.log(1 / 365 / 24), np.log(2.0), n))
    sigma = 0.12 + 0.4 * np.log(K / F) ** 2 + rng.uniform(0.0, 0.05, n)
    kind = np.where(rng.random(n) < 0.5, "CE", "PE").astype(object)
    return {"F": F, "K": K, "T": T, "r": np.full(n, 0.065), "sigma": sigma, "type": kind}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args()
    o = options(args.n)
    a = (o["F"], o["K"], o["T"], o["r"], o["sigma"], o["type"])
    start = time.perf_counter()
    ours = greeks(*a)
    cold = time.perf_counter() - start
    peer = numpy_greeks(*a)
    scale = peer.abs().to_numpy() + 1.0
    worst = float(np.nanmax(np.abs(ours.to_numpy() - peer.to_numpy()) / scale))
    same = np.array_equal(ours.to_numpy(), peer.to_numpy(), equal_nan=True)
    runs = {
        "optionsintel greeks": lambda: greeks(*a),
        "plain NumPy": lambda: numpy_greeks(*a),
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    for i in range(args.rounds):
        for name in runs if i % 2 == 0 else list(reversed(runs)):
            s = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - s)
    print(f"{args.n:,} options, {args.rounds} rounds interleaved, load {os.getloadavg()}")
    print(f"  first call in this process: {cold:.3f} s")
    base = statistics.median(times["plain NumPy"])
    for name, v in times.items():
        med = statistics.median(v)
        print(f"  {name:<30} median {med:.3f} s  min {min(v):.3f} s  "
              f"{args.n / med / 1e6:5.1f} M/s  NumPy / this {base / med:.2f}x")  # fmt: skip
    print(f"  max |ours - numpy| / (|numpy| + 1): {worst:.1e} (bit-identical: {same})")


if __name__ == "__main__":
    main()
