"""Store reads the pipeline steps need, keyed by trading day and provider."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from optionsintel.calendar import session_bounds
from optionsintel.pipeline.sampling import sample_ticks

_DAY_TABLES = {"daily_ohlc", "eod_option_chain", "daily_option_oi_summary"}


def read_day(store: Any, table: str, day: dt.date, provider: str) -> pd.DataFrame:
    """Rows of ``table`` for one trading day and provider.

    Intraday tables are bounded by the session (open to close); daily tables by
    ``trade_date``. ``daily_ohlc`` is keyed by ``symbol``, the others by ``underlying``.
    """
    if table in _DAY_TABLES:
        return store.read(table, where={"provider": provider, "trade_date": day})
    lo, hi = session_bounds(day, tz="UTC")
    return store.read(
        table, where={"provider": provider}, start=lo, end=hi, order_by=["snapshot_ts"]
    )


def stored_ticks(store: Any, day: dt.date, provider: str) -> pd.DatetimeIndex:
    """Snapshot instants of ``day`` stored for ``provider`` (from ``underlying_quotes``)."""
    lo, hi = session_bounds(day, tz="UTC")
    quotes = store.read("underlying_quotes", where={"provider": provider}, start=lo, end=hi,
                        columns=["snapshot_ts"])  # fmt: skip
    return pd.DatetimeIndex(quotes["snapshot_ts"]).unique().sort_values()


def read_sampled_snapshots(
    store: Any, day: dt.date, provider: str, every_minutes: int = 15
) -> pd.DataFrame:
    """Chain snapshots of ``day`` at :func:`~optionsintel.pipeline.sampling.sample_ticks`."""
    ticks = sample_ticks(stored_ticks(store, day, provider), every_minutes)
    if ticks.empty:
        return store.read("option_chain_snapshots", where={"provider": provider}, limit=0)
    return store.read("option_chain_snapshots",
                      where={"provider": provider, "snapshot_ts": list(ticks)})  # fmt: skip


def read_history(
    store: Any, table: str, provider: str, until: dt.date, days: int = 400
) -> pd.DataFrame:
    """Rows of a daily table for ``provider`` from ``days`` before ``until`` up to it."""
    start = until - dt.timedelta(days=days)
    return store.read(table, where={"provider": provider}, start=start, end=until,
                      time_column="trade_date")  # fmt: skip
