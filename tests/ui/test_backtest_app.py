"""Headless tests of the backtest app on real PostgreSQL: run, sweep, Monte Carlo, compare."""

from __future__ import annotations

import base64
import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest

from optionsintel.services import backtests as bt
from optionsintel.services import bulk, patterns
from optionsintel.services.backtest_inputs import load_bars, source_signals
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
    app.wait(120)
    assert app.state == "ok", app.message
    assert app.sweep_progress.status == "SUCCEEDED" and app.sweep_progress.done == 4
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
    assert "min_confidence" in app.compare_view.value  # the input that differs
    traces = app.charts.figures[0]["data"]
    assert [t["name"] for t in traces] == [first, app.run_id] and len(traces[0]["x"]) == 80
    # export the shown run: the workbook's metrics are the stored run's
    app.export_button.click()
    assert app.state == "ok", app.message
    payload = app.export_view.value.split("base64,", 1)[1].split('"', 1)[0]
    sheets = pd.read_excel(io.BytesIO(base64.b64decode(payload)), sheet_name=None)
    metrics = sheets["metrics"].set_index("metric")["value"]
    stored = bt.read_run(market, app.run_id).record.metrics
    assert metrics["n_trades"] == stored["n_trades"]
    assert metrics["final_equity"] == pytest.approx(stored["final_equity"], rel=1e-12)


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


def test_cancel_stops_the_sweep_and_the_state_shows_cancelled(market: Store) -> None:
    """Cancel after the first combination: the sweep stops, keeps what finished, says so."""
    app = build_backtest_app(market, warm=False)
    app.form.universe.value = ("AAA",)
    app.form.grid_text.value = "max_bars=2,3,4,5,6,7"
    clicks: list[int] = []

    def cancel_once(change: dict) -> None:
        if change["new"] >= 1 and not clicks:
            clicks.append(change["new"])
            app.sweep_progress.cancel_button.click()  # what a user's click calls

    app.sweep_progress.observe(cancel_once, "done")
    app.sweep_button.click()
    app.wait(120)
    assert clicks == [1]
    assert app.state == "cancelled", app.message
    op = bulk.read_operation(market, app.sweep_progress.operation_id)
    assert op.status == "CANCELLED" and op.total == 6 and 1 <= op.done < 6
    assert f"sweep cancelled after {op.done} of 6 combinations" in app.message
    assert app.sweep_progress.status == "CANCELLED" and app.sweep_progress.cancel_button.disabled
    assert f"of {op.done} combinations" in app.sweep_view.value
    best = bt.read_run(market, app.run_id).record.extra["sweep"]
    assert best["combinations_tried"] == op.done and best["operation_status"] == "CANCELLED"
    assert not app.sweep_button.disabled and not app.run_button.disabled


def test_walk_forward_in_the_app_matches_the_library(market: Store) -> None:
    """Train 40 bars, test the next 20, roll by 20: two windows, in- vs out-of-sample."""
    from optionsintel.backtest import walk_forward

    app = build_backtest_app(market, warm=False)
    app.form.universe.value = ("AAA",)
    app.form.grid_text.value = "max_bars=2,5,9"
    app.form.metric.value = "total_return"
    app.walk_forward.train.value, app.walk_forward.test.value = 40, 20
    app.walk_forward.button.click()
    assert app.state == "ok", app.message
    assert app.message.startswith("walk-forward: 2 windows, best of 3 combinations in-sample")
    windows = app.walk_forward.result.windows
    assert list(windows["test_start"]) == [DAYS[40], DAYS[60]]
    assert list(windows["test_end"]) == [DAYS[59], DAYS[79]]
    view = app.walk_forward.view.value
    assert "in_sample" in view and "out_of_sample" in view and "Windows" in view
    assert app.charts.figures[0]["data"][0]["type"] == "bar"
    # the same inputs through the library give the same windows and metrics
    args = app.form.arguments()
    bars = load_bars(market, ["AAA"], provider="synthetic")
    entries, exits = source_signals(market, args["source"], bars, provider="synthetic")
    ref = walk_forward(bars, {"max_bars": [2, 5, 9]}, entries, exits, train_bars=40,
                       test_bars=20, metric="total_return", settings=args["settings"])  # fmt: skip
    pd.testing.assert_frame_equal(windows, ref.windows)
    side = app.walk_forward.result.side_by_side()
    assert side.loc["total_return", "out_of_sample"] == ref.windows["oos_total_return"].mean()
    app.walk_forward.test.value = 60  # 40 + 60 > 80 bars: one clear line, nothing lost
    app.walk_forward.button.click()
    assert app.state == "error" and "cannot hold one 40+60 window" in app.message
    assert app.walk_forward.result is not None


def test_money_labels_are_not_cut_to_an_ellipsis() -> None:
    """'Per order (Rs)' showed as 'Per order …' in the default 80 px label (walk2, 2026-11-30)."""
    from optionsintel.ui.backtest_form import _num

    assert _num("Per order (Rs)", 20.0).style.description_width == "initial"


def test_equity_axis_reads_rupees_and_a_flat_curve_gets_a_range() -> None:
    """No trade: ticks read 1,000,000 over +-1 %, not '1.0000005M' (walk2, 2026-11-30)."""
    from optionsintel.ui.backtest_views import equity_figure

    idx = pd.date_range("2026-01-01", periods=5)
    flat = pd.DataFrame({"equity": 1_000_000.0, "drawdown": 0.0}, index=idx)
    fig = equity_figure(flat, "flat")
    assert fig.layout.yaxis.tickformat == ",.0f"
    lo, hi = fig.layout.yaxis.range
    assert lo < 990_001 and hi > 1_009_999
    moving = flat.assign(equity=np.linspace(1e6, 1.2e6, 5))
    assert equity_figure(moving, "up").layout.yaxis.range is None  # autorange
