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

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, get_args

import pandas as pd

from optionsintel._typing import Provider
from optionsintel.errors import StoreError
from optionsintel.store.schema import metadata
from optionsintel.tz import EXCHANGE_TZ, to_utc

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
    return _SUBJECT.get(_market(dataset), "underlying")


def time_column(dataset: MarketDataset) -> str:
    """The column placing a row in time (``snapshot_ts``, ``trade_date`` or ``ts``)."""
    return _TIME.get(_market(dataset), "snapshot_ts")


# -- provider decisions ------------------------------------------------------------------


def list_providers(
    store: Store,
    dataset: MarketDataset,
    subject: Subjects = None,
    *,
    start: Any = None,
    end: Any = None,
) -> list[Provider]:
    """Providers with rows of ``dataset`` for ``subject`` between ``start`` and ``end``, sorted."""
    where = _subject_filter(dataset, subject)
    if start is None and end is None:
        return [str(p) for p in store.distinct(dataset, "provider", where)]
    rows = store.read(dataset, where=where, start=start, end=end,
                      time_column=time_column(dataset), columns=["provider"])  # fmt: skip
    return sorted({str(p) for p in rows["provider"]})


def resolve_provider(
    store: Store,
    dataset: MarketDataset,
    subject: Subjects,
    *,
    at: Any = None,
    start: Any = None,
) -> Provider | None:
    """The provider of the latest row of ``dataset`` for ``subject`` at or before ``at``.

    This is the one place where "whichever provider is newest" is decided; callers show
    the returned name next to what they read with it.

    Parameters
    ----------
    at
        Latest instant (or date for daily tables) to consider; None means no bound.
    start
        Earliest one (e.g. the start of the day being viewed); None means no bound.

    Returns
    -------
    str or None
        The provider, or None when no row matches.
    """
    tcol = time_column(dataset)
    rows = store.read(dataset, where=_subject_filter(dataset, subject), start=start, end=at,
                      time_column=tcol, columns=["provider"], order_by=[f"-{tcol}", "provider"],
                      limit=1)  # fmt: skip
    return None if rows.empty else str(rows["provider"].iloc[0])


def latest_time(
    store: Store, dataset: MarketDataset, subject: Subjects = None, *, provider: Provider
) -> pd.Timestamp | None:
    """The newest ``snapshot_ts``/``trade_date``/``ts`` of ``provider``'s rows (None if none)."""
    tcol = time_column(dataset)
    rows = _read(store, dataset, provider, subject, None, None, columns=[tcol],
                 order_by=[f"-{tcol}"], limit=1)  # fmt: skip
    return None if rows.empty else pd.Timestamp(rows[tcol].iloc[0])


def resolve_symbol_providers(
    store: Store, symbols: Sequence[str], *, start: Any = None, end: Any = None
) -> dict[str, Provider]:
    """For each symbol, the provider with the most daily bars in the window (ties: by name).

    Symbols without a bar are absent from the result.
    """
    bars = store.read("daily_ohlc", where={"symbol": list(symbols)}, start=start, end=end,
                      columns=["symbol", "provider"])  # fmt: skip
    counts = bars.groupby(["symbol", "provider"]).size().rename("n").reset_index()
    best = counts.sort_values(["symbol", "n", "provider"], ascending=[True, False, True])
    best = best.drop_duplicates("symbol")
    return {str(s): str(p) for s, p in zip(best["symbol"], best["provider"], strict=True)}


# -- listings (explicitly across providers: menus, not values) ---------------------------


def list_underlyings(store: Store, *, provider: Provider | None = None) -> list[str]:
    """Underlyings with stored quotes (of ``provider``, or of any provider when None)."""
    where = {} if provider is None else {"provider": provider}
    return [str(u) for u in store.distinct("underlying_quotes", "underlying", where)]


def list_symbols(store: Store, *, provider: Provider | None = None) -> list[str]:
    """Symbols with stored daily bars (of ``provider``, or of any provider when None)."""
    where = {} if provider is None else {"provider": provider}
    return [str(s) for s in store.distinct("daily_ohlc", "symbol", where)]


