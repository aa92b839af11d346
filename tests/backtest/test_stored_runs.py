"""Stored backtest runs on real PostgreSQL: sources from the store, insert-only rows, reads."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from optionsintel.backtest import BacktestSettings, CostModel, ExitRules, Sizing
from optionsintel.errors import (
    BacktestError,
    BacktestRunNotFoundError,
    DuplicateRecordError,
    InvalidArgumentError,
)
from optionsintel.services import backtests as bt
from optionsintel.services import patterns
from optionsintel.settings import get_settings
from optionsintel.store import Store
from optionsintel.store.backtests import (
    BacktestRunRecord,
    append_backtest_run,
    frame_from_json,
    frame_to_json,
    read_backtest_run,
)
from optionsintel.tz import EXCHANGE_TZ

DAYS = pd.bdate_range("2024-01-01", periods=80)


def _bars(symbol: str, closes: np.ndarray, provider: str) -> pd.DataFrame:
    return pd.DataFrame({"symbol": symbol, "trade_date": DAYS.date, "open": closes - 0.5,
                         "high": closes + 1, "low": closes - 1, "close": closes,
                         "volume": 1e4, "provider": provider})  # fmt: skip


@pytest.fixture
def cli_database(monkeypatch, database_url: str):
    """Point the CLI at the test database; settings are cached, so drop them before and after."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


@pytest.fixture
def market(clean_store: Store) -> Store:
    """Two stocks and an index of one provider; another provider with other prices."""
    t = np.arange(80.0)
    with clean_store.transaction() as tx:
        tx.write("daily_ohlc", _bars("AAA", 100 + 5 * np.sin(t / 4) + t / 10, "synthetic"))
        tx.write("daily_ohlc", _bars("BBB", 200 - 4 * np.cos(t / 5), "synthetic"))
        tx.write("daily_ohlc", _bars("NIFTY", 20000 + 50 * np.sin(t / 6), "synthetic"))
        tx.write("daily_ohlc", _bars("AAA", 50 + t, "replay"))
        when = [pd.Timestamp(dt.datetime.combine(DAYS[i].date(), dt.time(11, 0)), tz=EXCHANGE_TZ)
                for i in (5, 20, 40)]  # fmt: skip
        tx.write("signals", pd.DataFrame({
            "underlying": "NIFTY", "snapshot_ts": when, "expiry": pd.Timestamp("2024-06-27"),
            "signal_type": "PUT_BUILDUP", "confidence": [80.0, 40.0, 90.0],
            "strength": "STRONG", "provider": "synthetic"}))  # fmt: skip
    return clean_store


SETTINGS = BacktestSettings(
    exit_rules=ExitRules(max_bars=5), sizing=Sizing(amount=100_000), costs=CostModel()
)


def test_signal_source_trades_the_bar_after_each_confident_signal(market: Store) -> None:
    src = bt.SignalSource("PUT_BUILDUP", min_confidence=70)
    run = bt.run_stored(market, src, symbols=["NIFTY"], provider="synthetic",
                        settings=SETTINGS, user="alice", name="put buildup")  # fmt: skip
    trades = run.result.trades
    # signals on bars 5 and 40 (the 40-confidence one on bar 20 is below the minimum)
    assert list(trades["entry_time"]) == [DAYS[6], DAYS[41]]
    assert list(trades["exit_time"]) == [DAYS[11], DAYS[46]]
    stored = bt.read_run(market, run.run_id)
    assert stored.record.source == src.describe()
    assert stored.record.provider == "synthetic" and stored.record.kind == "signal"
    assert stored.record.cost_table_version == SETTINGS.costs.table.version
    pd.testing.assert_frame_equal(stored.record.trades, trades, check_dtype=False)
    eq = stored.record.equity
    np.testing.assert_allclose(eq["equity"].to_numpy(), run.result.equity.to_numpy(), rtol=1e-15)
    assert eq.index.equals(run.result.equity.index)
    assert stored.record.metrics["n_trades"] == 2
    assert stored.record.costs["total"] == pytest.approx(run.result.metrics["costs_paid"])
    assert stored.record.settings["exit_rules"]["max_bars"] == 5


