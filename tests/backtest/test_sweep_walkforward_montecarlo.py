"""Sweeps, walk-forward and Monte Carlo agree with direct backtests and hand figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from optionsintel.backtest.costs import CostModel
from optionsintel.backtest.montecarlo import monte_carlo
from optionsintel.backtest.run import run_backtest
from optionsintel.backtest.spec import ExitRules, Sizing
from optionsintel.backtest.sweeps import sweep
from optionsintel.backtest.walkforward import walk_forward, window_bounds
from optionsintel.errors import BacktestError

from .conftest import random_bars, random_signals


def crossover(bars, fast, slow):
    f, s = bars.close.rolling(fast).mean(), bars.close.rolling(slow).mean()
    return (f > s) & (f.shift() <= s.shift()), (f < s) & (f.shift() >= s.shift())


@pytest.fixture(scope="module")
def bars():
    return random_bars(300, 4, seed=21, start="2023-01-02")


def test_exit_grid_rows_equal_direct_backtests(bars):
    entries, exits = random_signals(bars, seed=4)
    calls = []
    grid = {"stop_loss": [0.02, 0.05, None], "amount": [20_000.0, 50_000.0]}
    out = sweep(bars, grid, entries, exits, costs=CostModel(), metric="total_return",
                progress=lambda d, t: calls.append((d, t)))  # fmt: skip
    assert out.n_combinations == 6 and calls[-1] == (6, 6) and len(calls) == 6
    row = out.table[(out.table["stop_loss"] == 0.05) & (out.table["amount"] == 20_000.0)].iloc[0]
    rules, size = ExitRules(stop_loss=0.05), Sizing(amount=20_000.0)
    direct = run_backtest(bars, entries, exits, costs=CostModel(), exit_rules=rules, sizing=size)
    assert_allclose(row[direct.metrics.index].astype(float), direct.metrics, rtol=1e-12)
    assert out.best["total_return"] == out.table["total_return"].max()
    best = out.best_table(3)
    assert (best["combinations_tried"] == 6).all() and len(best) == 3
    assert "6 combinations" in out.warning
    assert out.heatmap("amount", "stop_loss").shape == (2, 2)  # None is dropped by pivot


def test_signal_parameter_grid(bars):
    grid = {"fast": [5, 10], "slow": [20, 40], "max_bars": [None, 10]}
    out = sweep(bars, grid, signal_func=crossover, metric="sharpe_ratio")
    assert out.n_combinations == 8
    e, x = crossover(bars, 10, 40)
    direct = run_backtest(bars, e, x, exit_rules=ExitRules(max_bars=10))
    row = out.table.query("fast == 10 and slow == 40 and max_bars == 10").iloc[0]
    assert_allclose(row["sharpe_ratio"], direct.metrics["sharpe_ratio"], rtol=1e-12)
    with pytest.raises(BacktestError, match="signal_func"):
        sweep(bars, {"fast": [5]}, *random_signals(bars, 1))


def test_window_bounds_by_hand():
    assert window_bounds(10, 4, 2, 2) == [(0, 4, 6), (2, 6, 8), (4, 8, 10)]
    with pytest.raises(BacktestError, match="cannot hold"):
        window_bounds(5, 4, 2, 2)


def test_walk_forward_picks_in_sample_best_and_tests_it_out_of_sample(bars):
    grid = {"fast": [5, 10], "slow": [30, 50]}
    calls = []
    wf = walk_forward(
        bars, grid, signal_func=crossover, train_bars=120, test_bars=60,
        metric="total_return", progress=lambda d, t: calls.append((d, t)),
    )  # fmt: skip
    assert len(wf.windows) == 3 and calls[-1] == (15, 15)
    w = wf.windows.iloc[1]  # train rows 60:180, test rows 180:240
    train = _part(bars, 60, 180)
    best = max(
        (run_backtest(train, *_sig(bars, f, s, 60, 180)).metrics["total_return"], f, s)
        for f in (5, 10)
        for s in (30, 50)
    )
    assert (w["fast"], w["slow"]) == (best[1], best[2])
    assert_allclose(w["is_total_return"], best[0], rtol=1e-12)
    oos = run_backtest(_part(bars, 180, 240), *_sig(bars, best[1], best[2], 180, 240))
    assert_allclose(w["oos_total_return"], oos.metrics["total_return"], rtol=1e-12)
    assert list(wf.side_by_side().columns) == ["in_sample", "out_of_sample"]


def _part(bars, a, b):
    from optionsintel.backtest.walkforward import _slice

    return _slice(bars, slice(a, b))


def _sig(bars, f, s, a, b):
    e, x = crossover(bars, f, s)  # computed on the whole history, then sliced
    return e.iloc[a:b], x.iloc[a:b]


@pytest.fixture(scope="module")
def result(bars):
    entries, exits = random_signals(bars, seed=8)
    return run_backtest(bars, entries, exits, sizing=Sizing(amount=50_000), costs=CostModel())


def test_trade_bootstrap_by_hand_and_seeded(result):
    mc = monte_carlo(result, method="trades", n_paths=300, seed=5)
    pnl = result.trades.loc[result.trades["closed"], "pnl"].to_numpy()
    picks = np.random.default_rng(5).integers(0, len(pnl), size=(300, len(pnl)))
    assert_allclose(mc.final_equity, 1e6 + pnl[picks].sum(axis=1), rtol=1e-12)
    again = monte_carlo(result, method="trades", n_paths=300, seed=5)
    assert_allclose(again.final_equity, mc.final_equity, rtol=0)
    other = monte_carlo(result, method="trades", n_paths=300, seed=6)
    assert not np.allclose(other.final_equity, mc.final_equity)
    assert (mc.max_drawdown <= 0).all()
    summary = mc.summary()
    assert summary["final_equity"].is_monotonic_increasing


def test_trade_bootstrap_mean_matches_expectation(result):
    mc = monte_carlo(result, method="trades", n_paths=4000, seed=1)
    pnl = result.trades.loc[result.trades["closed"], "pnl"].to_numpy()
    n = len(pnl)
    se = pnl.std() * np.sqrt(n) / np.sqrt(4000)
    assert abs(mc.final_equity.mean() - (1e6 + n * pnl.mean())) < 4 * se


def test_block_bootstrap_with_one_full_block_only_rotates_the_returns(result):
    T = len(result.returns)
    calls = []
    mc = monte_carlo(result, method="daily_block", block=T, n_paths=700, seed=3,
                     progress=lambda d, t: calls.append((d, t)))  # fmt: skip
    # a rotation of the returns compounds to the same final equity
    assert_allclose(mc.final_equity, result.metrics["final_equity"], rtol=1e-10)
    assert calls == [(500, 700), (700, 700)]
    assert mc.bands.shape == (T, 5)


def test_monte_carlo_rejects_bad_input(result):
    with pytest.raises(BacktestError):
        monte_carlo(result, method="bogus")  # type: ignore[arg-type]
    with pytest.raises(BacktestError):
        monte_carlo(result, n_paths=0)
    assert isinstance(result.trades, pd.DataFrame)


def test_package_names_are_the_functions_whatever_was_imported_before() -> None:
    """A submodule named like an export would shadow it once imported (sweep was)."""
    import importlib

    import optionsintel.backtest as pkg

    for name, module in pkg._EXPORTS.items():
        importlib.import_module(f"optionsintel.backtest.{module}")
        assert not isinstance(getattr(pkg, name), type(pkg)), name
