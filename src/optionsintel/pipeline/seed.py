"""Fill a store with demo data for the dashboards and notebooks, from the pipeline library.

``optionsintel up`` materialises the demo history through Dagster; notebooks, tests and
benchmarks that run against a bare database call :func:`seed_demo_store` instead. It
runs the same library steps as the Dagster assets (collect, intraday tables, daily
bars, EOD chain and summary, signals, levels) for a few days, and adds a year of
synthetic daily index bars so the analytics report has history to work on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from optionsintel.pipeline.collect import collect_day, daily_bars, intraday_tables
from optionsintel.pipeline.daily import (
    candles_to_daily_ohlc,
    daily_option_oi_summary,
    eod_chain_from_snapshots,
    eod_to_chain,
)
from optionsintel.pipeline.derived import levels_to_rows, signals_for_snapshots
from optionsintel.pipeline.sampling import sample_ticks

if TYPE_CHECKING:
    from optionsintel.store import Store

REPLAY_DAYS: tuple[dt.date, ...] = (dt.date(2025, 7, 16), dt.date(2025, 7, 17))


@dataclass
class SeedReport:
    """Rows written per table by :func:`seed_demo_store`."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, n: int) -> None:
        """Count ``n`` more rows written to ``table``."""
        self.rows[table] = self.rows.get(table, 0) + int(n)


def _write_day(store: Store, source: str, day: dt.date, underlyings: Sequence[str],
               interval_seconds: int, report: SeedReport) -> None:  # fmt: skip
    got = collect_day(source, day, underlyings, interval_seconds=interval_seconds)  # type: ignore[arg-type]
    eod = eod_chain_from_snapshots(got.chains)
    bars = daily_bars(source, day, underlyings, got.quotes)  # type: ignore[arg-type]
    ticks = sample_ticks(pd.DatetimeIndex(got.chains["snapshot_ts"].unique()), 15)
    sampled = got.chains.loc[got.chains["snapshot_ts"].isin(ticks)]
    tables = dict(intraday_tables(got))
    tables.update({
        "eod_option_chain": eod, "daily_ohlc": bars,
        "daily_option_oi_summary": daily_option_oi_summary(eod),
        "signals": signals_for_snapshots(sampled),
        "support_resistance_levels": levels_to_rows(eod_to_chain(eod), bars),
    })  # fmt: skip
    with store.transaction() as tx:
        for table, frame in tables.items():
            if len(frame):
                tx.write(table, frame)
                report.add(table, len(frame))


def seed_demo_store(
    store: Store,
    synthetic_days: Sequence[dt.date] = (),
    replay_days: Sequence[dt.date] = REPLAY_DAYS,
    underlyings: Sequence[str] = ("NIFTY",),
    interval_seconds: int = 300,
    history_start: dt.date | None = None,
) -> SeedReport:
    """Write demo days (synthetic and recorded real) and daily index history into ``store``.

    Parameters
    ----------
    store
        A :class:`~optionsintel.store.Store`; writes are idempotent upserts.
    synthetic_days, replay_days
        Trading days to collect from the synthetic market / the recorded real chains.
    underlyings
        Indices to collect.
    interval_seconds
        Synthetic snapshot spacing (multiple of 15).
    history_start
        First day of synthetic daily bars for the analytics report (default: one year
        before the last synthetic day, or none without synthetic days).
    """
    from optionsintel.synthetic import index_daily_ohlc

    report = SeedReport()
    for source, days in (("synthetic", synthetic_days), ("replay", replay_days)):
        for day in days:
            _write_day(store, source, day, underlyings, interval_seconds, report)
    if synthetic_days:
        end = max(synthetic_days)
        start = history_start or end - dt.timedelta(days=365)
        candles = pd.concat([index_daily_ohlc(u, start, end, seed=7) for u in underlyings])
        bars = candles_to_daily_ohlc(candles)
        store.write("daily_ohlc", bars)
        report.add("daily_ohlc", len(bars))
    return report