def test_pattern_source_pins_versions_and_reads_one_provider(market: Store) -> None:
    patterns.save_pattern(market, "up3", "close RISING FOR 3 BARS", user="alice", name="Up 3")
    patterns.save_pattern(market, "down2", "close FALLING FOR 2 BARS", user="alice", name="D2")
    src = bt.PatternSource("up3@1", exit="down2@1")
    run = bt.run_stored(market, src, symbols=["AAA", "BBB"], provider="synthetic",
                        start=DAYS[10], settings=SETTINGS, benchmark="NIFTY")  # fmt: skip
    stored = bt.read_run(market, run.run_id).record
    assert stored.pattern_versions == ("up3@1", "down2@1")
    assert stored.universe == ("AAA", "BBB") and stored.period_start.date() == DAYS[10].date()
    assert stored.benchmark is not None and "beta" in stored.benchmark.index
    assert run.result.metrics["n_trades"] > 0
    # the same pattern on the other provider reads other prices: another result
    other = bt.run_stored(market, src, symbols=["AAA"], provider="replay", save=False)
    assert other.stored is None and other.result.inputs.provider == "replay"


def test_runs_are_insert_only_and_listed_newest_first(market: Store) -> None:
    a = bt.run_stored(market, bt.SignalSource("PUT_BUILDUP", 70), symbols=["NIFTY"],
                      provider="synthetic", settings=SETTINGS)  # fmt: skip
    record = bt.read_run(market, a.run_id).record
    with pytest.raises(DuplicateRecordError):
        append_backtest_run(market, record)
    b = bt.run_stored(market, bt.SignalSource("PUT_BUILDUP", 85), symbols=["NIFTY"],
                      provider="synthetic", settings=SETTINGS)  # fmt: skip
    listing = bt.list_runs(market)
    assert list(listing["run_id"][:2]) == [b.run_id, a.run_id]
    assert {"total_return", "sharpe_ratio"} <= set(listing.columns)
    cmp = bt.compare_runs(market, a.run_id, b.run_id)
    assert cmp.metrics.loc["n_trades"].tolist() == [2.0, 1.0, -1.0]
    assert list(cmp.inputs.index) == ["source"]  # only the minimum confidence differs
    assert list(cmp.equity.columns) == [a.run_id, b.run_id]


def test_options_kind_shares_the_table(market: Store) -> None:
    idx = pd.date_range("2024-03-01", periods=3, tz="Asia/Kolkata")
    rec = BacktestRunRecord(
        kind="options", created_by="bob", source={"type": "strategy", "name": "iron condor"},
        universe=["NIFTY"], period_start=idx[0], period_end=idx[-1], provider="synthetic",
        trades=pd.DataFrame({"leg": ["CE 22000"], "pnl": [12.5]}),
        equity=pd.DataFrame({"equity": [1.0, 1.1, np.nan]}, index=idx),
        metrics={"sharpe_ratio": float("inf")}, extra={"legs": [{"strike": 22000}]},
    )  # fmt: skip
    got = append_backtest_run(market, rec).record
    assert got.kind == "options" and got.metrics == {"sharpe_ratio": None}
    assert got.equity.index.equals(idx) and np.isnan(got.equity["equity"].iloc[-1])
    assert bt.list_runs(market, kind="options")["run_id"].tolist() == [rec.run_id]


def test_bad_input_is_refused_with_one_line(market: Store) -> None:
    with pytest.raises(BacktestRunNotFoundError, match="backtest list"):
        read_backtest_run(market, "bt-nope")
    with pytest.raises(InvalidArgumentError, match="unknown signal"):
        bt.SignalSource("BUY_EVERYTHING")
    with pytest.raises(InvalidArgumentError, match="pattern pin"):
        bt.PatternSource("not a pin")
    with pytest.raises(BacktestError, match="no daily bars"):
        bt.run_stored(market, bt.SignalSource("PUT_BUILDUP"), symbols=["ZZZ"],
                      provider="synthetic")  # fmt: skip
    with pytest.raises(BacktestError, match="unknown backtest settings"):
        BacktestSettings.resolve(None, {"stoploss": 0.1})


def test_frame_json_round_trip_keeps_types() -> None:
    frame = pd.DataFrame({
        "t": pd.date_range("2024-01-01", periods=3, tz="UTC"), "n": [1, 2, 3],
        "x": [0.1, np.nan, np.inf], "b": [True, False, True], "s": ["a", "b", None]})  # fmt: skip
    back = frame_from_json(frame_to_json(frame))
    assert back is not None
    assert back["t"].equals(frame["t"]) and back["n"].tolist() == [1, 2, 3]
    assert back["b"].dtype == bool and back["s"].tolist()[:2] == ["a", "b"]
    assert pd.isna(back["s"].iloc[2])
    assert np.isnan(back["x"].iloc[1]) and np.isnan(back["x"].iloc[2])


