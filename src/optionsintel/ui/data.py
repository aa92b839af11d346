"""Data access for the dashboards, built only on the typed reads of :mod:`optionsintel.store.reads`.

Widgets never query the database themselves: they receive the functions of this module
(bound to a store by :func:`monitor_source` / :func:`report_source`) as callables, so
tests can inject fakes and the SQL stays inside :mod:`optionsintel.store`. Every market
read names its provider: the monitor picks one provider per (underlying, day) view.

Times: the store holds UTC; a trading ``day`` is an India (IST) calendar date and
``at`` any instant (naive values are read as IST, like :meth:`Store.chain_as_of`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from optionsintel._typing import Provider
from optionsintel.calendar import session_bounds
from optionsintel.chain import chain_summary
from optionsintel.errors import OptionsIntelError
from optionsintel.research import series_coverage
from optionsintel.store import Store, reads
from optionsintel.tz import EXCHANGE_TZ, to_utc

IST = EXCHANGE_TZ
EMPTY_STORE_HINT = (
    "No option-chain data in the store yet: run `optionsintel up` (loads demo days and "
    "starts the pipeline) or materialise a day in the Dagster UI, then press Refresh."
)
EMPTY_PRICES_HINT = (
    "No daily prices in the store yet: run `optionsintel up` (or the Dagster "
    "`market_data_job`) to load daily_ohlc, then reload this page."
)


class DashboardDataError(OptionsIntelError):
    """A dashboard asked for data the store does not hold (the message says what to run)."""


def day_bounds(day: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC instants spanning the IST calendar day ``day`` (whole day, not only the session)."""
    start = pd.Timestamp(pd.Timestamp(day).date(), tz=IST)
    return start.tz_convert("UTC"), (start + pd.Timedelta(days=1, microseconds=-1)).tz_convert(
        "UTC"
    )


# -- option-chain side ----------------------------------------------------------------------


def available_underlyings(store: Store) -> list[str]:
    """Underlyings with at least one stored quote, NIFTY-family first then alphabetical."""
    order = {"NIFTY": 0, "BANKNIFTY": 1, "FINNIFTY": 2}
    return sorted(reads.list_underlyings(store), key=lambda n: (order.get(n, 9), n))


def stored_days(store: Store, underlying: str) -> list[dt.date]:
    """IST dates on which ``underlying`` has stored quotes of any provider, oldest first."""
    return reads.list_quote_days(store, underlying)


def day_providers(store: Store, underlying: str, day: Any) -> ProviderChoice:
    """Providers with quotes of ``underlying`` on IST ``day``, and the one to show by default.

    The default is the provider of the day's latest snapshot (resolved, and said so).
    """
    lo, hi = day_bounds(day)
    found = reads.list_providers(store, "underlying_quotes", underlying, start=lo, end=hi)
    latest = reads.resolve_provider(store, "underlying_quotes", underlying, at=hi, start=lo)
    return ProviderChoice(tuple(found), latest or "")


def snapshot_times(store: Store, underlying: str, provider: Provider, day: Any) -> pd.DatetimeIndex:
    """Snapshot instants (UTC, sorted) ``provider`` stored for ``underlying`` on IST ``day``."""
    lo, hi = day_bounds(day)
    return reads.read_quote_times(store, provider=provider, underlying=underlying, start=lo, end=hi)


def chain_at(
    store: Store,
    underlying: str,
    provider: Provider,
    at: Any,
    expiry: Any = None,
    lookback: dt.timedelta = dt.timedelta(minutes=10),
) -> pd.DataFrame:
    """Read ``provider``'s option chain of ``underlying`` as it stood at ``at`` (all expiries).

    Notes
    -----
    The store's as-of query keeps, per contract, the last snapshot at or before ``at``
    within ``lookback``. The monitor only asks for stored snapshot instants, so a short
    lookback loses nothing and keeps the scan to a few snapshots instead of the whole
    day (about 0.1 s instead of 0.8 s late in a 15-second-sampled session).
    """
    return reads.read_chain_as_of(store, underlying, to_utc(at), provider=provider,
                                  expiry=expiry, lookback=lookback)  # fmt: skip


def expiries_of(chain: pd.DataFrame) -> list[dt.date]:
    """Expiries present in a chain frame, nearest first."""
    if chain.empty:
        return []
    return [
        d.date() for d in pd.DatetimeIndex(pd.to_datetime(chain["expiry"])).unique().sort_values()
    ]


