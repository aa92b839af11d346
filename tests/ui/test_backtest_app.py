"""Headless tests of the backtest app on real PostgreSQL: run, sweep, Monte Carlo, compare."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from optionsintel.services import backtests as bt
from optionsintel.services import patterns
from optionsintel.store import Store
from optionsintel.tz import EXCHANGE_TZ
from optionsintel.ui import build_backtest_app

DAYS = pd.bdate_range("2024-01-01", periods=80)


def _bars(symbol: str, closes: np.ndarray, provider: str) -> pd.DataFrame:
    return pd.DataFrame({"symbol": symbol, "trade_date": DAYS.date, "open": closes - 0.5,
                         "high": closes + 1, "low": closes - 1, "close": closes,
                         "volume": 1e4, "provider": provider})  # fmt: skip


@pytest.fixture
def market(clean_store: Store) -> Store:
    t = np.arange(80.0)
    with clean_store.transaction() as tx:
        tx.write("daily_ohlc", _bars("AAA", 100 + 5 * np.sin(t / 4) + t / 10, "synthetic"))
        tx.write("daily_ohlc", _bars("NIFTY", 20000 + 50 * np.sin(t / 6), "synthetic"))
        when = [pd.Timestamp(dt.datetime.combine(DAYS[i].date(), dt.time(11)), tz=EXCHANGE_TZ)
                for i in (5, 20, 40)]  # fmt: skip
        tx.write("signals", pd.DataFrame({
            "underlying": "NIFTY", "snapshot_ts": when, "expiry": pd.Timestamp("2024-06-27"),
            "signal_type": "PUT_BUILDUP", "confidence": [80.0, 40.0, 90.0],
            "strength": "STRONG", "provider": "synthetic"}))  # fmt: skip
    patterns.save_pattern(clean_store, "up3", "close RISING FOR 3 BARS", user="t", name="Up")
    return clean_store


def test_pattern_run_shows_cards_costs_trades_and_is_stored(market: Store) -> None:
    app = build_backtest_app(market, warm=False)
    assert app.form.kind.value == "Pattern" and app.form.pattern.value == "up3@1"
    app.form.universe.value = ("AAA",)
    app.form.max_bars.value = 5
    seen: list[float] = []
    app.observe(lambda c: seen.append(c["new"]), "progress")
    app.run_button.click()
    assert app.state == "ok", app.message
    assert seen[-1] == 1.0 and len(seen) >= 3
    assert app.provider == "synthetic" and "data: synthetic" in app.cards.value
    assert "Sharpe" in app.cards.value and "Costs (Rs): brokerage" in app.cards.value
    assert "<table" in app.trades.value and len(app.charts.figures) == 1
    stored = bt.read_run(market, app.run_id).record
    assert stored.pattern_versions == ("up3@1",) and stored.settings["exit_rules"]["max_bars"] == 5
    app.mc_button.click()
    assert app.state == "ok" and "Monte Carlo (trades" in app.message
    assert len(app.charts.figures) == 2 and "final_equity" in app.mc_view.value
    app.export_button.click()
    assert "Download " in app.export_view.value and ".xlsx" in app.export_view.value


def test_positions_left_open_are_reported_next_to_closed_trades(market: Store) -> None:
    """No exit rule: the run holds its position to the end, "0 trades" read as nothing done."""
    app = build_backtest_app(market, warm=False)
    app.form.universe.value = ("AAA",)
    app.run_button.click()
    assert app.state == "ok", app.message
    assert "0 closed trades, 1 position still open (data: synthetic)" in app.message
    app.form.max_bars.value = 5
    app.run_button.click()
    closed = int(app.message.split()[0])
    assert closed > 0 and app.message.startswith(f"{closed} closed trades"), app.message


def test_signal_sweep_shows_best_table_heatmap_and_combinations(market: Store) -> None:
    app = build_backtest_app(market, warm=False)
    app.form.kind.value = "Signal"
    app.form.min_conf.value = 70
    app.form.universe.value = ("NIFTY",)
    app.form.grid_text.value = "max_bars=2,5; target=0.01,0.5"
    app.form.metric.value = "total_return"
    app.sweep_button.click()
    assert app.state == "ok", app.message
    assert "of 4 combinations" in app.sweep_view.value
    assert "combinations_tried" in app.sweep_view.value
    assert len(app.charts.figures) == 2  # equity + heatmap
    assert app.charts.figures[1]["data"][0]["type"] == "heatmap"


def test_compare_two_stored_runs(market: Store) -> None:
    app = build_backtest_app(market, warm=False)
    app.form.kind.value = "Signal"
    app.form.universe.value = ("NIFTY",)
    app.form.min_conf.value = 70
    app.run()
    first = app.run_id
    app.form.min_conf.value = 85
    app.run()
    app.compare_a.value, app.compare_b.value = first, app.run_id
    app.compare_button.click()
    assert app.state == "ok", app.message
    assert "n_trades" in app.compare_view.value and "Inputs that differ" in app.compare_view.value


def test_bad_input_is_one_line_and_reset(market: Store) -> None:
    app = build_backtest_app(market, warm=False)
    app.form.universe.value = ()
    app.run_button.click()
    assert app.state == "error" and "at least one symbol" in app.message
    app.form.universe.value = ("AAA",)
    app.form.grid_text.value = "stoploss=1"
    app.sweep_button.click()
    assert app.state == "error" and "name=v1,v2" in app.message
    app.form.stop_loss.value = 50.0
    app.run_button.click()
    assert app.state == "error" and "positive fraction" in app.message
    app.compare_button.click()
    assert app.state == "error"
    app.reset()
    assert app.state == "idle" and app.form.stop_loss.value == 0.0 and app.cards.value == ""
