"""Hand-computed backtests: fills, stops and exact dated costs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from optionsintel.backtest.costs import Brokerage, CostModel, cost_breakdown
from optionsintel.backtest.run import run_backtest
from optionsintel.backtest.simulation import simulate
from optionsintel.backtest.spec import Bars, ExitRules, Sizing
from optionsintel.errors import BacktestError

from .conftest import random_bars, random_signals


def six_bars(start="2025-01-06"):
    idx = pd.bdate_range(start, periods=6)
    f = lambda v: pd.DataFrame({"A": v}, index=idx, dtype=float)  # noqa: E731
    bars = Bars(
        close=f([100, 101, 100, 97, 96, 97]),
        open=f([100, 100, 101, 99, 95, 96]),
        high=f([101, 102, 102, 99, 97, 98]),
        low=f([99, 99, 96, 94, 93, 95]),
    )
    return bars, lambda bits: f(bits).astype(bool)


def test_signal_on_bar_t_fills_at_the_next_open_never_at_its_close(market):
    entries, exits = random_signals(market, seed=3)
    sim = simulate(market, entries, exits, sizing=Sizing(amount=10_000))
    fills = sim.fills
    assert len(fills) > 20
    for _, f in fills.iterrows():
        i = market.close.index.get_loc(f["timestamp"])
        signal = entries if f["side"] == "buy" else exits
        assert i > 0 and signal[f["symbol"]].iloc[i - 1]  # the signal was on the bar before
        assert f["price"] == market.open[f["symbol"]].iloc[i]
    same_bar = simulate(market, entries, exits, sizing=Sizing(amount=10_000), execution="close")
    for _, f in same_bar.fills.iterrows():
        assert f["price"] == market.close.at[f["timestamp"], f["symbol"]]


def test_hand_computed_delivery_round_trip_with_costs():
    bars, sig = six_bars()
    costs = CostModel("equity_delivery", Brokerage("flat", 20.0))
    res = run_backtest(bars, sig([1, 0, 0, 0, 0, 0]), sig([0, 0, 1, 0, 0, 0]),
                       sizing=Sizing(amount=10_000), costs=costs)  # fmt: skip
    # buy 100 @ 100 on 2025-01-07: 20 + STT 10 + NSE 0.297 + IPFT 0.01 + SEBI 0.01 + stamp 1.5
    #   + GST 0.18 x 20.317 = 35.47406
    # sell 100 @ 99 on 2025-01-09: 20 + 9.9 + 0.29403 + 0.0099 + 0.0099 + 0.18 x 20.31383
    buy_cost = 20 + 10 + 0.297 + 0.01 + 0.01 + 1.5 + 0.18 * 20.317
    sell_cost = 20 + 9.9 + 0.29403 + 0.0099 + 0.0099 + 0.18 * (20 + 0.29403 + 0.0099 + 0.0099)
    assert_allclose(res.fills["fees"], [buy_cost, sell_cost], rtol=1e-12)
    assert_allclose(res.fills["price"], [100.0, 99.0])
    assert_allclose(res.metrics["final_equity"], 1e6 - 100 - buy_cost - sell_cost, rtol=1e-14)
    assert_allclose(res.trades["pnl"].iloc[0], -100 - buy_cost - sell_cost, rtol=1e-12)
    assert_allclose(res.costs.total, buy_cost + sell_cost, rtol=1e-12)
    assert res.inputs.cost_table_version == costs.table.version
    assert res.metrics["n_trades"] == 1 and res.metrics["win_rate"] == 0.0


def test_hand_computed_short_futures_trade():
    bars, sig = six_bars()
    costs = CostModel("futures", Brokerage("flat", 20.0))
    res = run_backtest(bars, sig([1, 0, 0, 0, 0, 0]), sig([0, 0, 1, 0, 0, 0]), direction="short",
                       sizing=Sizing(amount=10_000), costs=costs)  # fmt: skip
    sell_cost = 20 + 2.0 + 0.173 + 0.01 + 0.01 + 0.18 * 20.193  # STT 0.02 % on the sale
    buy_cost = 20 + 0.17127 + 0.0099 + 0.0099 + 0.198 + 0.18 * (20 + 0.17127 + 0.0099 + 0.0099)
    assert list(res.fills["side"]) == ["sell", "buy"]
    assert_allclose(res.fills["fees"], [sell_cost, buy_cost], rtol=1e-12)
    assert_allclose(res.metrics["final_equity"], 1e6 + 100 - sell_cost - buy_cost, rtol=1e-14)


@pytest.mark.parametrize(("exit_bar", "stt"), [(2, 0.000125), (3, 0.0002)])
def test_futures_sale_before_and_after_the_october_2024_stt_change(exit_bar, stt):
    bars, sig = six_bars("2024-09-25")  # bars 25, 26, 27, 30 Sep, 1, 2 Oct
    exits = [0] * 6
    exits[exit_bar] = 1
    sim = simulate(bars, sig([1, 0, 0, 0, 0, 0]), sig(exits), sizing=Sizing(amount=10_000),
                   costs=CostModel("futures", Brokerage("zero")))  # fmt: skip
    sale = sim.fills.iloc[1]
    value = sale["price"] * sale["quantity"]
    exch = 1.9e-5 if exit_bar == 2 else 1.73e-5
    ipft = 10 / 1e7
    expected = value * (stt + exch + ipft + 1e-6 + 0.18 * (exch + ipft + 1e-6))
    assert_allclose(sale["fees"], expected, rtol=1e-12)


def test_stops_target_trailing_and_time_exit():
    bars, sig = six_bars()
    entry = sig([1, 0, 0, 0, 0, 0])

    def exit_of(rules):
        fills = simulate(bars, entry, None, exit_rules=rules, sizing=Sizing(amount=1000)).fills
        return str(fills["timestamp"].iloc[1].date()), fills["price"].iloc[1]

    assert exit_of(ExitRules(stop_loss=0.03)) == ("2025-01-08", 97.0)  # low 96 crosses 97
    assert exit_of(ExitRules(stop_loss=0.05)) == ("2025-01-09", 95.0)  # low 94 crosses 95
    assert exit_of(ExitRules(target=0.01)) == ("2025-01-08", 101.0)  # high 102 crosses 101
    assert exit_of(ExitRules(trailing_stop=0.03)) == ("2025-01-08", 97.0)
    assert exit_of(ExitRules(max_bars=2)) == ("2025-01-09", 99.0)  # open two bars after entry


def test_gap_through_the_stop_fills_at_the_open():
    bars, sig = six_bars()
    fills = simulate(bars, sig([0, 0, 1, 0, 0, 0]), None, exit_rules=ExitRules(stop_loss=0.03),
                     sizing=Sizing(amount=1000)).fills  # fmt: skip
    # bought at 99 on 2025-01-09 (stop 96.03); 2025-01-10 opens at 95, below the stop
    assert str(fills["timestamp"].iloc[1].date()) == "2025-01-10"
    assert fills["price"].iloc[1] == 95.0


def test_wrong_side_prediction_is_corrected_exactly():
    bars, sig = six_bars()
    costs = CostModel("equity_intraday", Brokerage("flat", 20.0))
    # an entry signal on bar 1 predicts a buy on bar 2, where the stop sells instead
    kw = {"exit_rules": ExitRules(stop_loss=0.03), "sizing": Sizing(amount=10_000), "costs": costs}
    refeed = simulate(bars, sig([1, 1, 0, 0, 0, 0]), None, **kw)
    rerun = simulate(bars, sig([1, 1, 0, 0, 0, 0]), None, rerun_only=True, **kw)
    assert (refeed.passes, refeed.refeed) == (1, True)
    assert (rerun.passes, rerun.refeed) == (2, False)
    for sim in (refeed, rerun):
        assert list(sim.fills["side"]) == ["buy", "sell"]
        expected = cost_breakdown(sim.fills, costs).per_fill["total"].to_numpy()
        assert_allclose(sim.fills["fees"], expected, rtol=1e-12)
    assert_allclose(refeed.portfolio.value(), rerun.portfolio.value(), rtol=1e-14)
    assert_allclose(refeed.portfolio.cash(), rerun.portfolio.cash(), rtol=1e-14)


def test_refeed_equals_rerun_on_a_universe(market):
    entries, exits = random_signals(market, seed=9, p=0.15)  # many entry signals in trades
    kw = {"exit_rules": ExitRules(stop_loss=0.02), "sizing": Sizing(amount=40_000),
          "costs": CostModel("equity_delivery"), "portfolio": "per_symbol"}  # fmt: skip
    refeed = run_backtest(market, entries, exits, **kw)
    rerun = simulate(market, entries, exits, rerun_only=True, **kw)
    assert rerun.passes >= 2
    assert simulate(market, entries, exits, **kw).refeed
    assert_allclose(refeed.equity, rerun.portfolio.value().sum(axis=1), rtol=1e-13)
    assert_allclose(refeed.fills["fees"], rerun.fills["fees"], rtol=1e-13)
    trades = rerun.portfolio.exit_trades.values
    assert_allclose(refeed.trades["pnl"], trades["pnl"], rtol=1e-12)


@pytest.mark.parametrize("brokerage", [Brokerage("flat"), Brokerage("percent_capped", 20, 3e-4)])
@pytest.mark.parametrize("sizing", [Sizing(amount=50_000), Sizing("percent_equity", fraction=0.2)])
def test_vectorbt_fees_equal_the_cost_breakdown(market, brokerage, sizing):
    entries, exits = random_signals(market, seed=11)
    costs = CostModel("equity_delivery", brokerage)
    res = run_backtest(market, entries, exits, sizing=sizing, costs=costs,
                       exit_rules=ExitRules(stop_loss=0.04), portfolio="per_symbol")  # fmt: skip
    assert len(res.fills) > 30
    assert_allclose(res.fills["fees"], res.costs.per_fill["total"], rtol=1e-10)
    assert_allclose(res.metrics["costs_paid"], res.costs.total, rtol=1e-12)


def test_lots_round_quantities_down():
    bars, sig = six_bars()
    sim = simulate(bars, sig([1, 0, 0, 0, 0, 0]), None, sizing=Sizing(amount=10_000, lot_size=75))
    assert sim.fills["quantity"].iloc[0] == 75.0


def test_volatility_target_scales_by_past_volatility(market):
    entries, exits = random_signals(market, seed=5)
    sim = simulate(
        market,
        entries,
        exits,
        portfolio="per_symbol",
        sizing=Sizing(
            "volatility_target", fraction=1.0, target_volatility=0.05, lookback=20, lot_size=None
        ),
    )
    fills = sim.fills[sim.fills["side"] == "buy"]
    assert len(fills) > 5
    sigma = market.close.pct_change().rolling(20).std() * np.sqrt(252)
    cash = sim.portfolio.cash()
    checked = 0
    for _, f in fills.iterrows():
        i = market.close.index.get_loc(f["timestamp"])
        s = sigma[f["symbol"]].iloc[i - 1]  # known at the signal bar
        if np.isfinite(s):  # a symbol enters flat, so its free cash is its equity
            frac = f["price"] * f["quantity"] / cash[f["symbol"]].iloc[i - 1]
            assert_allclose(frac, min(1.0, 0.05 / s), rtol=1e-9)
            checked += 1
    assert checked > 3


def test_bad_inputs_raise_clear_errors(market):
    entries, _ = random_signals(market, seed=1)
    with pytest.raises(BacktestError, match="boolean"):
        simulate(market, entries.astype(int), None)
    with pytest.raises(BacktestError, match="without prices"):
        simulate(market, entries.rename(columns={"S00": "ZZZ"}), None)
    with pytest.raises(BacktestError, match="bars without prices"):
        simulate(market, entries.set_axis(entries.index + pd.Timedelta(hours=1)), None)
    with pytest.raises(BacktestError, match="execution"):
        simulate(market, entries, None, execution="same_bar")
    with pytest.raises(BacktestError, match="not both"):
        ExitRules(stop_loss=0.1, trailing_stop=0.1)
    with pytest.raises(BacktestError):
        Bars(close=pd.DataFrame())


def test_shared_cash_universe_runs_and_reports(market):
    entries, exits = random_signals(market, seed=2)
    bench = market.close.mean(axis=1).pct_change()
    res = run_backtest(market, entries, exits, sizing=Sizing(amount=100_000),
                       costs=CostModel(), benchmark=bench, signal_source="random")  # fmt: skip
    assert res.inputs.universe == tuple(market.close.columns)
    assert set(res.benchmark.columns) == {"strategy", "benchmark"}
    assert 0 < res.metrics["exposure"] <= 1
    sim = simulate(market, entries, exits, sizing=Sizing(amount=100_000), costs=CostModel())
    held = (sim.portfolio.assets() != 0).any(axis=1).mean()
    assert_allclose(res.metrics["exposure"], held, rtol=1e-15)
    assert res.drawdown.max() <= 0
    assert_allclose((1 + res.returns).prod() * 1e6, res.metrics["final_equity"], rtol=1e-10)
    assert random_bars is not None


def test_symbol_listed_mid_sample_never_fills_on_missing_prices():
    idx = pd.bdate_range("2025-01-06", periods=8)
    close = pd.DataFrame(
        {"A": [np.nan, np.nan, 100, 101, 102, 103, 104, 105], "B": np.arange(50.0, 58.0)},
        index=idx,
    )
    entries = pd.DataFrame(False, index=idx, columns=["A", "B"])
    entries.iloc[0] = True  # A's next bar has no price: no order
    entries.iloc[3, 0] = True
    res = run_backtest(Bars(close, close.shift(1).fillna(close)), entries, None,
                       costs=CostModel(), sizing=Sizing(amount=1000))  # fmt: skip
    assert list(zip(res.fills["symbol"], res.fills["timestamp"].dt.day, strict=True)) == [
        ("B", 7),
        ("A", 10),
    ]
    assert res.inputs.coverage == {"A": 0.75, "B": 1.0}


def test_one_symbol_as_series():
    idx = pd.bdate_range("2025-01-06", periods=4)
    bars = Bars.from_close(pd.Series([100.0, 101, 102, 103], index=idx, name="NIFTY"))
    entries = pd.Series([True, False, False, False], index=idx)
    exits = pd.Series([False, False, True, False], index=idx)
    res = run_backtest(bars, entries, exits, execution="close", sizing=Sizing(amount=10_000))
    assert list(res.fills["price"]) == [100.0, 102.0]
    assert_allclose(res.metrics["final_equity"], 1e6 + 200.0)
    assert res.inputs.universe == ("NIFTY",)


def test_warm_up_runs_a_tiny_backtest():
    from optionsintel.backtest import warm_up

    assert warm_up() > 0


def test_cash_bound_shared_portfolio_settles_with_exact_fees():
    bars = random_bars(400, 12, seed=17, start="2023-06-01")
    entries, exits = random_signals(bars, seed=18, p=0.15)
    costs = CostModel("equity_delivery")
    sim = simulate(bars, entries, exits, exit_rules=ExitRules(stop_loss=0.02),
                   sizing=Sizing(amount=40_000), costs=costs, init_cash=150_000)  # fmt: skip
    assert sim.passes >= 2 and not sim.refeed  # cash binds: corrected by re-running
    expected = cost_breakdown(sim.fills, costs).per_fill["total"].to_numpy()
    assert_allclose(sim.fills["fees"], expected, rtol=1e-12)


@pytest.mark.parametrize("portfolio", ["shared", "per_symbol"])
def test_lowest_cash_from_orders_equals_vectorbt(market, portfolio):
    from optionsintel.backtest.simulation import _lowest_cash

    entries, exits = random_signals(market, seed=12)
    sim = simulate(market, entries, exits, sizing=Sizing(amount=90_000), costs=CostModel(),
                   portfolio=portfolio, init_cash=400_000)  # fmt: skip
    init = 400_000 if portfolio == "shared" else np.full(market.close.shape[1], 400_000.0)
    lowest = _lowest_cash(sim.portfolio.order_records, init)
    assert_allclose(lowest, min(np.min(np.asarray(sim.portfolio.cash())), 400_000), atol=1e-6)
