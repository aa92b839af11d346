"""Stored backtest runs: insert-only rows of ``backtest_runs`` and their typed reads.

A run is written once with the store's insert-only append (a stored ``run_id`` is an
error, never an update) and read whole. The table is shared by signal/pattern/code
backtests (``kind="signal"``) and options-leg strategy backtests (``kind="options"``):
both hand over a :class:`BacktestRunRecord` of plain values and frames. Frames are stored
as column-oriented JSON (``{"index": [...], "columns": [...], "dtypes": {...}, "data":
[[...]]}``); timestamps as ISO strings, NaN and infinities as null, and datetime columns
are restored on read from the recorded dtypes.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import pandas as pd
import sqlalchemy as sa

from optionsintel.errors import BacktestRunNotFoundError, InvalidArgumentError
from optionsintel.store.schema import backtest_runs

if TYPE_CHECKING:
    from optionsintel.store.api import Store

RunKind: TypeAlias = Literal["signal", "options"]

__all__ = [
    "BacktestRunRecord",
    "RunKind",
    "StoredBacktestRun",
    "append_backtest_run",
    "frame_from_json",
    "frame_to_json",
    "list_backtest_runs",
    "new_run_id",
    "read_backtest_run",
]

#: Columns of a listing (everything but the heavy JSON of trades and curves).
SUMMARY_COLUMNS = (
    "run_id", "kind", "name", "created_by", "created_at", "source", "pattern_versions",
    "universe", "period_start", "period_end", "provider", "cost_table_version", "metrics",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class BacktestRunRecord:
    """One finished run as stored: its inputs and results as plain values and frames.

    ``source`` says what generated the trades (``{"type": "pattern", "entry": "rsi@2",
    "exit": None}``, ``{"type": "signal", "signal_type": ..., "min_confidence": ...}``,
    ``{"type": "code", "description": ...}``, or a strategy description for options).
    ``trades`` is the trade list, ``equity`` a frame indexed by bar time (columns
    ``equity``, ``drawdown``, optionally ``returns``), ``costs`` the cost totals by
    component, ``extra`` anything kind-specific (sweeps, Monte Carlo, legs).
    """

    kind: RunKind
    created_by: str
    source: Mapping[str, Any]
    universe: Sequence[str]
    period_start: dt.datetime
    period_end: dt.datetime
    provider: str
    trades: pd.DataFrame
    equity: pd.DataFrame
    metrics: Mapping[str, float | None] = field(default_factory=dict)
    costs: Mapping[str, float | None] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    coverage: Mapping[str, float | None] = field(default_factory=dict)
    pattern_versions: Sequence[str] = ()
    cost_table_version: str | None = None
    benchmark: pd.DataFrame | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    name: str | None = None
    software_version: str = "unknown"
    run_id: str = field(default_factory=lambda: new_run_id())


@dataclass(frozen=True, eq=False)
class StoredBacktestRun:
    """A stored run: its record and when it was stored."""

    record: BacktestRunRecord
    created_at: dt.datetime

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.record.run_id


def new_run_id() -> str:
    """A fresh run id (``bt-`` and 20 random hex digits)."""
    return f"bt-{uuid.uuid4().hex[:20]}"


# -- JSON form of frames --------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def plain(value: Any) -> Any:
    """``value`` as JSON-ready Python (NaN and infinities as None, timestamps ISO)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray | pd.Index):
        return [plain(v) for v in value]
    if isinstance(value, pd.Series):
        return plain(value.to_dict())
    return _cell(value)


