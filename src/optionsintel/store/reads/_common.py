"""What every read shares: the market data sets, their columns, and the one read path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, get_args

import pandas as pd

from optionsintel._typing import Provider
from optionsintel.errors import StoreError
from optionsintel.store.schema import metadata

if TYPE_CHECKING:
    from optionsintel.store.api import Store

MarketDataset: TypeAlias = Literal[
    "underlying_quotes",
    "option_chain_snapshots",
    "intraday_open_interest",
    "oi_delta_log",
    "daily_ohlc",
    "eod_option_chain",
    "daily_option_oi_summary",
    "signals",
    "support_resistance_levels",
    "ml_cluster_labels",
]
"""Tables of market data and analytics derived from it: every row names its provider."""
MARKET_DATASETS: tuple[str, ...] = get_args(MarketDataset)

#: The column naming what a row is about, where it is not ``underlying``.
_SUBJECT = {"daily_ohlc": "symbol", "ml_cluster_labels": "entity"}
_TIME = {
    "daily_ohlc": "trade_date",
    "eod_option_chain": "trade_date",
    "daily_option_oi_summary": "trade_date",
    "support_resistance_levels": "trade_date",
    "ml_cluster_labels": "ts",
}
Subjects: TypeAlias = str | Sequence[str] | None


def columns_of(dataset: str) -> list[str]:
    """Column names of ``dataset`` in schema order (from :mod:`optionsintel.store.schema`).

    Raises
    ------
    StoreError
        When ``dataset`` is not a platform table.
    """
    if dataset not in metadata.tables:
        raise StoreError(f"unknown data set {dataset!r}; known: {sorted(metadata.tables)}")
    return [c.name for c in metadata.tables[dataset].columns]


def subject_column(dataset: MarketDataset) -> str:
    """The column naming the instrument of a row (``underlying``, ``symbol`` or ``entity``)."""
    return _SUBJECT.get(market_dataset(dataset), "underlying")


def time_column(dataset: MarketDataset) -> str:
    """The column placing a row in time (``snapshot_ts``, ``trade_date`` or ``ts``)."""
    return _TIME.get(market_dataset(dataset), "snapshot_ts")


def market_dataset(dataset: str) -> str:
    if dataset not in MARKET_DATASETS:
        raise StoreError(f"{dataset!r} is not a market data set; known: {list(MARKET_DATASETS)}")
    return dataset


def check_provider(provider: Provider) -> None:
    if not isinstance(provider, str) or not provider:
        raise StoreError(
            f"a market read needs a provider name, got {provider!r}: pass provider=... or "
            "call resolve_provider() first"
        )


def subject_filter(dataset: MarketDataset, subject: Subjects) -> dict[str, Any]:
    if subject is None:
        return {}
    value = subject if isinstance(subject, str) else list(subject)
    return {subject_column(dataset): value}


def read_market(
    store: Store,
    dataset: MarketDataset,
    provider: Provider,
    subject: Subjects,
    start: Any,
    end: Any,
    where: dict[str, Any] | None = None,
    *,
    columns: Sequence[str] | None = None,
    order_by: Sequence[str] | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The one path to a market table: provider checked, subject and time bounds applied."""
    check_provider(provider)
    tcol = time_column(dataset)
    filters = {"provider": provider, **subject_filter(dataset, subject), **(where or {})}
    return store.read(dataset, where=filters, start=start, end=end, time_column=tcol,
                      columns=columns, order_by=order_by or [tcol], limit=limit)  # fmt: skip
