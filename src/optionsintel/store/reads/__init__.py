"""Typed reads of every data set, provider-aware by construction.

One function per data set (``read_<dataset>``), in the style of Prefect's data layer:
callers (dashboards, pipeline steps, CLI, notebooks) never pass table names or ad-hoc
filter dicts. For market data the provider is a required keyword: rows of two providers
(say synthetic and recorded real) never meet in one result. When a caller does not know
the provider, it asks :func:`resolve_provider`, which says which one it chose.

>>> provider = resolve_provider(store, "option_chain_snapshots", "NIFTY", at=now)  # doctest: +SKIP
>>> chain = read_chain_as_of(store, "NIFTY", now, provider=provider)  # doctest: +SKIP

Instants are anything :func:`optionsintel.tz.to_utc` accepts (naive values are IST);
dates are calendar dates. Bounds are inclusive. Columns come from the schema
(:func:`columns_of`), never from hand-written lists.
"""

from optionsintel.store.reads._common import (
    MARKET_DATASETS,
    MarketDataset,
    columns_of,
    subject_column,
    time_column,
)
from optionsintel.store.reads.coverage import COVERAGE_COLUMNS, read_coverage, read_stored_days
from optionsintel.store.reads.market import (
    read_chain_as_of,
    read_chain_snapshots,
    read_cluster_labels,
    read_daily_ohlc,
    read_eod_chain,
    read_intraday_oi,
    read_levels,
    read_levels_in_force,
    read_oi_deltas,
    read_oi_summaries,
    read_quote_times,
    read_quotes,
    read_signals,
    read_source_metrics,
)
from optionsintel.store.reads.providers import (
    latest_time,
    list_providers,
    list_quote_days,
    list_symbols,
    list_underlyings,
    resolve_provider,
    resolve_symbol_providers,
    symbol_provider_counts,
)

__all__ = [
    "COVERAGE_COLUMNS",
    "MARKET_DATASETS",
    "MarketDataset",
    "columns_of",
    "latest_time",
    "list_providers",
    "list_quote_days",
    "list_symbols",
    "list_underlyings",
    "read_chain_as_of",
    "read_chain_snapshots",
    "read_cluster_labels",
    "read_coverage",
    "read_daily_ohlc",
    "read_eod_chain",
    "read_intraday_oi",
    "read_levels",
    "read_levels_in_force",
    "read_oi_deltas",
    "read_oi_summaries",
    "read_quote_times",
    "read_quotes",
    "read_signals",
    "read_source_metrics",
    "read_stored_days",
    "resolve_provider",
    "resolve_symbol_providers",
    "subject_column",
    "symbol_provider_counts",
    "time_column",
]