def expiries(store: Store, underlying: str, provider: Provider, at: Any) -> list[dt.date]:
    """Expiries listed in ``provider``'s chain of ``underlying`` as it stood at ``at``."""
    return expiries_of(chain_at(store, underlying, provider, at))


def intraday_series(
    store: Store,
    underlying: str,
    provider: Provider,
    expiry: Any,
    times: pd.DatetimeIndex,
) -> pd.DataFrame:
    """PCR, max pain, spot, ATM IV and straddle of one expiry at the snapshots ``times``.

    Parameters
    ----------
    times
        Stored snapshot instants to read (e.g.
        :func:`~optionsintel.transforms.sampling.sample_ticks` of :func:`snapshot_times` up
        to the displayed instant).

    Returns
    -------
    pandas.DataFrame
        ``snapshot_ts, spot, pcr_oi, max_pain, atm_iv, straddle, expected_move``, one row
        per sampled snapshot, ascending (empty when nothing is stored).
    """
    cols = ["snapshot_ts", "spot", "pcr_oi", "max_pain", "atm_iv", "straddle", "expected_move"]
    ticks = pd.DatetimeIndex(times)
    if ticks.empty:
        return pd.DataFrame(columns=cols)
    rows = reads.read_chain_snapshots(store, provider=provider, underlying=underlying,
                                      expiry=expiry, instants=ticks)  # fmt: skip
    if rows.empty:
        return pd.DataFrame(columns=cols)
    summary = chain_summary(rows)
    return summary.sort_values("snapshot_ts").loc[:, cols].reset_index(drop=True)


def latest_signals(
    store: Store, underlying: str, provider: Provider, at: Any, limit: int = 15
) -> pd.DataFrame:
    """Read ``provider``'s ``limit`` latest signals of ``underlying`` up to ``at``, newest first."""
    return reads.read_signals(store, provider=provider, underlying=underlying, end=to_utc(at),
                              limit=limit)  # fmt: skip


def levels(
    store: Store, underlying: str, provider: Provider, day: Any, lookback_days: int = 10
) -> pd.DataFrame:
    """Read ``provider``'s support/resistance levels in force on ``day``.

    Those are the levels of the latest trade date before ``day``: end-of-day OI walls
    and the pivots computed for the next session.
    """
    return reads.read_levels_in_force(store, underlying, day, provider=provider,
                                      lookback_days=lookback_days)  # fmt: skip


# -- price side (analytics report) ----------------------------------------------------------


def report_symbols(store: Store) -> list[str]:
    """Symbols with stored daily bars, alphabetical."""
    return reads.list_symbols(store)


def price_history(
    store: Store,
    symbols: Sequence[str],
    start: Any = None,
    end: Any = None,
    timeframe: str | None = None,
) -> pd.DataFrame:
    """Wide daily close prices (index = trade date, columns = ``symbols``).

    Each symbol's series comes from ONE provider, so real and synthetic bars are never
    mixed in one series; ``frame.attrs["providers"]`` maps each symbol to the provider
    used (the report shows it). The provider is the one with the most stored bars,
    unless ``timeframe`` (``1W``..``1Y``) is given: then it is the provider whose bars
    cover the most NSE sessions of that window before its own last bar (ties: most bars),
    so a recorded real series with a hole does not hide a provider that can answer.

    Raises
    ------
    DashboardDataError
        If a symbol has no stored bar in the window.
    """
    counts = reads.symbol_provider_counts(store, symbols, start=start, end=end)
    missing = [s for s in symbols if s not in set(counts["symbol"])]
    if missing:
        raise DashboardDataError(f"no daily bars stored for {missing}. {EMPTY_PRICES_HINT}")
    series, chosen = {}, {}
    for symbol in symbols:
        candidates = counts.loc[counts["symbol"] == symbol, "provider"].astype(str).tolist()
        best: tuple[float, pd.Series] | None = None
        for provider in candidates if timeframe in _OFFSETS else candidates[:1]:
            bars = reads.read_daily_ohlc(store, provider=provider, symbols=symbol, start=start,
                                         end=end, columns=["trade_date", "close"])  # fmt: skip
            close = bars.set_index("trade_date")["close"].sort_index()
            score = _window_coverage(close.index, timeframe) if timeframe in _OFFSETS else 1.0
            if best is None or score > best[0]:
                best, chosen[symbol] = (score, close), provider
        assert best is not None  # candidates is never empty here
        series[symbol] = best[1]
    wide = pd.DataFrame(series).sort_index()
    wide.index.name = "trade_date"
    wide.attrs["providers"] = chosen
    return wide


