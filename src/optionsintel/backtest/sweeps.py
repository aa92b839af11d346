"""Parameter sweeps: a grid over exit, sizing and signal parameters, best by a metric.

Grid keys name :class:`ExitRules` fields (``stop_loss``, ``target``, ``trailing_stop``,
``max_bars``), :class:`Sizing` fields (``amount``, ``fraction``, ``target_volatility``,
``lookback``, ``lot_size``), ``direction``, or any keyword of the user's
``signal_func(bars, **params) -> (entries, exits)``. Every combination is one backtest;
the table shows the number of combinations tried next to the best one, because the best
of many in-sample runs overstates what the rule will do out of sample.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import pandas as pd

from optionsintel.backtest.results import BacktestResult
from optionsintel.backtest.run import run_backtest
from optionsintel.backtest.spec import BacktestSettings, Bars, ExitRules, Sizing
from optionsintel.errors import BacktestError

SignalFunc = Callable[..., tuple[pd.DataFrame, pd.DataFrame | None]]
Progress = Callable[[int, int], None]

__all__ = ["ParameterSweep", "grid_combinations", "sweep"]

_EXIT_KEYS = {f.name for f in fields(ExitRules)}
_SIZING_KEYS = {f.name for f in fields(Sizing)} - {"kind"}
_SETTINGS_KEYS = {f.name for f in fields(BacktestSettings)}


@dataclass(frozen=True, eq=False)
class ParameterSweep:
    """One row per combination (parameters, then metrics) and the best by ``metric``."""

    table: pd.DataFrame
    parameters: tuple[str, ...]
    metric: str
    maximize: bool

    @property
    def n_combinations(self) -> int:
        """How many combinations were tried (the overfitting yardstick)."""
        return len(self.table)

    @property
    def best(self) -> pd.Series:
        """The best row (NaN metrics never win)."""
        col = self.table[self.metric]
        if col.isna().all():
            raise BacktestError(f"no combination has a finite {self.metric}")
        return self.table.loc[col.idxmax() if self.maximize else col.idxmin()]

    def best_table(self, top: int = 10) -> pd.DataFrame:
        """The ``top`` rows by the metric, with ``combinations_tried`` beside them."""
        ordered = self.table.sort_values(self.metric, ascending=not self.maximize)
        out = ordered.head(top).copy()
        out.insert(0, "combinations_tried", self.n_combinations)
        return out

    @property
    def warning(self) -> str:
        """The overfitting caution shown next to the best result."""
        return (
            f"best {self.metric} of {self.n_combinations} combinations: in-sample results "
            "of a search are optimistic; judge the rule out of sample (walk_forward)"
        )

    def heatmap(self, x: str, y: str) -> pd.DataFrame:
        """The metric over two parameters (mean over the others), for a heatmap."""
        return self.table.pivot_table(index=y, columns=x, values=self.metric, aggfunc="mean")


def grid_combinations(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of a parameter grid, in a stable order."""
    if not grid:
        return [{}]
    keys = list(grid)
    for k in keys:
        if len(grid[k]) == 0:
            raise BacktestError(f"grid parameter {k!r} has no values")
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())]


def split_params(
    params: Mapping[str, Any], settings: BacktestSettings, has_signal_func: bool
) -> tuple[BacktestSettings, dict[str, Any]]:
    """Apply one combination's exit, sizing and direction values to ``settings``.

    Returns the combination's settings and the remaining (signal-function) keywords.
    """
    exit_kw = {k: v for k, v in params.items() if k in _EXIT_KEYS}
    size_kw = {k: v for k, v in params.items() if k in _SIZING_KEYS}
    run_kw = {k: v for k, v in params.items() if k == "direction"}
    signal_kw = {k: v for k, v in params.items() if k not in exit_kw | size_kw | run_kw}
    if signal_kw and not has_signal_func:
        raise BacktestError(f"unknown grid parameters {sorted(signal_kw)}; pass signal_func")
    combo = replace(
        settings,
        exit_rules=replace(settings.exit_rules, **exit_kw),
        sizing=replace(settings.sizing, **size_kw),
        **run_kw,
    )
    return combo, signal_kw


def run_combination(
    bars: Bars,
    params: Mapping[str, Any],
    entries: pd.DataFrame | None,
    exits: pd.DataFrame | None,
    signal_func: SignalFunc | None,
    backtest_kwargs: Mapping[str, Any],
) -> BacktestResult:
    """One backtest of one combination.

    ``backtest_kwargs`` may hold ``settings`` and individual settings fields (applied on
    top), and the other keywords of :func:`run_backtest` (benchmark, provider...).
    """
    kw = dict(backtest_kwargs)
    base = BacktestSettings.resolve(
        kw.pop("settings", None), {k: kw.pop(k) for k in list(kw) if k in _SETTINGS_KEYS}
    )
    cfg, signal_kw = split_params(params, base, signal_func is not None)
    if signal_func is not None:
        entries, exits = signal_func(bars, **signal_kw)
    if entries is None:
        raise BacktestError("pass entries (and exits) or a signal_func")
    return run_backtest(bars, entries, exits, cfg, **kw)


def sweep(
    bars: Bars,
    grid: Mapping[str, Sequence[Any]],
    entries: pd.DataFrame | None = None,
    exits: pd.DataFrame | None = None,
    *,
    signal_func: SignalFunc | None = None,
    metric: str = "sharpe_ratio",
    maximize: bool = True,
    progress: Progress | None = None,
    **backtest_kwargs: Any,
) -> ParameterSweep:
    """Backtest every combination of ``grid`` and tabulate the metrics.

    Parameters
    ----------
    bars, entries, exits
        As for :func:`run_backtest`; ``entries``/``exits`` are unused with ``signal_func``.
    grid
        Parameter name -> values (see the module docstring for the names).
    signal_func
        ``signal_func(bars, **signal_params) -> (entries, exits)`` for signal parameters.
    metric, maximize
        The column that ranks the combinations.
    progress
        Called as ``progress(done, total)`` after each combination.
    backtest_kwargs
        Passed to :func:`run_backtest` (costs, portfolio, base exit_rules and sizing...).

    Returns
    -------
    ParameterSweep
        Table, best row, best-by-metric table with the number of combinations tried.
    """
    combos = grid_combinations(grid)
    rows = []
    for done, params in enumerate(combos, start=1):
        res = run_combination(bars, params, entries, exits, signal_func, backtest_kwargs)
        if metric not in res.metrics:
            raise BacktestError(f"unknown metric {metric!r}; use one of {list(res.metrics.index)}")
        rows.append({**params, **res.metrics.to_dict()})
        if progress is not None:
            progress(done, len(combos))
    return ParameterSweep(pd.DataFrame(rows), tuple(grid), metric, maximize)
