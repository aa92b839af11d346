"""Properties of options-leg backtests on random end-of-day chains (hypothesis).

Whatever the prices: a trade's P&L is the sum of its legs'; the equity ends at capital +
net P&L; a straddle held to expiry earns exactly (premium - intrinsic at settlement) x qty;
every fill's cost is non-negative and the result's cost total is the legs' sum.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optionsintel.backtest.options import LegRule, OptionsStrategySpec, chain_panel
from optionsintel.backtest.options import run_options_backtest as run

DAYS = pd.bdate_range("2024-01-15", "2024-01-18")  # Mon-Thu; expiry Thursday 2024-01-18
EXPIRY = dt.date(2024, 1, 18)
STRIKES = np.arange(21500.0, 22501.0, 50.0)


def _chain(spots: list[float], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for day, spot in zip(DAYS, spots, strict=True):
        for kind in ("CE", "PE"):
            intrinsic = np.maximum(STRIKES - spot, 0) if kind == "PE" else np.maximum(
                spot - STRIKES, 0)  # fmt: skip
            price = intrinsic + rng.uniform(1, 120, len(STRIKES))
            parts.append(pd.DataFrame({"underlying": "NIFTY", "provider": "p",
                                       "trade_date": day.date(), "expiry": EXPIRY,
                                       "strike": STRIKES, "option_type": kind, "close": price,
                                       "volume": 10.0, "underlying_price": spot}))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spots=st.lists(st.floats(21700, 22300), min_size=4, max_size=4),
    seed=st.integers(0, 10_000),
    side=st.sampled_from(["buy", "sell"]),
)
def test_pnl_adds_up_and_settles_at_intrinsic(spots, seed, side) -> None:
    rows = _chain(spots, seed)
    panel = chain_panel(rows, kind="eod", underlying="NIFTY", provider="p")
    spec = OptionsStrategySpec("s", "NIFTY", (LegRule("CE", side), LegRule("PE", side)))
    res = run(panel, spec)
    closed = res.trades[res.trades["status"] == "closed"]
    assert len(closed) == 3  # Mon-Wed entries; Thursday's close entry has nothing to hold
    per_trade = res.legs.groupby("trade_id")["pnl"].sum()
    assert np.allclose(closed.set_index("trade_id")["pnl"], per_trade)
    assert res.equity.iloc[-1] == pytest.approx(1_000_000 + closed["pnl"].sum())
    assert (res.costs.per_fill["total"] >= 0).all()
    assert res.costs.total == pytest.approx(res.legs["costs"].sum())
    settle = spots[-1]
    sign = 1 if side == "buy" else -1
    for _, leg in res.legs.iterrows():
        k = leg["strike"]
        intrinsic = max(settle - k, 0) if leg["option_type"] == "CE" else max(k - settle, 0)
        assert leg["exit_price"] == pytest.approx(intrinsic)
        expect = sign * (intrinsic - leg["entry_price"]) * leg["quantity"]
        assert leg["pnl_gross"] == pytest.approx(expect)
