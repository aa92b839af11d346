"""The backtest app's data access: use cases of :mod:`optionsintel.services.backtests`.

The app receives a :class:`BacktestServices` of plain callables (bound to a store by
:func:`backtest_services`), so tests can inject their own and no SQL lives in widget code.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optionsintel.services import backtests as bt
from optionsintel.services import bulk, patterns
from optionsintel.store import Store, reads
from optionsintel.ui.pattern_data import daily_providers


@dataclass(frozen=True)
class BacktestServices:
    """What the app may ask for, each a callable (see :func:`backtest_services`)."""

    providers: Callable[[], list[str]]
    """Providers with stored daily bars (one per run; never mixed)."""
    symbols: Callable[[str], list[str]]
    """Symbols with daily bars of a provider."""
    pins: Callable[[], list[str]]
    """Saved pattern versions, newest version of each pattern first."""
    run: Callable[..., bt.BacktestRun]
    """``(source, symbols=, provider=, start=, end=, settings=, benchmark=, progress=)``."""
    sweep: Callable[..., Any]
    """``(source, grid, symbols=, provider=, ..., progress=, on_status=)`` -> ``SweepRun``."""
    cancel: Callable[[str], bool]
    """Cancel a running bulk operation (a sweep) by id; False when it had finished."""
    walk_forward: Callable[..., Any]
    """``(source, grid, symbols=, provider=, train_bars=, test_bars=, step=, ...)``."""
    runs: Callable[[], Any]
    """Stored runs, newest first (a frame, ``list_runs``)."""
    read: Callable[[str], Any]
    compare: Callable[[str, str], bt.RunComparison]
    export: Callable[[str], Path]
    """A stored run -> the path of its .xlsx workbook."""


def _pins(store: Store) -> list[str]:
    out = []
    for head in patterns.list_patterns(store):
        out += [f"{head.pattern_id}@{v}" for v in range(head.latest_version, 0, -1)]
    return out


def backtest_services(store: Store, user: str = "analyst") -> BacktestServices:
    """Bind the app's data functions to ``store`` (runs are stored as ``user``)."""
    folder = Path(tempfile.mkdtemp(prefix="optionsintel-backtests-"))

    def run(source: Any, **kw: Any) -> bt.BacktestRun:
        return bt.run_stored(store, source, user=user, **kw)

    def sweep(source: Any, grid: Any, **kw: Any) -> Any:
        return bt.sweep_stored(store, source, grid, user=user, **kw)

    def walk_forward(source: Any, grid: Any, **kw: Any) -> Any:
        return bt.walk_forward_stored(store, source, grid, **kw)

    return BacktestServices(
        providers=lambda: daily_providers(store),
        symbols=lambda provider: reads.list_symbols(store, provider=provider),
        pins=lambda: _pins(store),
        run=run,
        sweep=sweep,
        cancel=lambda operation_id: bulk.cancel_operation(store, operation_id),
        walk_forward=walk_forward,
        runs=lambda: bt.list_runs(store, limit=200),
        read=lambda run_id: bt.read_run(store, run_id),
        compare=lambda a, b: bt.compare_runs(store, a, b),
        export=lambda run_id: bt.export_run(store, run_id, folder / f"{run_id}.xlsx"),
    )
