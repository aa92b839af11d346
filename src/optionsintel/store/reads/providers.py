"""Provider decisions and cross-provider listings (menus, not values)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from optionsintel._typing import Provider
from optionsintel.store.reads._common import (
    MarketDataset,
    Subjects,
    read_market,
    subject_filter,
    time_column,
)
from optionsintel.tz import EXCHANGE_TZ

if TYPE_CHECKING:
    from optionsintel.store.api import Store


def list_providers(
    store: Store,
    dataset: MarketDataset,
    subject: Subjects = None,
    *,
    start: Any = None,
    end: Any = None,
) -> list[Provider]:
    """Providers with rows of ``dataset`` for ``subject`` between ``start`` and ``end``, sorted."""
    where = subject_filter(dataset, subject)
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
    rows = store.read(dataset, where=subject_filter(dataset, subject), start=start, end=at,
                      time_column=tcol, columns=["provider"], order_by=[f"-{tcol}", "provider"],
                      limit=1)  # fmt: skip
    return None if rows.empty else str(rows["provider"].iloc[0])


def latest_time(
    store: Store, dataset: MarketDataset, subject: Subjects = None, *, provider: Provider
) -> pd.Timestamp | None:
    """The newest ``snapshot_ts``/``trade_date``/``ts`` of ``provider``'s rows (None if none)."""
    tcol = time_column(dataset)
    rows = read_market(store, dataset, provider, subject, None, None, columns=[tcol],
                 order_by=[f"-{tcol}"], limit=1)  # fmt: skip
    return None if rows.empty else pd.Timestamp(rows[tcol].iloc[0])


def symbol_provider_counts(
    store: Store, symbols: Sequence[str], *, start: Any = None, end: Any = None
) -> pd.DataFrame:
    """Daily bars stored per (symbol, provider) in the window: ``symbol, provider, n``.

    Sorted by symbol, then most bars first (ties: by provider name).
    """
    bars = store.read("daily_ohlc", where={"symbol": list(symbols)}, start=start, end=end,
                      columns=["symbol", "provider"])  # fmt: skip
    counts = bars.groupby(["symbol", "provider"]).size().rename("n").reset_index()
    return counts.sort_values(["symbol", "n", "provider"], ascending=[True, False, True])


def resolve_symbol_providers(
    store: Store, symbols: Sequence[str], *, start: Any = None, end: Any = None
) -> dict[str, Provider]:
    """For each symbol, the provider with the most daily bars in the window (ties: by name).

    Symbols without a bar are absent from the result.
    """
    best = symbol_provider_counts(store, symbols, start=start, end=end).drop_duplicates("symbol")
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
