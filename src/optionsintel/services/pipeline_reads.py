"""Session-bounded reads the pipeline steps need, keyed by trading day and provider.

Thin day-to-instant adapters over :mod:`optionsintel.store.reads` (which takes explicit
instants): the trading session of a day comes from :mod:`optionsintel.calendar`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from optionsintel._typing import Provider
from optionsintel.calendar import is_trading_day, session_bounds
from optionsintel.store import reads
from optionsintel.transforms.sampling import sample_ticks
from optionsintel.transforms.session_signals import EOD_SAMPLE_MINUTES

if TYPE_CHECKING:
    from optionsintel.store import Store

#: Calendar days of daily history the ML labelling step reads before its day.
HISTORY_DAYS = 400


def read_session_quotes(store: Store, day: dt.date, provider: Provider) -> pd.DataFrame:
    """Underlying quotes of ``provider`` within the session of ``day`` (open to close)."""
    lo, hi = session_bounds(day, tz="UTC")
    return reads.read_quotes(store, provider=provider, start=lo, end=hi)


def stored_ticks(store: Store, day: dt.date, provider: Provider) -> pd.DatetimeIndex:
    """Snapshot instants of ``day`` stored for ``provider`` (from ``underlying_quotes``)."""
    lo, hi = session_bounds(day, tz="UTC")
    return reads.read_quote_times(store, provider=provider, start=lo, end=hi)


def read_sampled_snapshots(
    store: Store, day: dt.date, provider: Provider, every_minutes: int = 15
) -> pd.DataFrame:
    """Chain snapshots of ``day`` at :func:`~optionsintel.transforms.sampling.sample_ticks`."""
    ticks = sample_ticks(stored_ticks(store, day, provider), every_minutes)
    return reads.read_chain_snapshots(store, provider=provider, instants=ticks)


def history_window(until: dt.date, days: int = HISTORY_DAYS) -> tuple[dt.date, dt.date]:
    """Inclusive ``(start, until)`` dates of the daily history read up to ``until``."""
    return until - dt.timedelta(days=days), until


def read_session_samples(store: Store, day: dt.date) -> pd.DataFrame:
    """Chains stored on ``day`` at the first tick of each 15-minute bucket, every provider.

    What :meth:`SessionSignals.resume` needs; unlike ``sample_ticks`` the day's last tick
    is not added (the day is not over). Empty on a day without a session.
    """
    if not is_trading_day(day):
        return pd.DataFrame()
    lo, hi = session_bounds(day, tz="UTC")
    parts = []
    for provider in reads.list_providers(store, "underlying_quotes", start=lo, end=hi):
        ticks = pd.Series(reads.read_quote_times(store, provider=provider, start=lo, end=hi))
        firsts = ticks.loc[~ticks.dt.floor(f"{EOD_SAMPLE_MINUTES}min").duplicated()]
        if len(firsts):
            parts.append(reads.read_chain_snapshots(store, provider=provider, instants=firsts))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
