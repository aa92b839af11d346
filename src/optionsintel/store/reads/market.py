"""One read per market data set: the provider is a required keyword."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from optionsintel._typing import Provider
from optionsintel.store.reads._common import Subjects, check_provider, read_market
from optionsintel.tz import to_utc

if TYPE_CHECKING:
    from optionsintel.store.api import Store


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
    return read_market(
        store, "underlying_quotes", provider, underlying, start, end, columns=columns
    )


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
    return read_market(store, "option_chain_snapshots", provider, underlying, start, end, where,
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
    check_provider(provider)
    return store.chain_as_of(underlying, at, provider=provider, expiry=expiry,
                             lookback=lookback, staleness=staleness)  # fmt: skip


def read_intraday_oi(
    store: Store, *, provider: Provider, underlying: Subjects = None, start: Any = None,
    end: Any = None,
) -> pd.DataFrame:  # fmt: skip
    """Rows of ``intraday_open_interest`` of one provider, ascending by ``snapshot_ts``."""
    return read_market(store, "intraday_open_interest", provider, underlying, start, end)


def read_oi_deltas(
    store: Store, *, provider: Provider, underlying: Subjects = None, start: Any = None,
    end: Any = None,
) -> pd.DataFrame:  # fmt: skip
    """Rows of ``oi_delta_log`` of one provider, ascending by ``snapshot_ts``."""
    return read_market(store, "oi_delta_log", provider, underlying, start, end)


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
    return read_market(store, "daily_ohlc", provider, symbols, start, end, columns=columns)


def read_eod_chain(
    store: Store, *, provider: Provider, underlying: Subjects = None, start: Any = None,
    end: Any = None,
) -> pd.DataFrame:  # fmt: skip
    """End-of-day chain rows of one provider, ascending by ``trade_date``."""
    return read_market(store, "eod_option_chain", provider, underlying, start, end)


def read_oi_summaries(
    store: Store, *, provider: Provider, underlying: Subjects = None, start: Any = None,
    end: Any = None,
) -> pd.DataFrame:  # fmt: skip
    """Daily option-OI summaries (per expiry) of one provider, ascending by ``trade_date``."""
    return read_market(store, "daily_option_oi_summary", provider, underlying, start, end)


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
    return read_market(store, "signals", provider, underlying, start, end,
                 order_by=["-snapshot_ts", "-confidence", "expiry", "signal_type"],
                 limit=limit)  # fmt: skip


def read_levels(
    store: Store, *, provider: Provider, underlying: Subjects = None, start: Any = None,
    end: Any = None,
) -> pd.DataFrame:  # fmt: skip
    """Support/resistance levels of one provider, newest trade date first, by type and rank."""
    return read_market(store, "support_resistance_levels", provider, underlying, start, end,
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
    return read_market(store, "ml_cluster_labels", provider, entity, start, end,
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
