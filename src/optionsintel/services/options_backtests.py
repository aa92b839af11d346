"""Options-leg backtests over the store: load recorded chains, read, run, (store).

* :func:`load_contract_histories`: NSE contract-wise option history CSVs into
  ``eod_option_chain`` under an explicit provider name (idempotent upsert).
* :func:`run_stored_options_backtest`: read one underlying's chains of one provider
  (intraday snapshots where the store has them in the window, end-of-day chains
  otherwise, or the kind you name), pivot them and run
  :func:`optionsintel.backtest.options.run_options_backtest`.
* :func:`save_strategy` / :func:`saved_strategies`: users' strategy records (insert-only
  versions, :mod:`optionsintel.store.strategies`).
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from optionsintel.backtest.costs import CostModel
from optionsintel.backtest.options import (
    Execution,
    OptionsBacktestResult,
    OptionsStrategySpec,
    chain_panel,
    run_options_backtest,
)
from optionsintel.errors import BacktestError, InputError
from optionsintel.providers.replay_history import infer_lot_size, parse_contract_history
from optionsintel.store import Store
from optionsintel.store.backtests import (
    BacktestRunRecord,
    StoredBacktestRun,
    append_backtest_run,
    frame_to_json,
)
from optionsintel.store.reads import read_chain_snapshots, read_eod_chain
from optionsintel.store.strategies import (
    SavedStrategy,
    list_user_strategies,
    save_user_strategy,
)
from optionsintel.transforms.contract_history import eod_rows_from_contract_history

__all__ = [
    "load_contract_histories",
    "options_run_record",
    "run_stored_options_backtest",
    "save_strategy",
    "saved_strategies",
    "store_options_run",
]

ChainSource = Literal["auto", "eod", "intraday"]
Progress = Callable[[str], None]


def _text(path: Path) -> str:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return handle.read()
    return path.read_text(encoding="utf-8")


def load_contract_histories(
    store: Store,
    files: Sequence[str | Path],
    *,
    provider: str,
    underlying_closes: Mapping[dt.date, float] | None = None,
) -> int:
    """Upsert NSE contract-wise histories (CE and PE files of one underlying) as EOD chains.

    ``underlying_closes`` fills the days NSE wrote ``-`` as the underlying value (name the
    source of those closes in your provenance); other days keep NSE's own value.

    Returns
    -------
    int
        Rows written to ``eod_option_chain``.
    """
    if not files:
        raise InputError("no contract history files given")
    parts = [parse_contract_history(_text(Path(f)), Path(f).name) for f in files]
    history = pd.concat(parts, ignore_index=True)
    if underlying_closes:
        fill = history["date"].dt.date.map(dict(underlying_closes))
        history["underlying_value"] = history["underlying_value"].fillna(fill)
    rows = eod_rows_from_contract_history(
        history, lot_size=infer_lot_size(history), provider=provider
    )
    store.write("eod_option_chain", rows)
    return len(rows)


def _read_chains(
    store: Store, spec: OptionsStrategySpec, provider: str, start: Any, end: Any,
    source: ChainSource,
) -> tuple[pd.DataFrame, Literal["eod", "intraday"]]:  # fmt: skip
    if source in ("auto", "intraday"):
        lo = pd.Timestamp(start).tz_localize("Asia/Kolkata") if start is not None else None
        hi = (pd.Timestamp(end) + pd.Timedelta(days=1)).tz_localize("Asia/Kolkata") if end else None
        snaps = read_chain_snapshots(store, provider=provider, underlying=spec.underlying,
                                     start=lo, end=hi)  # fmt: skip
        if len(snaps) or source == "intraday":
            return snaps, "intraday"
    rows = read_eod_chain(store, provider=provider, underlying=spec.underlying, start=start,
                         end=end)  # fmt: skip
    return rows, "eod"


def run_stored_options_backtest(
    store: Store,
    spec: OptionsStrategySpec,
    *,
    provider: str,
    start: Any = None,
    end: Any = None,
    source: ChainSource = "auto",
    execution: Execution | None = None,
    costs: CostModel | None = None,
    capital: float = 1_000_000.0,
    exit_signal: pd.Series | None = None,
    settlement: Mapping[dt.date, float] | None = None,
    progress: Progress | None = None,
) -> OptionsBacktestResult:
    """Run an options strategy over one provider's stored chains of its underlying.

    ``start``/``end`` are IST trade dates (inclusive). The chains must cover the expiries
    of the trades (a trade whose expiry day is not stored is skipped with the reason).

    Raises
    ------
    BacktestError
        No stored chain of the underlying from ``provider`` in the window.
    """
    if not provider:
        raise InputError("name the chain provider: provider=... (see list_providers)")
    say = progress or (lambda _msg: None)
    say(f"reading {spec.underlying} chains from {provider!r}")
    rows, kind = _read_chains(store, spec, provider, start, end, source)
    if rows.empty:
        raise BacktestError(
            f"no stored {kind} chains of {spec.underlying} from {provider!r} between "
            f"{start} and {end}"
        )
    say(f"{len(rows):,} {kind} chain rows read; simulating")
    panel = chain_panel(rows, kind=kind, underlying=spec.underlying, provider=provider)
    result = run_options_backtest(panel, spec, execution, costs, capital=capital,
                                  exit_signal=exit_signal, settlement=settlement)  # fmt: skip
    say(f"{int(result.metrics['n_trades'])} trades, {int(result.metrics['n_skipped'])} skipped")
    return result


def save_strategy(
    store: Store, owner: str, name: str, *, underlying: str, legs: Sequence[Mapping[str, Any]],
    rules: Mapping[str, Any] | None = None, note: str | None = None,
) -> tuple[SavedStrategy, bool]:  # fmt: skip
    """Save a builder strategy as a new insert-only version (unchanged: nothing stored)."""
    return save_user_strategy(store, owner, name, underlying=underlying, legs=legs,
                              rules=rules, note=note)  # fmt: skip


def saved_strategies(store: Store, owner: str) -> pd.DataFrame:
    """The newest version of each of ``owner``'s saved strategies."""
    return list_user_strategies(store, owner)