def list_quote_days(
    store: Store, underlying: str, *, provider: Provider | None = None
) -> list[dt.date]:
    """IST dates with stored quotes of ``underlying`` (of ``provider`` or any), oldest first."""
    where: dict[str, Any] = {"underlying": underlying}
    if provider is not None:
        where["provider"] = provider
    ts = store.read("underlying_quotes", where=where, columns=["snapshot_ts"])["snapshot_ts"]
    days = pd.DatetimeIndex(ts).tz_convert(EXCHANGE_TZ).normalize().unique().sort_values()
    return [d.date() for d in days]


# -- intraday series --------------------------------------------------------------------


def read_quotes(
    store: Store,
    *,
    provider: Provider,
    underlying: Subjects = None,
    start: Any = None,
    end: Any = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Underlying quotes of one provider, ascending by ``snapshot_ts``."""
    return _read(store, "underlying_quotes", provider, underlying, start, end, columns=columns)


def read_quote_times(
    store: Store,
    *,
    provider: Provider,
    underlying: Subjects = None,
    start: Any = None,
    end: Any = None,
) -> pd.DatetimeIndex:
    """Distinct snapshot instants (UTC, sorted) of one provider's stored quotes."""
    rows = read_quotes(store, provider=provider, underlying=underlying, start=start, end=end,
                       columns=["snapshot_ts"])  # fmt: skip
    return pd.DatetimeIndex(pd.to_datetime(rows["snapshot_ts"], utc=True)).unique().sort_values()


def read_chain_snapshots(
    store: Store,
    *,
    provider: Provider,
    underlying: Subjects = None,
    expiry: Any = None,
    instants: Sequence[Any] | pd.DatetimeIndex | None = None,
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """Option-chain snapshot rows of one provider (all, or only at ``instants``)."""
    where: dict[str, Any] = {}
    if expiry is not None:
        where["expiry"] = pd.Timestamp(expiry).date()
    if instants is not None:
        where["snapshot_ts"] = [to_utc(t) for t in instants]
    limit = 0 if instants is not None and not where["snapshot_ts"] else None
    return _read(store, "option_chain_snapshots", provider, underlying, start, end, where,
                 limit=limit)  # fmt: skip


def read_chain_as_of(
    store: Store,
    underlying: str,
    at: Any,
    *,
    provider: Provider,
    expiry: Any = None,
    lookback: dt.timedelta = dt.timedelta(days=1),
    staleness: dt.timedelta = dt.timedelta(minutes=30),
) -> pd.DataFrame:
    """The chain of ``underlying`` as ``provider`` last reported it at or before ``at``.

    See :meth:`optionsintel.store.Store.chain_as_of` for ``lookback`` and ``staleness``.
    """
    _check_provider(provider)
    return store.chain_as_of(underlying, at, provider=provider, expiry=expiry,
                             lookback=lookback, staleness=staleness)  # fmt: skip


def read_intraday_oi(
    store: Store, *, provider: Provider, underlying: Subjects = None, start: Any = None,
    end: Any = None,
) -> pd.DataFrame:  # fmt: skip
    """Rows of ``intraday_open_interest`` of one provider, ascending by ``snapshot_ts``."""
    return _read(store, "intraday_open_interest", provider, underlying, start, end)


def read_oi_deltas(
    store: Store, *, provider: Provider, underlying: Subjects = None, start: Any = None,
    end: Any = None,
) -> pd.DataFrame:  # fmt: skip
    """Rows of ``oi_delta_log`` of one provider, ascending by ``snapshot_ts``."""
    return _read(store, "oi_delta_log", provider, underlying, start, end)


# -- daily tables -------------------------------------------------------------------------


def read_daily_ohlc(
    store: Store,
    *,
    provider: Provider,
    symbols: Subjects = None,
    start: Any = None,
    end: Any = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Daily bars of one provider, ascending by ``trade_date`` (bounds are dates)."""
    return _read(store, "daily_ohlc", provider, symbols, start, end, columns=columns)


def read_eod_chain(
    store: Store, *, provider: Provider, underlying: Subjects = None, start: Any = None,
    end: Any = None,
) -> pd.DataFrame:  # fmt: skip
    """End-of-day chain rows of one provider, ascending by ``trade_date``."""
    return _read(store, "eod_option_chain", provider, underlying, start, end)


def read_oi_summaries(
    store: Store, *, provider: Provider, underlying: Subjects = None, start: Any = None,
    end: Any = None,
) -> pd.DataFrame:  # fmt: skip
    """Daily option-OI summaries (per expiry) of one provider, ascending by ``trade_date``."""
    return _read(store, "daily_option_oi_summary", provider, underlying, start, end)


# -- derived analytics --------------------------------------------------------------------


def read_signals(
    store: Store,
    *,
    provider: Provider,
    underlying: Subjects = None,
    start: Any = None,
    end: Any = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Signals of one provider, newest first (then most confident), at most ``limit``."""
    return _read(store, "signals", provider, underlying, start, end,
                 order_by=["-snapshot_ts", "-confidence", "expiry", "signal_type"],
                 limit=limit)  # fmt: skip


def read_levels(
    store: Store, *, provider: Provider, underlying: Subjects = None, start: Any = None,
    end: Any = None,
) -> pd.DataFrame:  # fmt: skip
    """Support/resistance levels of one provider, newest trade date first, by type and rank."""
    return _read(store, "support_resistance_levels", provider, underlying, start, end,
                 order_by=["-trade_date", "level_type", "method", "rank"])  # fmt: skip


def read_levels_in_force(
    store: Store, underlying: str, day: Any, *, provider: Provider, lookback_days: int = 10
) -> pd.DataFrame:
    """Levels in force on ``day``: those of ``provider``'s latest trade date before it.

    They are the end-of-day OI walls and the pivots computed for the next session;
    ``lookback_days`` bounds how far back (calendar days) that trade date may lie.
    """
    day = pd.Timestamp(day).date()
    rows = read_levels(store, provider=provider, underlying=underlying,
                       start=day - dt.timedelta(days=lookback_days),
                       end=day - dt.timedelta(days=1))  # fmt: skip
    if rows.empty:
        return rows
    return rows.loc[rows["trade_date"] == rows["trade_date"].max()].reset_index(drop=True)


def read_cluster_labels(
    store: Store,
    *,
    provider: Provider,
    entity: Subjects = None,
    start: Any = None,
    end: Any = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """ML cluster/anomaly labels of one provider, newest first."""
    return _read(store, "ml_cluster_labels", provider, entity, start, end,
                 order_by=["-ts", "entity", "model_name"], limit=limit)  # fmt: skip


# -- operations -----------------------------------------------------------------------------


def read_source_metrics(
    store: Store, *, since: Any = None, provider: Provider | None = None
) -> pd.DataFrame:
    """Per-provider request metrics since ``since`` (all providers when None), by provider, time.

    These describe the data sources themselves, not market data, so every provider's
    rows are returned unless one is named.
    """
    where = {} if provider is None else {"provider": provider}
    return store.read("data_source_metrics", where=where, start=since,
                      order_by=["provider", "ts"])  # fmt: skip


# -- internals ------------------------------------------------------------------------------


def _market(dataset: str) -> str:
    if dataset not in MARKET_DATASETS:
        raise StoreError(f"{dataset!r} is not a market data set; known: {list(MARKET_DATASETS)}")
    return dataset


def _check_provider(provider: Provider) -> None:
    if not isinstance(provider, str) or not provider:
        raise StoreError(
            f"a market read needs a provider name, got {provider!r}: pass provider=... or "
            "call resolve_provider() first"
        )


def _subject_filter(dataset: MarketDataset, subject: Subjects) -> dict[str, Any]:
    if subject is None:
        return {}
    value = subject if isinstance(subject, str) else list(subject)
    return {subject_column(dataset): value}


def _read(
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
    _check_provider(provider)
    tcol = time_column(dataset)
    filters = {"provider": provider, **_subject_filter(dataset, subject), **(where or {})}
    return store.read(dataset, where=filters, start=start, end=end, time_column=tcol,
                      columns=columns, order_by=order_by or [tcol], limit=limit)  # fmt: skip
