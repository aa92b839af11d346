"""vectorbt's P&L equals an independent, straightforward NumPy loop on a random universe."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from optionsintel.backtest._vbt import rust_available
from optionsintel.backtest.costs import Brokerage, CostModel, cost_breakdown
from optionsintel.backtest.run import run_backtest
from optionsintel.backtest.spec import ExitRules, Sizing

from .conftest import random_bars, random_signals

INIT, AMOUNT, SL, TP = 1_000_000.0, 50_000.0, 0.04, 0.08


def _cost(model, ts, side, price, qty):
    one = pd.DataFrame({"timestamp": [ts], "side": [side], "price": [price], "quantity": [qty]})
    return cost_breakdown(one, model).total


def _stop_price(o, h, lo, entry, long):
    """Stop-loss first, then target; a gap through the level fills at the open."""
    sl = entry * (1 - SL) if long else entry * (1 + SL)
    tp = entry * (1 + TP) if long else entry * (1 - TP)
    if long:
        if lo <= sl:
            return min(o, sl)
        if h >= tp:
            return max(o, tp)
    else:
        if h >= sl:
            return max(o, sl)
        if lo <= tp:
            return min(o, tp)
    return None


def reference_loop(bars, entries, exits, model, long=True):
    """Per-symbol cash, next-open fills, whole shares, stops from the next bar on."""
    o, h, lo, c = (bars.field(k).to_numpy() for k in ("open", "high", "low", "close"))
    e, x = entries.to_numpy(), exits.to_numpy()
    idx = bars.close.index
    n, m = c.shape
    equity = np.zeros((n, m))
    fills = []
    sign = 1 if long else -1
    for j in range(m):
        cash, qty, entry, entry_i = INIT, 0.0, np.nan, -1

        def trade(i, side, price, q, symbol=bars.close.columns[j]):
            nonlocal cash
            fee = _cost(model, idx[i], side, price, q)
            cash += (-1 if side == "buy" else 1) * price * q - fee
            fills.append((idx[i], symbol, side, price, q, fee))

        for i in range(n):
            stopped = False
            if qty and i > entry_i:
                p = _stop_price(o[i, j], h[i, j], lo[i, j], entry, long)
                if p is not None:
                    trade(i, "sell" if long else "buy", p, qty)
                    qty, stopped = 0.0, True
            if i and not stopped:
                go, leave = e[i - 1, j] and not x[i - 1, j], x[i - 1, j] and not e[i - 1, j]
                if not qty and go:
                    qty = float(math.floor(AMOUNT / o[i, j]))
                    entry, entry_i = o[i, j], i
                    trade(i, "buy" if long else "sell", o[i, j], qty)
                elif qty and leave:
                    trade(i, "sell" if long else "buy", o[i, j], qty)
                    qty = 0.0
            equity[i, j] = cash + sign * qty * c[i, j]
    cols = ["timestamp", "symbol", "side", "price", "quantity", "fees"]
    return equity.sum(axis=1), pd.DataFrame(fills, columns=cols)


ENGINES = ["numba", "rust"] if rust_available() else ["numba"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("long", [True, False])
def test_vectorbt_equals_the_numpy_loop(long, engine):
    bars = random_bars(220, 8, seed=42, start="2024-06-03")  # spans the October 2024 changes
    entries, exits = random_signals(bars, seed=43, p=0.07)
    model = CostModel("equity_intraday" if long else "futures", Brokerage("flat", 20.0))
    res = run_backtest(
        bars, entries, exits, direction="long" if long else "short",
        exit_rules=ExitRules(stop_loss=SL, target=TP), sizing=Sizing(amount=AMOUNT),
        costs=model, init_cash=INIT, portfolio="per_symbol", engine=engine,
    )  # fmt: skip
    ref_equity, ref_fills = reference_loop(bars, entries, exits, model, long)
    got = res.fills.sort_values(["symbol", "timestamp"]).reset_index(drop=True)
    ref = ref_fills.sort_values(["symbol", "timestamp"]).reset_index(drop=True)
    assert len(got) == len(ref) > 60
    assert (got["side"] == ref["side"]).all() and (got["timestamp"] == ref["timestamp"]).all()
    assert_allclose(
        got[["price", "quantity", "fees"]], ref[["price", "quantity", "fees"]], rtol=1e-12
    )
    assert_allclose(res.equity.to_numpy(), ref_equity, rtol=1e-12)