def frame_to_json(frame: pd.DataFrame) -> dict[str, Any]:
    """Column-oriented JSON of ``frame`` (index, columns, dtypes, rows)."""
    data = [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return {
        "index": [_cell(v) for v in frame.index],
        "index_dtype": str(frame.index.dtype),
        "columns": [str(c) for c in frame.columns],
        "dtypes": {str(c): str(t) for c, t in frame.dtypes.items()},
        "data": data,
    }


def frame_from_json(payload: Mapping[str, Any] | None) -> pd.DataFrame | None:
    """The frame :func:`frame_to_json` wrote (datetime columns and index restored)."""
    if payload is None:
        return None
    columns = list(payload["columns"])
    frame = pd.DataFrame(payload["data"], columns=columns)
    for col, dtype in payload.get("dtypes", {}).items():
        if col not in frame.columns:
            continue
        if dtype.startswith("datetime64"):
            frame[col] = _datetimes(frame[col], dtype)
        elif dtype == "bool":
            frame[col] = frame[col].astype(bool)
        elif dtype.startswith(("float", "int")):
            frame[col] = pd.to_numeric(frame[col]).astype(float if "float" in dtype else dtype)
    index_dtype = str(payload.get("index_dtype", ""))
    if index_dtype.startswith("datetime64"):
        frame.index = pd.DatetimeIndex(_datetimes(pd.Series(payload["index"]), index_dtype))
    else:
        frame.index = pd.Index(payload["index"])
    return frame


def _datetimes(values: pd.Series, dtype: str) -> pd.Series:
    """ISO strings back to the recorded datetime dtype (naive, or aware in its zone)."""
    if "," not in dtype:
        return pd.to_datetime(values)
    zone = dtype.split(",", 1)[1].rstrip("]").strip()
    return pd.to_datetime(values, utc=True).dt.tz_convert(zone)


# -- write ----------------------------------------------------------------------------------


def _row(rec: BacktestRunRecord) -> dict[str, Any]:
    if rec.kind not in ("signal", "options"):
        raise InvalidArgumentError(
            f"a backtest run's kind is 'signal' or 'options', got {str(rec.kind)[:20]!r}"
        )
    if not rec.universe:
        raise InvalidArgumentError("a backtest run needs at least one symbol in its universe")
    return {
        "run_id": rec.run_id,
        "kind": rec.kind,
        "name": rec.name,
        "created_by": rec.created_by,
        "source": plain(rec.source),
        "pattern_versions": [str(p) for p in rec.pattern_versions],
        "universe": [str(s) for s in rec.universe],
        "period_start": pd.Timestamp(rec.period_start),
        "period_end": pd.Timestamp(rec.period_end),
        "provider": rec.provider,
        "cost_table_version": rec.cost_table_version,
        "coverage": plain(rec.coverage),
        "settings": plain(rec.settings),
        "metrics": plain(rec.metrics),
        "costs": plain(rec.costs),
        "trades": frame_to_json(rec.trades),
        "equity": frame_to_json(rec.equity),
        "benchmark": None if rec.benchmark is None else frame_to_json(rec.benchmark),
        "extra": plain(rec.extra),
        "software_version": rec.software_version,
    }


def append_backtest_run(store: Store, record: BacktestRunRecord) -> StoredBacktestRun:
    """Store a finished run (insert-only: its ``run_id`` must be new).

    Raises
    ------
    DuplicateRecordError
        When a run with this id is already stored (nothing is written).
    InvalidArgumentError
        An unknown kind or an empty universe.
    """
    row = _row(record)
    frame = pd.DataFrame([row])
    for col in ("period_start", "period_end"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    with store.transaction() as tx:
        tx.append("backtest_runs", frame)
    return read_backtest_run(store, record.run_id)


# -- reads ----------------------------------------------------------------------------------


def _as_record(row: Any) -> StoredBacktestRun:
    names = {f.name for f in fields(BacktestRunRecord)}
    values = {k: row[k] for k in names if k in row}
    values["trades"] = frame_from_json(row["trades"])
    values["equity"] = frame_from_json(row["equity"])
    values["benchmark"] = frame_from_json(row["benchmark"])
    values["universe"] = tuple(row["universe"])
    values["pattern_versions"] = tuple(row["pattern_versions"])
    return StoredBacktestRun(BacktestRunRecord(**values), row["created_at"])


def read_backtest_run(store: Store, run_id: str) -> StoredBacktestRun:
    """The stored run ``run_id``, whole.

    Raises
    ------
    BacktestRunNotFoundError
        When no run has that id.
    """
    with store.engine.connect() as conn:
        row = (
            conn.execute(sa.select(backtest_runs).where(backtest_runs.c.run_id == str(run_id)))
            .mappings()
            .first()
        )
    if row is None:
        raise BacktestRunNotFoundError(
            f"no stored backtest run {str(run_id)[:80]!r}; `optionsintel backtest list` shows them"
        )
    return _as_record(row)


def list_backtest_runs(
    store: Store,
    *,
    kind: RunKind | None = None,
    created_by: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> pd.DataFrame:
    """Stored runs, newest first, without their trades and curves (``SUMMARY_COLUMNS``)."""
    t = backtest_runs
    stmt = sa.select(*(t.c[c] for c in SUMMARY_COLUMNS)).order_by(t.c.created_at.desc(), t.c.run_id)
    if kind is not None:
        stmt = stmt.where(t.c.kind == kind)
    if created_by is not None:
        stmt = stmt.where(t.c.created_by == created_by)
    stmt = stmt.limit(max(1, min(int(limit), 1000))).offset(max(0, int(offset)))
    with store.engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=list(SUMMARY_COLUMNS))
