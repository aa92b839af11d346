"""Collection: the provider I/O of the pipeline (whole backfill days and the live session loop).

The pure table-building steps live in :mod:`optionsintel.transforms`; this package calls
providers and hands frames to a write callback (it never imports the store).
"""

from optionsintel.collect.session import (
    BACKFILL_SOURCES,
    INDICES,
    BackfillNotSupportedError,
    Collected,
    SessionReport,
    collect_day,
    collect_tick,
    daily_bars,
    intraday_tables,
    run_collection_session,
    source_timestamp,
)

__all__ = [
    "BACKFILL_SOURCES",
    "INDICES",
    "BackfillNotSupportedError",
    "Collected",
    "SessionReport",
    "collect_day",
    "collect_tick",
    "daily_bars",
    "intraday_tables",
    "run_collection_session",
    "source_timestamp",
]
