"""Market-data read models: every read names its provider, chosen or resolved and shown.

All reads go through :mod:`optionsintel.store.reads`; when a caller names no provider
the read model asks :func:`resolve_provider` and returns the provider it used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from optionsintel.chain.summary import chain_summary
from optionsintel.errors import RecordNotFoundError
from optionsintel.research.metrics import compute_all_metrics
from optionsintel.services.serialise import iso, records
from optionsintel.store.reads import (
    MarketDataset,
    latest_time,
    list_providers,
    read_chain_as_of,
    read_daily_ohlc,
    read_levels,
    read_levels_in_force,
    read_signals,
    resolve_provider,
    resolve_symbol_providers,
)

if TYPE_CHECKING:
    from optionsintel.store import Store

COVERAGE_DATASETS: tuple[MarketDataset, ...] = (
    "underlying_quotes",
    "option_chain_snapshots",
    "daily_ohlc",
    "daily_option_oi_summary",
    "signals",
    "support_resistance_levels",
)


def provider_for(
    store: Store, dataset: Any, subject: str, provider: str | None, at: Any = None
) -> str:
    """``provider`` if given, else the provider of ``dataset``'s newest row for ``subject``.

    Raises
    ------
    RecordNotFoundError
        When nothing of ``dataset`` is stored for ``subject``.
    """
    if provider is not None:
        return provider
    found = resolve_provider(store, dataset, subject, at=at)
    if found is None:
        raise RecordNotFoundError(f"no {dataset} stored for {subject}")
    return found


def page(
    rows: list[dict[str, Any]], limit: int, offset: int, *, complete: bool = True
) -> dict[str, Any]:
    """``rows[offset:offset+limit]`` with the page's position and the next offset.

    ``complete=False`` when ``rows`` was read with a cap (``offset + limit + 1``): the
    total is then unknown and reported as null.
    """
    items = rows[offset : offset + limit]
    nxt = offset + limit if offset + limit < len(rows) else None
    return {
        "items": items,
        "limit": limit,
        "offset": offset,
        "next_offset": nxt,
        "total": len(rows) if complete else None,
    }


def instruments(store: Store, *, segment: str | None, limit: int, offset: int) -> dict[str, Any]:
    """The instrument master (reference data), by symbol."""
    where = {} if segment is None else {"segment": segment}
    frame = store.read(
        "instruments",
        where=where,
        order_by=["symbol"],
        columns=["symbol", "segment", "exchange", "name", "sector", "is_active", "provider"],
    )
    return page(records(frame), limit, offset)


def chain_instant(
    store: Store, underlying: str, *, at: Any, provider: str | None
) -> tuple[str, Any]:
    """The provider and instant a chain read of ``underlying`` uses (see :func:`chain`)."""
    if at is not None:
        return provider_for(store, "option_chain_snapshots", underlying, provider, at=at), at
    used = provider_for(store, "option_chain_snapshots", underlying, provider)
    newest = latest_time(store, "option_chain_snapshots", underlying, provider=used)
    return used, pd.Timestamp.now(tz="UTC") if newest is None else newest


def chain(
    store: Store, underlying: str, *, at: Any, provider: str | None, expiry: Any
) -> tuple[str, pd.DataFrame]:
    """The provider used and the chain of ``underlying`` as of ``at``.

    ``at=None`` means the newest stored snapshot (of ``provider``, or of whichever provider
    wrote the newest one), so "the chain now" also answers on a weekend or a holiday.
    """
    used, when = chain_instant(store, underlying, at=at, provider=provider)
    frame = read_chain_as_of(store, underlying, when, provider=used, expiry=expiry)
    if frame.empty:
        raise RecordNotFoundError(
            f"no {used} chain of {underlying} at or within a day before {iso(pd.Timestamp(when))}"
        )
    return used, frame


def chain_view(store: Store, underlying: str, **kw: Any) -> dict[str, Any]:
    """The chain read model: provider, newest snapshot instant, rows."""
    used, frame = chain(store, underlying, **kw)
    return {
        "underlying": underlying,
        "provider": used,
        "snapshot_ts": iso(frame["snapshot_ts"].max()),
        "rows": records(frame),
    }


def summary_view(store: Store, underlying: str, **kw: Any) -> dict[str, Any]:
    """Headline analytics per expiry of the chain as of ``at`` (:func:`chain_summary`)."""
    used, frame = chain(store, underlying, **kw)
    latest = frame["snapshot_ts"].max()
    summary = chain_summary(frame.loc[frame["snapshot_ts"] == latest])
    return {
        "underlying": underlying,
        "provider": used,
        "snapshot_ts": iso(latest),
        "rows": records(summary),
    }


def signals(
    store: Store,
    underlying: str,
    *,
    provider: str | None,
    start: Any,
    end: Any,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """Signals of ``underlying``, newest first."""
    used = provider_for(store, "signals", underlying, provider, at=end)
    frame = read_signals(
        store, provider=used, underlying=underlying, start=start, end=end, limit=offset + limit + 1
    )
    return {"provider": used, **page(records(frame), limit, offset, complete=False)}


def levels(store: Store, underlying: str, *, provider: str | None, day: Any) -> dict[str, Any]:
    """Support/resistance levels in force on ``day`` (the newest stored ones when None)."""
    used = provider_for(store, "support_resistance_levels", underlying, provider)
    if day is not None:
        frame = read_levels_in_force(store, underlying, day, provider=used)
    else:
        frame = read_levels(store, provider=used, underlying=underlying)
        if not frame.empty:
            frame = frame.loc[frame["trade_date"] == frame["trade_date"].max()]
    return {"underlying": underlying, "provider": used, "rows": records(frame)}


def daily_bars(
    store: Store,
    symbol: str,
    *,
    provider: str | None,
    start: Any,
    end: Any,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """Daily OHLC bars of ``symbol``, oldest first."""
    used = provider_for(store, "daily_ohlc", symbol, provider)
    frame = read_daily_ohlc(store, provider=used, symbols=symbol, start=start, end=end)
    return {"symbol": symbol, "provider": used, **page(records(frame), limit, offset)}


def research_metrics(store: Store, symbols: list[str], *, start: Any, end: Any) -> dict[str, Any]:
    """Risk and return metrics of each symbol's daily closes (:func:`compute_all_metrics`).

    Each symbol uses the provider with most bars in the window; it is reported per row.
    """
    providers = resolve_symbol_providers(store, symbols, start=start, end=end)
    closes = {}
    for sym, prov in providers.items():
        bars = read_daily_ohlc(
            store, provider=prov, symbols=sym, start=start, end=end, columns=["trade_date", "close"]
        )
        closes[sym] = bars.set_index("trade_date")["close"]
    if not closes:
        raise RecordNotFoundError(f"no daily bars for {symbols} in the window")
    returns = pd.DataFrame(closes).sort_index().pct_change(fill_method=None).iloc[1:]
    metrics = compute_all_metrics(returns)
    metrics.insert(0, "provider", [providers[s] for s in metrics.index])
    metrics.insert(0, "symbol", metrics.index.astype(str))
    missing = sorted(set(symbols) - set(providers))
    return {"rows": records(metrics.reset_index(drop=True)), "missing": missing}


def coverage(store: Store, subject: str | None = None) -> dict[str, Any]:
    """For each main data set and provider, the newest stored instant or date."""
    rows = []
    for ds in COVERAGE_DATASETS:
        for prov in list_providers(store, ds, subject):
            rows.append(
                {
                    "dataset": ds,
                    "provider": prov,
                    "latest": iso(latest_time(store, ds, subject, provider=prov)),
                }
            )
    return {"subject": subject, "rows": rows}


def latest_chain_instant(store: Store, underlying: str, provider: str) -> pd.Timestamp | None:
    """The newest stored chain snapshot instant of ``underlying`` from ``provider``."""
    return latest_time(store, "option_chain_snapshots", underlying, provider=provider)