_OFFSETS = {"1W": pd.DateOffset(weeks=1), "1M": pd.DateOffset(months=1),
            "3M": pd.DateOffset(months=3), "1Y": pd.DateOffset(years=1)}  # fmt: skip


def _window_coverage(index: pd.Index, timeframe: str) -> float:
    """Share of the NSE sessions of the ``timeframe`` window ending at the last bar held."""
    if len(index) == 0:
        return 0.0
    last = pd.Timestamp(index.max())
    return series_coverage(index, last - _OFFSETS[timeframe], last).ratio


def intraday_prices(store: Store, symbols: Sequence[str]) -> pd.DataFrame | None:
    """Wide intraday last prices of the most recent stored session (None when absent).

    One provider for all symbols: that of the latest stored quote among them
    (``frame.attrs["provider"]`` names it).
    """
    provider = reads.resolve_provider(store, "underlying_quotes", list(symbols))
    if provider is None:
        return None
    last = reads.latest_time(store, "underlying_quotes", list(symbols), provider=provider)
    if last is None:
        return None
    lo, hi = day_bounds(last.tz_convert(IST).date())
    q = reads.read_quotes(store, provider=provider, underlying=symbols, start=lo, end=hi,
                          columns=["underlying", "snapshot_ts", "ltp"])  # fmt: skip
    wide = q.pivot_table(index="snapshot_ts", columns="underlying", values="ltp")
    wide.columns.name = None
    wide.attrs["provider"] = provider
    return wide if all(s in wide.columns for s in symbols) else None


# -- bundles of callables for the widgets ---------------------------------------------------


@dataclass(frozen=True)
class ProviderChoice:
    """Providers holding data for one (underlying, day) view and the resolved default."""

    providers: tuple[Provider, ...]
    latest: Provider
    """Provider of the day's latest snapshot ('' when the day holds nothing)."""


@dataclass(frozen=True)
class MonitorSource:
    """The data callables the market monitor needs (see :func:`monitor_source`).

    Every call after ``providers`` takes the provider the monitor shows, so all panels of
    one view read the same provider.
    """

    underlyings: Callable[[], list[str]]
    days: Callable[[str], list[dt.date]]
    providers: Callable[[str, Any], ProviderChoice]
    times: Callable[[str, Provider, Any], pd.DatetimeIndex]
    chain: Callable[[str, Provider, Any], pd.DataFrame]
    series: Callable[[str, Provider, Any, pd.DatetimeIndex], pd.DataFrame]
    signals: Callable[[str, Provider, Any], pd.DataFrame]
    levels: Callable[[str, Provider, Any], pd.DataFrame]


@dataclass(frozen=True)
class ReportSource:
    """The data callables the analytics report needs (see :func:`report_source`)."""

    symbols: Callable[[], list[str]]
    prices: Callable[..., pd.DataFrame]  # (symbols, timeframe=None)
    intraday: Callable[[Sequence[str]], pd.DataFrame | None]
    bars: Callable[[str], tuple[pd.DataFrame, str]] | None = None
    """One symbol's daily OHLCV and its provider (the Technical tab)."""
    fundamentals: Callable[[str], Any] | None = None
    """One symbol's fundamentals against its sector (the Fundamental tab)."""


def monitor_source(store: Store) -> MonitorSource:
    """Bind the monitor's data functions to ``store``."""
    return MonitorSource(
        underlyings=lambda: available_underlyings(store),
        days=lambda u: stored_days(store, u),
        providers=lambda u, d: day_providers(store, u, d),
        times=lambda u, p, d: snapshot_times(store, u, p, d),
        chain=lambda u, p, at: chain_at(store, u, p, at),
        series=lambda u, p, e, t: intraday_series(store, u, p, e, t),
        signals=lambda u, p, at: latest_signals(store, u, p, at),
        levels=lambda u, p, d: levels(store, u, p, d),
    )


def report_source(store: Store) -> ReportSource:
    """Bind the analytics report's data functions to ``store``."""
    return ReportSource(
        symbols=lambda: report_symbols(store),
        prices=lambda s, timeframe=None: price_history(store, s, timeframe=timeframe),
        intraday=lambda s: intraday_prices(store, s),
    )


def session_of(day: Any) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Session bounds of ``day`` (UTC), or None when it is not a trading day."""
    try:
        return session_bounds(pd.Timestamp(day).date(), tz="UTC")
    except OptionsIntelError:
        return None
