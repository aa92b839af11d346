"""Parameter sweeps on stored data as a bulk operation (kind ``"sweep"``), walk-forward.

See :func:`sweep_stored` and :func:`walk_forward_stored`; :mod:`optionsintel.services.backtests`
re-exports both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from optionsintel._typing import Provider
from optionsintel.backtest.spec import BacktestSettings
from optionsintel.errors import BacktestError
from optionsintel.services.backtest_inputs import Source, load_bars, source_signals
from optionsintel.services.backtests import BacktestRun, record_of, store_record
from optionsintel.store import Store

if TYPE_CHECKING:
    from optionsintel.backtest.sweeps import ParameterSweep
    from optionsintel.backtest.walkforward import WalkForwardResult
    from optionsintel.services.bulk import BulkStatus

__all__ = ["SweepRun", "sweep_stored", "walk_forward_stored"]


@dataclass(frozen=True, eq=False)
class SweepRun:
    """A sweep run as a bulk operation: the table, the best combination's run, the record.

    ``operation`` is the bulk operation's final record (SUCCEEDED, PARTIAL when some
    combinations failed, CANCELLED when stopped: the table then holds what finished).
    """

    sweep: ParameterSweep
    best: BacktestRun
    operation: BulkStatus


def _combo_items(grid: Mapping[str, Sequence[Any]]) -> dict[str, dict[str, Any]]:
    from optionsintel.backtest.sweeps import grid_combinations

    combos = grid_combinations(grid)
    return {
        f"{i:04d}:" + ",".join(f"{k}={v}" for k, v in c.items())[:74]: c
        for i, c in enumerate(combos)
    }


def sweep_stored(
    store: Store,
    source: Source,
    grid: Mapping[str, Sequence[Any]],
    *,
    symbols: Sequence[str],
    provider: Provider,
    start: Any = None,
    end: Any = None,
    settings: BacktestSettings | None = None,
    metric: str = "sharpe_ratio",
    maximize: bool = True,
    user: str = "system",
    name: str | None = None,
    save: bool = True,
    progress: Callable[[int, int], None] | None = None,
    on_status: Callable[[BulkStatus], None] | None = None,
) -> SweepRun:
    """Sweep exit/sizing parameters of ``source`` as a bulk operation; store the best run.

    Each combination is one item of a ``"sweep"`` bulk operation
    (:mod:`optionsintel.services.bulk`): progress after every combination, a failing
    combination is recorded with its error and the sweep goes on, and cancelling the
    operation (``bulk.cancel_operation``) stops it after the current combination. The
    stored best run carries the sweep table, the grid, the operation id and the number
    of combinations tried in ``extra["sweep"]``: the overfitting yardstick travels with
    the result.

    Parameters
    ----------
    progress
        ``progress(finished, total)`` after each combination.
    on_status
        Called with the operation's :class:`BulkStatus` (for a ``BulkProgress`` widget).

    Raises
    ------
    BacktestError
        No bars or signals, an unknown metric, or no combination finished.
    """
    from optionsintel.backtest.run import run_backtest
    from optionsintel.backtest.sweeps import ParameterSweep, run_combination, split_params
    from optionsintel.services import bulk

    bars = load_bars(store, symbols, provider=provider, start=start, end=end)
    entries, exits = source_signals(store, source, bars, provider=provider)
    base = settings or BacktestSettings()
    items = _combo_items(grid)
    rows: dict[str, dict[str, Any]] = {}

    def work(batch: list[str]) -> Any:
        done, failed = [], []
        for key in batch:
            try:
                res = run_combination(bars, items[key], entries, exits, None, {"settings": base})
            except BacktestError as exc:
                failed.append(bulk.ItemError.from_exception(key, exc))
                continue
            rows[key] = {**items[key], **res.metrics.to_dict()}
            done.append(key)
        return bulk.BatchOutcome(done=done, failed=failed)

    def report(status: BulkStatus) -> None:
        if progress is not None:
            progress(status.done + status.failed, status.total)
        if on_status is not None:
            on_status(status)

    params = {"source": source.describe(), "grid": {k: list(v) for k, v in grid.items()},
              "metric": metric, "provider": provider, "symbols": len(symbols)}  # fmt: skip
    status = bulk.run_batches(store, "sweep", list(items), work, batch_size=1, params=params,
                              requested_by=user, progress=report)  # fmt: skip
    if not rows:
        raise BacktestError(f"no combination of the sweep finished (operation {status.status})")
    table = pd.DataFrame([rows[k] for k in items if k in rows])
    if metric not in table.columns:
        raise BacktestError(f"unknown metric {metric!r}; use one of {list(table.columns)}")
    result = ParameterSweep(table, tuple(grid), metric, maximize)
    row = result.best.name
    best_params = {k: _plain(table[k].loc[row]) for k in result.parameters}
    cfg, _ = split_params(best_params, base, False)
    best = run_backtest(bars, entries, exits, cfg, provider=provider,
                        signal_source=str(source.describe()))  # fmt: skip
    extra = {
        "sweep": {
            "metric": metric, "maximize": maximize, "grid": params["grid"],
            "combinations_tried": result.n_combinations, "operation_id": status.operation_id,
            "operation_status": status.status, "best": best_params,
            "table": table.to_dict(orient="list"),
        }
    }  # fmt: skip
    stored = None
    if save:
        stored = store_record(store, record_of(best, source=source, user=user, name=name,
                                               extra=extra))  # fmt: skip
    return SweepRun(result, BacktestRun(best, stored), status)


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def walk_forward_stored(
    store: Store,
    source: Source,
    grid: Mapping[str, Sequence[Any]],
    *,
    symbols: Sequence[str],
    provider: Provider,
    train_bars: int,
    test_bars: int,
    step: int | None = None,
    start: Any = None,
    end: Any = None,
    settings: BacktestSettings | None = None,
    metric: str = "sharpe_ratio",
    maximize: bool = True,
    report: Sequence[str] = ("total_return", "sharpe_ratio", "max_drawdown", "n_trades"),
    progress: Callable[[int, int], None] | None = None,
) -> WalkForwardResult:
    """Walk-forward of ``source`` on stored daily bars: best of ``grid`` in-sample, then out.

    Each window picks the combination with the best ``metric`` on its ``train_bars``
    bars and runs it on the next ``test_bars`` (see
    :func:`optionsintel.backtest.walkforward.walk_forward`); windows roll by ``step``
    (default ``test_bars``); ``report`` names the metrics shown in- and out-of-sample.
    Nothing is stored: the result is a table of windows.

    Raises
    ------
    BacktestError
        No bars or signals, a window that does not fit, or no finite metric in a window.
    """
    from optionsintel.backtest.walkforward import walk_forward

    bars = load_bars(store, symbols, provider=provider, start=start, end=end)
    entries, exits = source_signals(store, source, bars, provider=provider)
    return walk_forward(
        bars, grid, entries, exits, train_bars=train_bars, test_bars=test_bars, step=step,
        metric=metric, maximize=maximize, report=report, progress=progress,
        settings=settings or BacktestSettings(),
    )  # fmt: skip