def options_run_record(
    result: OptionsBacktestResult, *, user: str, name: str | None = None,
    strategy_pin: str | None = None,
) -> BacktestRunRecord:  # fmt: skip
    """The ``backtest_runs`` record (kind ``options``) of an options backtest.

    ``source`` names the strategy (and its saved ``owner/name@version`` pin when it came
    from the builder); ``extra`` holds the per-leg table and the chain rows read.
    """
    from optionsintel import __version__

    inputs = result.inputs
    strategy = dict(inputs.settings.get("strategy", {}))
    equity = pd.DataFrame(
        {"equity": result.equity, "returns": result.returns, "drawdown": result.drawdown}
    )
    return BacktestRunRecord(
        kind="options", created_by=user, name=name or strategy.get("name"),
        source={"type": "options_strategy", "name": strategy.get("name"),
                "underlying": strategy.get("underlying"), "strategy": strategy_pin},
        universe=inputs.universe, period_start=inputs.start, period_end=inputs.end,
        provider=inputs.provider or "unknown", cost_table_version=inputs.cost_table_version,
        settings=dict(inputs.settings), metrics=result.metrics.to_dict(),
        costs={} if result.costs is None else dict(result.costs.totals),
        trades=result.trades, equity=equity,
        extra={"legs": frame_to_json(result.legs), "rows_read": result.rows_read},
        software_version=str(__version__)[:40],
    )  # fmt: skip


def store_options_run(
    store: Store, result: OptionsBacktestResult, *, user: str, name: str | None = None,
    strategy_pin: str | None = None,
) -> StoredBacktestRun:  # fmt: skip
    """Store an options backtest in ``backtest_runs`` (insert-only; kind ``options``)."""
    record = options_run_record(result, user=user, name=name, strategy_pin=strategy_pin)
    return append_backtest_run(store, record)
