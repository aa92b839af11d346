"""The fast paths around vectorbt give exactly (bit for bit) the plain computation's figures.

``simulate`` and ``run_backtest`` build their inputs with numba passes, re-fee in place,
and compute the cost breakdown from the order records. Here the same backtests are also
run the plain way (shifted frames, ``np.where`` fee arrays, a 2-D size array, the fees
corrected on a copy of the records, per-fill costs with masks, as the first version of
the package did) and every figure is compared with ``==``, not a tolerance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from pandas.testing import assert_frame_equal, assert_series_equal

from optionsintel.backtest._vbt import vbt
from optionsintel.backtest.costs import (
    Brokerage,
    CostModel,
    cost_breakdown,
    fill_cost_breakdown,
    order_fee_rates,
    trade_dates,
)
from optionsintel.backtest.run import run_backtest
from optionsintel.backtest.simulation import simulate
from optionsintel.backtest.spec import BacktestSettings, ExitRules, Sizing
from optionsintel.errors import CostTableError

from .conftest import random_bars, random_signals


def _plain_fees(costs, dates, buy, cap_pct):
    if costs is None:
        return np.zeros(buy.shape), np.zeros(buy.shape)
    (pb, fb), (ps, fs) = order_fee_rates(costs, dates, "buy"), order_fee_rates(costs, dates, "sell")
    prop, fixed = np.where(buy, pb[:, None], ps[:, None]), np.where(buy, fb[:, None], fs[:, None])
    b = costs.brokerage
    if b.kind == "percent_capped":
        gst = costs.statutory_rates("gst", "buy", dates)[:, None]
        prop = prop + np.where(cap_pct, b.rate * (1 + gst), 0.0)
        fixed = fixed + np.where(cap_pct, 0.0, b.per_order * (1 + gst))
    return prop, fixed


def _plain_fills(rec, index, columns):
    return pd.DataFrame({
        "timestamp": index[rec["idx"]], "symbol": columns[rec["col"]],
        "side": np.where(rec["side"] == 0, "buy", "sell"), "price": rec["price"],
        "quantity": rec["size"], "fees": rec["fees"],
    })  # fmt: skip


def _plain_simulation(bars, entries, exits, cfg):
    """The simulation without the fast paths (re-fee on a copy, or re-run)."""
    close, costs = bars.close, cfg.costs
    shift = lambda f, v: f.reindex_like(close).fillna(False).shift(1, fill_value=v)  # noqa: E731
    ent, ext = (shift(f, False).to_numpy(bool) for f in (entries, exits))
    size, size_type = cfg.sizing.size_arrays(close, cfg.periods_per_year)
    size = pd.DataFrame(np.broadcast_to(size, close.shape)).shift(1).to_numpy()
    long = cfg.direction == "long"
    buy = np.where(ent & ~ext, long, not long)
    cap = np.zeros(close.shape, bool)
    b = None if costs is None else costs.brokerage
    if b is not None and b.kind == "percent_capped" and size_type == "value":
        cap[:] = b.rate * cfg.sizing.amount < b.per_order
    sig = {"entries": ent, "exits": ext} if long else {"short_entries": ent, "short_exits": ext}
    for _ in range(12):
        fees, fixed = _plain_fees(costs, trade_dates(close.index), buy, cap)
        pf = vbt.Portfolio.from_signals(
            close, **sig, size=size, size_type=size_type, price=bars.open, open=bars.open,
            high=bars.high, low=bars.low, fees=fees, fixed_fees=fixed,
            sl_stop=cfg.exit_rules.stop_loss or np.nan, stop_entry_price="fillprice",
            size_granularity=cfg.sizing.lot_size or np.nan, init_cash=cfg.init_cash,
            cash_sharing=cfg.portfolio == "shared",
            group_by=True if cfg.portfolio == "shared" else None, freq="1D",
        )  # fmt: skip
        rec = pf.order_records
        if costs is None:
            return pf
        idx, col, real = rec["idx"], rec["col"], rec["side"] == 0
        wrong = buy[idx, col] != real
        buy[idx, col] = real
        if b.kind == "percent_capped":
            pct = b.rate * rec["size"] * rec["price"] < b.per_order
            wrong |= cap[idx, col] != pct
            cap[idx, col] = pct
        if not wrong.any():
            return pf
        if size_type == "value":  # the case below has cash to spare: re-fee a copy
            fixed_rec = rec.copy()
            exact = cost_breakdown(_plain_fills(rec[wrong], close.index, close.columns), costs)
            fixed_rec["fees"][wrong] = exact.per_fill["total"].to_numpy()
            return pf.replace(order_records=fixed_rec)
    raise AssertionError("did not settle")


CASES = {
    "long, per symbol, stop, delivery: re-fee": BacktestSettings(
        exit_rules=ExitRules(stop_loss=0.02), sizing=Sizing(amount=20_000),
        costs=CostModel("equity_delivery"), portfolio="per_symbol", init_cash=1e6,
    ),
    "short, shared, volatility target, capped brokerage: re-run": BacktestSettings(
        direction="short", exit_rules=ExitRules(stop_loss=0.03),
        sizing=Sizing("volatility_target", fraction=0.1), portfolio="shared",
        costs=CostModel("equity_intraday", Brokerage("percent_capped", 20.0, 3e-4)),
    ),
    "long, per symbol, percent of equity, no costs": BacktestSettings(
        sizing=Sizing("percent_equity", fraction=0.5, lot_size=None), portfolio="per_symbol",
        costs=None,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_run_backtest_equals_the_plain_pipeline_exactly(name):
    bars = random_bars(300, 12, seed=21, start="2024-06-03")  # spans the 2024-10-01 changes
    entries, exits = random_signals(bars, seed=5, p=0.12)
    entries = entries.iloc[::2, :9]  # a subset of bars and symbols: aligned with False
    cfg = CASES[name]
    plain = _plain_simulation(bars, entries, exits, cfg)
    sim = simulate(bars, entries, exits, cfg)
    res = run_backtest(bars, entries, exits, cfg)
    assert len(sim.fills) > 100
    assert sim.refeed == ("re-fee" in name)
    assert sim.passes >= (2 if "re-run" in name else 1)
    assert_array_equal(sim.portfolio.order_records, plain.order_records)
    close = bars.close
    fills = _plain_fills(plain.order_records, close.index, close.columns)
    assert_frame_equal(res.fills, fills, check_exact=True)
    value = plain.value()  # per symbol: a column each; shared cash: one series
    equity = value.sum(axis=1) if isinstance(value, pd.DataFrame) else value
    assert_series_equal(res.equity, equity.rename("equity"), check_exact=True)
    trades = plain.exit_trades.values
    assert_array_equal(res.trades["pnl"], trades["pnl"])
    assert_array_equal(res.trades["direction"], np.where(trades["direction"] == 0, "long", "short"))
    if cfg.costs is not None:
        plain_costs = cost_breakdown(fills, cfg.costs)
        assert_frame_equal(res.costs.per_fill, plain_costs.per_fill, check_exact=True)
        assert_series_equal(res.costs.totals, plain_costs.totals, check_exact=True)
    expected = {str(k): float(v) for k, v in close.notna().mean().items()}
    assert res.inputs.coverage == expected


def _masked_breakdown(fills, m):
    """The per-fill components the way the first version computed them (masks per side)."""
    dates, side = trade_dates(fills["timestamp"]), fills["side"].to_numpy()
    value = np.abs(fills["price"].to_numpy(float) * fills["quantity"].to_numpy(float))
    out = {"brokerage": m.brokerage.amount(value)}
    for comp in ("stt", "exchange", "ipft", "sebi", "stamp"):
        amt = np.zeros(len(fills))
        for s in ("buy", "sell"):
            mask = side == s
            if mask.any():
                amt[mask] = m.statutory_rates(comp, s, dates[mask]) * value[mask]
        out[comp] = amt
    out["gst"] = m.statutory_rates("gst", "buy", dates) * sum(out[c] for c in m.table.gst_on)
    frame = pd.DataFrame(out)[["brokerage", "stt", "exchange", "ipft", "sebi", "stamp", "gst"]]
    frame["total"] = frame.sum(axis=1)
    return frame


@pytest.mark.parametrize("segment", ["equity_delivery", "equity_intraday", "futures", "options"])
@pytest.mark.parametrize("kind", ["flat", "percent", "percent_capped"])
def test_cost_breakdown_paths_equal_the_masked_computation(segment, kind):
    rng = np.random.default_rng(3)
    bar_times = pd.date_range("2023-01-02 09:15", "2025-06-30", freq="7D", tz="Asia/Kolkata")
    n = 2_000
    bar = rng.integers(0, len(bar_times), n)
    buy = rng.random(n) < 0.5
    price, qty = rng.uniform(1, 3_000, n), rng.integers(1, 500, n).astype(float)
    fills = pd.DataFrame({"timestamp": bar_times[bar], "side": np.where(buy, "buy", "sell"),
                          "price": price, "quantity": qty})  # fmt: skip
    model = CostModel(segment, Brokerage(kind, 20.0, 3e-4))
    expected = _masked_breakdown(fills, model)
    public = cost_breakdown(fills, model)
    by_bar = fill_cost_breakdown(model, trade_dates(bar_times), bar, buy, np.abs(price * qty))
    for got in (public, by_bar):
        assert_frame_equal(got.per_fill, expected, check_exact=True)
        assert_series_equal(got.totals, expected.sum(axis=0), check_exact=True)


def test_fast_breakdown_checks_the_dates_of_each_side_it_uses():
    dates = trade_dates(pd.DatetimeIndex(["2018-06-01", "2019-06-03", "2024-06-03"]))
    model = CostModel("equity_delivery")

    def costs(bar: int, buy: bool) -> float:
        one = lambda v: np.array([v])  # noqa: E731
        return fill_cost_breakdown(model, dates, one(bar), one(buy), one(1e5)).total

    with pytest.raises(CostTableError, match="2018-06-01 precedes"):
        costs(0, buy=False)
    # stamp duty (buyers only) was state-wise before 2020-07-01: a sale needs no stamp rate
    assert costs(1, buy=False) > 0
    with pytest.raises(CostTableError, match="stamp for equity_delivery on 2019-06-03"):
        costs(1, buy=True)
    assert costs(2, buy=True) > 0  # the uncovered first bar, unused, is not looked up
