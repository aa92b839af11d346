"""Options-leg engine on small hand-made intraday chains: every exit rule, fills, refusals.

NIFTY, Monday 2024-01-01 and Tuesday 2024-01-02, one-minute snapshots 09:15-15:30 IST;
the current weekly expiry listed those days is Thursday 2024-01-04, lot size 50, strike
step 50. Spot 21,000 throughout, so ATM is 21000. Prices are set per test so that each
rule fires at a known minute.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from optionsintel.backtest.costs import Brokerage, CostModel
from optionsintel.backtest.options import (
    EntryRule,
    Execution,
    ExitRule,
    LegRule,
    OptionsStrategySpec,
    chain_panel,
    choose_expiry,
    run_options_backtest,
)
from optionsintel.errors import BacktestError

EXPIRY = dt.date(2024, 1, 4)
STRIKES = (20900.0, 21000.0, 21100.0)
FREE = CostModel(
    segment="options", brokerage=Brokerage("zero")
)  # statutory costs remain: P&L checked gross


def _times(day: str) -> pd.DatetimeIndex:
    return pd.date_range(f"{day} 09:15", f"{day} 15:30", freq="1min", tz="Asia/Kolkata")


def _rows(prices: dict[tuple[float, str], np.ndarray], times: pd.DatetimeIndex, **extra):
    parts = []
    for (strike, kind), path in prices.items():
        parts.append(pd.DataFrame({
            "underlying": "NIFTY", "provider": "test", "snapshot_ts": times.tz_convert("UTC"),
            "expiry": EXPIRY, "strike": strike, "option_type": kind, "ltp": path,
            "underlying_price": 21000.0, **extra,
        }))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def _flat(times, value=100.0):
    return {(k, t): np.full(len(times), value) for k in STRIKES for t in ("CE", "PE")}


def _spec(*legs, **kw) -> OptionsStrategySpec:
    entry = kw.pop("entry", EntryRule(time=dt.time(9, 20)))
    return OptionsStrategySpec("t", "NIFTY", tuple(legs), entry=entry, **kw)


def _panel(rows):
    return chain_panel(rows, kind="intraday", underlying="NIFTY", provider="test")


def test_time_exit_fills_at_the_minute_and_pnl_is_exact() -> None:
    times = _times("2024-01-01")
    prices = _flat(times)
    prices[(21000.0, "CE")] = np.linspace(100, 40, len(times))  # decays over the day
    spec = _spec(LegRule("CE", "sell"), exit=ExitRule(time=dt.time(15, 0)))
    res = run_options_backtest(_panel(_rows(prices, times)), spec, costs=FREE)
    leg = res.legs.iloc[0]
    i_in, i_out = 5, 345  # 09:20 and 15:00 are minutes 5 and 345 after 09:15
    step = 60 / (len(times) - 1)
    assert leg["strike"] == 21000 and leg["expiry"] == EXPIRY and leg["lot_size"] == 50
    assert leg["entry_price"] == pytest.approx(100 - i_in * step)
    assert leg["exit_price"] == pytest.approx(100 - i_out * step)
    assert leg["pnl_gross"] == pytest.approx((i_out - i_in) * step * 50)  # sold: gains the decay
    assert res.trades.iloc[0]["exit_reason"] == "time"


def test_combined_target_stop_trailing_and_reentry() -> None:
    times = _times("2024-01-01")
    path = np.full(len(times), 100.0)
    path[30:] = 110.0  # 09:45: the sold CE rises by 10 -> -500 rupees on one lot
    prices = _flat(times)
    prices[(21000.0, "CE")] = path
    rows = _rows(prices, times)
    stop = _spec(LegRule("CE", "sell"), exit=ExitRule(stop_loss=400.0, time=dt.time(15, 0)),
                 reentries=1)  # fmt: skip
    res = run_options_backtest(_panel(rows), stop, costs=FREE)
    first, again = res.trades.iloc[0], res.trades.iloc[1]
    assert first["exit_reason"] == "stop_loss" and first["pnl_gross"] == pytest.approx(-500.0)
    assert first["exit_time"] == times[30]
    assert again["attempt"] == 1 and again["entry_time"] == times[31]  # re-entered next minute
    assert again["exit_reason"] == "time" and again["pnl_gross"] == pytest.approx(0.0)
    # a bought CE: target +400 hits at 09:45; trailing 300 never (P&L never falls back)
    long = _spec(
        LegRule("CE", "buy"), exit=ExitRule(target=400.0, trailing=300.0, time=dt.time(15, 0))
    )
    assert run_options_backtest(_panel(rows), long, costs=FREE).trades.iloc[0][
        "exit_reason"] == "target"  # fmt: skip
    path2 = path.copy()
    path2[60:] = 103.0  # falls 7 from the 110 peak: P&L 500 -> 150, below 500 - 300
    prices[(21000.0, "CE")] = path2
    trail = _spec(LegRule("CE", "buy"), exit=ExitRule(trailing=300.0, time=dt.time(15, 0)))
    t = run_options_backtest(_panel(_rows(prices, times)), trail, costs=FREE).trades.iloc[0]
    assert t["exit_reason"] == "trailing" and t["exit_time"] == times[60]
    assert t["pnl_gross"] == pytest.approx(150.0)


def test_per_leg_stop_closes_one_leg_and_the_other_runs_on() -> None:
    times = _times("2024-01-01")
    prices = _flat(times)
    ce = np.full(len(times), 100.0)
    ce[100:] = 160.0  # +60 %: beyond a 50 % leg stop
    prices[(21000.0, "CE")] = ce
    spec = _spec(LegRule("CE", "sell", stop_loss=0.5), LegRule("PE", "sell", stop_loss=0.5),
                 exit=ExitRule(time=dt.time(15, 0)))  # fmt: skip
    res = run_options_backtest(_panel(_rows(prices, times)), spec, costs=FREE)
    legs = res.legs.set_index("option_type")
    assert legs.loc["CE", "exit_kind"] == "leg_stop_loss"
    assert legs.loc["CE", "exit_time"] == times[100] and legs.loc["PE", "exit_kind"] == "time"
    assert res.trades.iloc[0]["pnl_gross"] == pytest.approx(-60 * 50)


def test_bid_ask_slippage_and_signal_exit() -> None:
    times = _times("2024-01-01")
    rows = _rows(_flat(times), times, bid=99.0, ask=101.0)
    sig = pd.Series(False, index=times)
    sig.iloc[200:] = True
    spec = _spec(LegRule("CE", "buy"), exit=ExitRule(on_signal=True, time=dt.time(15, 0)))
    res = run_options_backtest(_panel(rows), spec, costs=FREE, exit_signal=sig)
    leg = res.legs.iloc[0]
    assert (leg["entry_price"], leg["exit_price"]) == (101.0, 99.0)  # pays the spread
    assert res.trades.iloc[0]["exit_reason"] == "signal"
    assert leg["exit_time"] == times[200] and leg["pnl_gross"] == pytest.approx(-2 * 50)
    no_quotes = run_options_backtest(_panel(rows), spec, Execution(use_bid_ask=False,
                                     slippage_pct=0.01, slippage_points=0.5), costs=FREE,
                                     exit_signal=sig)  # fmt: skip
    leg = no_quotes.legs.iloc[0]
    assert leg["entry_price"] == pytest.approx(100 * 1.01 + 0.5)
    assert leg["exit_price"] == pytest.approx(100 * 0.99 - 0.5)


def test_stale_prices_and_missing_strikes_are_refused_with_reasons() -> None:
    times = _times("2024-01-01")
    prices = _flat(times)
    prices[(21000.0, "CE")] = np.where(np.arange(len(times)) < 2, 100.0, np.nan)
    rows = _rows(prices, times).dropna(subset=["ltp"])
    res = run_options_backtest(_panel(rows), _spec(LegRule("CE", "sell")), costs=FREE)
    skipped = res.trades.iloc[0]
    assert skipped["status"] == "skipped"
    assert "not in the stored chain" in skipped["reason"]  # no row at 09:20 at all
    far = _spec(LegRule("PE", "sell", offset=-3))
    res = run_options_backtest(_panel(_rows(_flat(times), times)), far, costs=FREE)
    assert "strike 20850 PE 2024-01-04 not in the stored chain" in res.trades.iloc[0]["reason"]
    # the CE stops being reported at 10:00: the 15:00 exit would be 5 h stale -> refused
    gone = _flat(times)
    gone[(21000.0, "CE")] = np.where(times.time <= dt.time(10, 0), 100.0, np.nan)
    rows = _rows(gone, times).dropna(subset=["ltp"])
    spec = _spec(LegRule("CE", "sell"), exit=ExitRule(time=dt.time(15, 0)))
    res = run_options_backtest(_panel(rows), spec, costs=FREE)
    assert res.trades.iloc[0]["status"] == "skipped" and res.metrics["n_trades"] == 0
    assert "stale (last fresh 0 days 05:00:00 earlier" in res.trades.iloc[0]["reason"]
    loose = Execution(staleness=dt.timedelta(hours=6))
    assert run_options_backtest(_panel(rows), spec, loose, FREE).metrics["n_trades"] == 1


def test_delta_and_premium_rules_and_point_in_time_expiry() -> None:
    times = _times("2024-01-01")
    level = {20900.0: 150.0, 21000.0: 90.0, 21100.0: 45.0}
    prices = {(k, "CE"): np.full(len(times), v) for k, v in level.items()}
    panel = _panel(_rows(prices, times))
    spec = _spec(LegRule("CE", "buy", strike="premium", target=50.0), exit=ExitRule(
        time=dt.time(15, 0)))  # fmt: skip
    assert run_options_backtest(panel, spec, costs=FREE).legs.iloc[0]["strike"] == 21100
    # deltas from IVs implied by the prices: the 21100 call is the ~0.3-delta one
    spec = _spec(LegRule("CE", "buy", strike="delta", target=0.3), exit=ExitRule(
        time=dt.time(15, 0)))  # fmt: skip
    assert run_options_backtest(panel, spec, costs=FREE).legs.iloc[0]["strike"] == 21100
    assert choose_expiry(panel, 0, LegRule("CE", "buy")) == EXPIRY
    assert choose_expiry(panel, 0, LegRule("CE", "buy", expiry_index=1)) == dt.date(2024, 1, 11)
    assert choose_expiry(panel, 0, LegRule("CE", "buy", expiry="monthly")) == dt.date(2024, 1, 25)


def test_held_to_expiry_without_the_expiry_day_is_skipped_and_bad_specs_fail() -> None:
    times = _times("2024-01-01")
    res = run_options_backtest(_panel(_rows(_flat(times), times)), _spec(LegRule("CE", "sell")),
                               costs=FREE)  # fmt: skip
    assert "end 2024-01-01 before the exit" in res.trades.iloc[0]["reason"]
    with pytest.raises(BacktestError, match="lots"):
        LegRule("CE", "sell", lots=0)
    with pytest.raises(BacktestError, match="needs a target"):
        LegRule("CE", "sell", strike="delta")
    with pytest.raises(BacktestError, match="no legs"):
        OptionsStrategySpec("x", "NIFTY", ())
    with pytest.raises(BacktestError, match="BANKNIFTY"):
        other = OptionsStrategySpec("x", "BANKNIFTY", (LegRule("CE", "buy"),))
        run_options_backtest(_panel(_rows(_flat(times), times)), other)


def test_calendar_settles_the_front_leg_and_sells_the_later_one_at_its_close() -> None:
    # Wednesday 2024-01-03 and expiry Thursday 2024-01-04; the next weekly is 2024-01-11
    times = _times("2024-01-03").append(_times("2024-01-04"))
    far = dt.date(2024, 1, 11)
    rows = pd.concat([
        _rows({(21000.0, "CE"): np.linspace(80, 5, len(times))}, times),
        _rows({(21000.0, "CE"): np.linspace(150, 120, len(times))}, times).assign(expiry=far),
    ], ignore_index=True)  # fmt: skip
    spec = _spec(LegRule("CE", "sell"), LegRule("CE", "buy", expiry_index=1))
    res = run_options_backtest(_panel(rows), spec, costs=FREE, settlement={EXPIRY: 21020.0})
    legs = res.legs[res.legs["trade_id"] == 0].set_index("expiry")  # the Wednesday entry
    front, back = legs.loc[EXPIRY], legs.loc[far]
    # front: sold at the 09:20 price, settled at intrinsic 21020 - 21000 = 20 (assigned)
    assert front["exit_kind"] == "assignment" and front["exit_price"] == pytest.approx(20.0)
    # later expiry: sold at its stored 15:30 price of the front expiry day (the last instant)
    assert back["exit_kind"] == "expiry" and back["exit_price"] == pytest.approx(120.0)
    step_f, step_b = 75 / (len(times) - 1), 30 / (len(times) - 1)
    assert front["pnl_gross"] == pytest.approx((80 - 5 * step_f - 20.0) * 50)
    assert back["pnl_gross"] == pytest.approx((120.0 - (150 - 5 * step_b)) * 50)
