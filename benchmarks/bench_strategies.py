"""Benchmark: the strategy builder's analytics for a 4-leg strategy on a 2,001-point grid.

Run: ``.venv/bin/python benchmarks/bench_strategies.py``. Prints the median of repeats (ms)
and, in brackets, the fastest run (other load on the machine inflates the median).
Target (issue 16): payoff, breakevens, POP and greeks of a 4-leg strategy on a 2,001-point
grid < 5 ms.

The 4-leg strategy is an iron condor (shorts 4 strikes out, wings 2 further) on the
recorded real NSE NIFTY chain of 2025-07-16, legs priced at their mids with the chain's
own IVs; the market (spot, parity forwards, ATM IVs) comes from the same snapshot. The
strategy object is built once (that step calls the calendar and is timed on its own);
every analytic after it works on the strategy's cached per-leg arrays. "Payoff" is two
curves: at the front expiry and at T+1 day with a +2 vol-point IV shift (Black-76 on
every leg). A 2-leg calendar (the Brent root-finding path) is timed for comparison.
"""

from __future__ import annotations

import gzip
import json
import statistics
import time
from collections.abc import Callable
from importlib.resources import files

from optionsintel.providers.nse import parse_option_chain
from optionsintel.strategies import (
    analyse_strategy,
    atm_strike,
    breakevens,
    build_strategy,
    calendar_spread,
    chain_quotes,
    expected_value,
    iron_condor,
    margin_estimate,
    market_from_chain,
    payoff_at,
    payoff_at_expiry,
    price_grid,
    probability_of_profit,
    sigma_levels,
    strategy_greeks,
)

NSE = files("optionsintel.providers") / "replay_data" / "nse"
AS_OF = "2025-07-16 15:30"
REPEATS = 300


def timed(fn: Callable[[], object], repeats: int = REPEATS) -> tuple[float, float]:
    """Median and fastest wall time of ``fn`` in ms (one warm-up call first)."""
    fn()
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(runs), min(runs)


def pop_given(strategy, be):
    """POP with the breakevens already found (as :func:`analyse_strategy` does)."""
    return probability_of_profit(strategy, breakeven=be)


def main() -> None:
    raw = (NSE / "nse_option_chain_indices_NIFTY_2025-07-16_ethanelliott50.json.gz").read_bytes()
    chain = parse_option_chain(json.loads(gzip.decompress(raw))).chain
    market = market_from_chain(chain, "NIFTY", AS_OF)
    quotes = chain_quotes(chain, "NIFTY", AS_OF)
    atm = atm_strike(market.spot, 50.0)
    # the front weekly expires the next day: take the following weekly for a livelier curve
    expiry, far = sorted(market.atm_ivs)[1], sorted(market.atm_ivs)[3]
    specs = iron_condor(atm, 50.0, expiry, 4, 2)

    def build():
        s = build_strategy("NIFTY", specs, market, quotes)
        _ = s.arrays
        return s

    strategy = build()
    grid = price_grid(strategy, points=2001)

    def payoff():
        payoff_at_expiry(strategy, grid)
        payoff_at(strategy, grid, days=1.0, iv_shift=0.02)

    def core():  # the target: payoff, breakevens, POP and greeks
        payoff()
        be = breakevens(strategy)
        probability_of_profit(strategy, breakeven=be)
        strategy_greeks(strategy)

    be = breakevens(strategy)
    rows = [
        ("build the strategy from the chain (4 leg quotes, calendar)", timed(build, 20)),
        ("price_grid (2,001 points)", timed(lambda: price_grid(strategy, points=2001))),
        ("payoff: expiry + T+1 day with IV +2 pts (2 x 2,001 points)", timed(payoff)),
        ("breakevens (exact)", timed(lambda: breakevens(strategy))),
        ("probability of profit (given breakevens)", timed(lambda: pop_given(strategy, be))),
        ("greeks per leg and net (DataFrame)", timed(lambda: strategy_greeks(strategy))),
        ("**payoff + breakevens + POP + greeks**", timed(core)),
        ("expected value", timed(lambda: expected_value(strategy))),
        ("sigma levels", timed(lambda: sigma_levels(strategy))),
        ("margin estimate (16 scenarios)", timed(lambda: margin_estimate(strategy))),
        ("analyse_strategy (every card)", timed(lambda: analyse_strategy(strategy))),
    ]  # fmt: skip
    cal = build_strategy("NIFTY", calendar_spread("CE", atm, expiry, far), market, quotes)
    rows += [
        ("calendar: breakevens (brentq)", timed(lambda: breakevens(cal), 50)),
        ("calendar: analyse_strategy", timed(lambda: analyse_strategy(cal), 50)),
    ]
    print(f"strategy: iron condor {atm:g} +-200/+-300 {expiry}, grid {grid[0]:.0f}..{grid[-1]:.0f}")
    print("| operation | median ms (min) |\n|---|---|")
    for name, (median, fastest) in rows:
        print(f"| {name} | {median:.2f} ({fastest:.2f}) |")


if __name__ == "__main__":
    main()
