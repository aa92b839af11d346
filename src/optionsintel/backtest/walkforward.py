"""Walk-forward analysis: optimise on a training window, test on the next, roll.

Signals from ``signal_func`` are computed once per combination on the whole history
(a causal signal function then has its warm-up before each test window) and sliced per
window; each window's test run starts flat with fresh cash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from optionsintel.backtest.spec import Bars
from optionsintel.backtest.sweeps import (
    Progress,
    SignalFunc,
    grid_combinations,
    run_combination,
)
from optionsintel.errors import BacktestError

__all__ = ["WalkForwardResult", "walk_forward"]


@dataclass(frozen=True, eq=False)
class WalkForwardResult:
    """Per window: dates, chosen parameters, in- and out-of-sample metrics side by side."""

    windows: pd.DataFrame
    parameters: tuple[str, ...]
    metrics: tuple[str, ...]
    n_combinations: int

    def side_by_side(self) -> pd.DataFrame:
        """Mean in-sample vs out-of-sample value of each metric over the windows."""
        return pd.DataFrame(
            {
                "in_sample": [self.windows[f"is_{m}"].mean() for m in self.metrics],
                "out_of_sample": [self.windows[f"oos_{m}"].mean() for m in self.metrics],
            },
            index=list(self.metrics),
        )


def _slice(bars: Bars, rows: slice) -> Bars:
    pick = lambda f: None if f is None else f.iloc[rows]  # noqa: E731
    return Bars(bars.close.iloc[rows], pick(bars.open), pick(bars.high), pick(bars.low))


def window_bounds(
    n_bars: int, train_bars: int, test_bars: int, step: int
) -> list[tuple[int, int, int]]:
    """``(train_start, test_start, test_end)`` row numbers of each rolling window."""
    if min(train_bars, test_bars, step) < 1:
        raise BacktestError("train_bars, test_bars and step must be positive")
    out = []
    start = 0
    while start + train_bars + test_bars <= n_bars:
        out.append((start, start + train_bars, start + train_bars + test_bars))
        start += step
    if not out:
        raise BacktestError(f"{n_bars} bars cannot hold one {train_bars}+{test_bars} window")
    return out


def walk_forward(
    bars: Bars,
    grid: Mapping[str, Sequence[Any]],
    entries: pd.DataFrame | None = None,
    exits: pd.DataFrame | None = None,
    *,
    train_bars: int,
    test_bars: int,
    step: int | None = None,
    signal_func: SignalFunc | None = None,
    metric: str = "sharpe_ratio",
    maximize: bool = True,
    report: Sequence[str] = ("total_return", "sharpe_ratio", "max_drawdown", "n_trades"),
    progress: Progress | None = None,
    **backtest_kwargs: Any,
) -> WalkForwardResult:
    """Roll train/test windows: pick the best combination in-sample, run it out of sample.

    Parameters
    ----------
    bars, grid, entries, exits, signal_func, metric, maximize
        As for :func:`optionsintel.backtest.sweeps.sweep`.
    train_bars, test_bars, step
        Window lengths in bars; ``step`` defaults to ``test_bars`` (adjacent test windows).
    report
        Metrics reported in- and out-of-sample.
    progress
        ``progress(done, total)`` over all backtests (combinations x windows + tests).

    Returns
    -------
    WalkForwardResult
        One row per window and the in- vs out-of-sample summary.
    """
    bounds = window_bounds(len(bars.close), train_bars, test_bars, step or test_bars)
    combos = grid_combinations(grid)
    signals = {}
    if signal_func is not None:
        for i, params in enumerate(combos):
            sig_kw = {k: v for k, v in params.items() if k not in _NON_SIGNAL}
            signals[i] = signal_func(bars, **sig_kw)
    total, done = len(bounds) * (len(combos) + 1), 0
    rows = []
    for a, b, c in bounds:
        scores = []
        for i, params in enumerate(combos):
            res = _run(bars, slice(a, b), params, entries, exits, signals.get(i), backtest_kwargs)
            scores.append((res.metrics[metric], i, res.metrics))
            done += 1
            if progress is not None:
                progress(done, total)
        finite = [s for s in scores if pd.notna(s[0])]
        if not finite:
            raise BacktestError(f"no combination has a finite {metric} in window {a}:{b}")
        pick = max(finite) if maximize else min(finite)
        i_best, is_metrics = pick[1], pick[2]
        oos = _run(bars, slice(b, c), combos[i_best], entries, exits, signals.get(i_best),
                   backtest_kwargs).metrics  # fmt: skip
        done += 1
        if progress is not None:
            progress(done, total)
        idx = bars.close.index
        rows.append({
            "train_start": idx[a], "train_end": idx[b - 1], "test_start": idx[b],
            "test_end": idx[c - 1], **combos[i_best],
            **{f"is_{m}": is_metrics[m] for m in report},
            **{f"oos_{m}": oos[m] for m in report},
        })  # fmt: skip
    return WalkForwardResult(pd.DataFrame(rows), tuple(grid), tuple(report), len(combos))


_NON_SIGNAL = {
    "stop_loss", "target", "trailing_stop", "max_bars", "amount", "fraction",
    "target_volatility", "lookback", "lot_size", "direction",
}  # fmt: skip


def _run(
    bars: Bars,
    rows: slice,
    params: Mapping[str, Any],
    entries: pd.DataFrame | None,
    exits: pd.DataFrame | None,
    precomputed: tuple[pd.DataFrame, pd.DataFrame | None] | None,
    backtest_kwargs: Mapping[str, Any],
) -> Any:
    part = _slice(bars, rows)
    if precomputed is not None:
        entries, exits = precomputed
        params = {k: v for k, v in params.items() if k in _NON_SIGNAL}
    idx = bars.close.index
    ent = None if entries is None else entries.reindex(index=idx, fill_value=False).iloc[rows]
    ext = None if exits is None else exits.reindex(index=idx, fill_value=False).iloc[rows]
    return run_combination(part, params, ent, ext, None, backtest_kwargs)