def test_sweep_stores_the_best_with_combinations_tried(market: Store) -> None:
    progress: list[tuple[int, int]] = []
    statuses = []
    out = bt.sweep_stored(
        market, bt.SignalSource("PUT_BUILDUP"), {"max_bars": [2, 5, 10]}, symbols=["NIFTY"],
        provider="synthetic", settings=SETTINGS, metric="total_return",
        progress=lambda d, n: progress.append((d, n)), on_status=statuses.append,
    )  # fmt: skip
    result, best = out.sweep, out.best
    assert progress[-1] == (3, 3) and result.n_combinations == 3
    assert out.operation.status == "SUCCEEDED" and statuses[-1].kind == "sweep"
    extra = bt.read_run(market, best.run_id).record.extra["sweep"]
    assert extra["combinations_tried"] == 3 and extra["operation_id"] == out.operation.operation_id
    assert best.result.inputs.settings["exit_rules"]["max_bars"] == extra["best"]["max_bars"]
    assert best.result.metrics["total_return"] == pytest.approx(result.best["total_return"])


def test_cli_run_list_show_compare(
    cli_database, market: Store, database_url: str, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from optionsintel.cli.main import app

    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    base = ["backtest", "run", "--provider", "synthetic", "--signal", "PUT_BUILDUP",
            "--symbols", "NIFTY", "--max-bars", "5", "--name", "cli run"]  # fmt: skip
    first = runner.invoke(app, [*base, "--min-confidence", "70"])
    assert first.exit_code == 0, first.output
    assert "n_trades" in first.output and "costs (Rs)" in first.output
    swept = runner.invoke(app, [*base, "--sweep", "max_bars=2,5", "--metric", "total_return"])
    assert swept.exit_code == 0, swept.output
    assert "of 2 combinations" in swept.output
    runs = bt.list_runs(market)
    a, b = runs["run_id"].iloc[1], runs["run_id"].iloc[0]
    listed = runner.invoke(app, ["backtest", "list"])
    assert a in listed.output and b in listed.output
    shown = runner.invoke(app, ["backtest", "show", a])
    assert shown.exit_code == 0 and "PUT_BUILDUP" in shown.output and "synthetic" in shown.output
    compared = runner.invoke(app, ["backtest", "compare", a, b])
    assert compared.exit_code == 0 and "inputs that differ" in compared.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--signal", "NOPE"], "unknown signal"),
        (["--signal", "PUT_BUILDUP", "--pattern", "a@1"], "exactly one of"),
        (["--signal", "PUT_BUILDUP", "--sweep", "stoploss=1"], "write name=v1,v2"),
        (["--signal", "PUT_BUILDUP", "--sweep", "max_bars=a"], "must be int numbers"),
        (["--signal", "PUT_BUILDUP", "--direction", "up"], "direction 'long' or 'short'"),
        (["--signal", "PUT_BUILDUP", "--symbols", "ZZZ"], "no daily bars"),
        (["--signal", "PUT_BUILDUP", "--start", "2025-13-45"], "is not a date (YYYY-MM-DD)"),
        (["--signal", "PUT_BUILDUP", "--end", "yesterday"], "is not a date (YYYY-MM-DD)"),
        (["--signal", "PUT_BUILDUP", "--start", "2024-03-01", "--end", "2024-01-01"], "after"),
    ],
)
def test_cli_bad_input_is_one_line(
    cli_database, market: Store, database_url, monkeypatch, args, message
):
    from typer.testing import CliRunner

    from optionsintel.cli.main import app

    out = CliRunner().invoke(app, ["backtest", "run", "--provider", "synthetic", *args])
    assert out.exit_code == 1
    lines = [line for line in out.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], out.output
    with pytest.raises(BacktestRunNotFoundError):
        bt.read_run(market, "bt-none")


def test_a_failing_combination_is_recorded_and_the_sweep_goes_on(market: Store) -> None:
    from optionsintel.services import bulk

    out = bt.sweep_stored(
        market, bt.SignalSource("PUT_BUILDUP"), {"stop_loss": [0.05, 20.0]}, symbols=["NIFTY"],
        provider="synthetic", settings=SETTINGS, metric="total_return", save=False,
    )  # fmt: skip
    assert out.operation.status == "PARTIAL" and out.sweep.n_combinations == 1
    errors = bulk.operation_errors(market, out.operation.operation_id)
    assert "positive fraction" in str(errors)
