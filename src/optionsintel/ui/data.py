"""Data access for the dashboards, built only on the :class:`~optionsintel.store.Store` API.

Widgets never query the database themselves: they receive the functions of this module
(bound to a store by :func:`monitor_source` / :func:`report_source`) as callables, so
tests can inject fakes and the SQL stays inside :mod:`optionsintel.store`.

Times: the store holds UTC; a trading ``day`` is an India (IST) calendar date and
``at`` any instant (naive values are read as IST, like :meth:`Store.chain_as_of`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from optionsintel.calendar import session_bounds
from optionsintel.chain import chain_summary
from optionsintel.errors import OptionsIntelError
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


def available_underlyings(store: Any) -> list[str]:
    """Underlyings with at least one stored quote, NIFTY-family first then alphabetical."""
    found = [str(n) for n in store.distinct("underlying_quotes", "underlying")]
    order = {"NIFTY": 0, "BANKNIFTY": 1, "FINNIFTY": 2}
    return sorted(found, key=lambda n: (order.get(n, 9), n))


def stored_days(store: Any, underlying: str) -> list[dt.date]:
    """IST dates on which ``underlying`` has stored quotes, oldest first."""
    ts = store.read("underlying_quotes", where={"underlying": underlying},
                    columns=["snapshot_ts"])["snapshot_ts"]  # fmt: skip
    if ts.empty:
        return []
    days = pd.DatetimeIndex(ts).tz_convert(IST).normalize().unique().sort_values()
    return [d.date() for d in days]


def snapshot_times(store: Any, underlying: str, day: Any) -> pd.DatetimeIndex:
    """Return the stored snapshot instants (UTC, sorted) of ``underlying`` on IST ``day``."""
    lo, hi = day_bounds(day)
    ts = store.read("underlying_quotes", where={"underlying": underlying}, start=lo, end=hi,
                    columns=["snapshot_ts"])["snapshot_ts"]  # fmt: skip
    return pd.DatetimeIndex(pd.to_datetime(ts, utc=True)).unique().sort_values()


def chain_at(
    store: Any,
    underlying: str,
    at: Any,
    expiry: Any = None,
    lookback: dt.timedelta = dt.timedelta(minutes=10),
) -> pd.DataFrame:
    """Read the option chain of ``underlying`` as it stood at ``at`` (all expiries by default).

    Notes
    -----
    The store's as-of query keeps, per contract, the last snapshot at or before ``at``
    within ``lookback``. The monitor only asks for stored snapshot instants, so a short
    lookback loses nothing and keeps the scan to a few snapshots instead of the whole
    day (about 0.1 s instead of 0.8 s late in a 15-second-sampled session).
    """
    return store.chain_as_of(underlying, to_utc(at), expiry=expiry, lookback=lookback)


def expiries_of(chain: pd.DataFrame) -> list[dt.date]:
    """Expiries present in a chain frame, nearest first."""
    if chain.empty:
        return []
    return [
        d.date() for d in pd.DatetimeIndex(pd.to_datetime(chain["expiry"])).unique().sort_values()
    ]


def expiries(store: Any, underlying: str, at: Any) -> list[dt.date]:
    """Expiries listed in the chain of ``underlying`` as it stood at ``at``."""
    return expiries_of(chain_at(store, underlying, at))


def intraday_series(
    store: Any,
    underlying: str,
    provider: str,
    expiry: Any,
    times: pd.DatetimeIndex,
) -> pd.DataFrame:
    """PCR, max pain, spot, ATM IV and straddle of one expiry at the snapshots ``times``.

    Parameters
    ----------
    times
        Stored snapshot instants to read (e.g.
        :func:`~optionsintel.pipeline.sampling.sample_ticks` of :func:`snapshot_times` up
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
    rows = store.read("option_chain_snapshots", where={
        "underlying": underlying, "provider": provider, "expiry": pd.Timestamp(expiry).date(),
        "snapshot_ts": list(ticks)})  # fmt: skip
    if rows.empty:
        return pd.DataFrame(columns=cols)
    summary = chain_summary(rows)
    return summary.sort_values("snapshot_ts").loc[:, cols].reset_index(drop=True)


def latest_signals(store: Any, underlying: str, at: Any, limit: int = 15) -> pd.DataFrame:
    """Read the ``limit`` latest signals of ``underlying`` at or before ``at``, newest first."""
    return store.read("signals", where={"underlying": underlying}, end=to_utc(at),
                      order_by=["-snapshot_ts", "-confidence"], limit=limit)  # fmt: skip


def levels(store: Any, underlying: str, day: Any, lookback_days: int = 10) -> pd.DataFrame:
    """Read the stored support/resistance levels in force on ``day``.

    Those are the levels of the latest trade date before ``day``: end-of-day OI walls
    and the pivots computed for the next session.
    """
    day = pd.Timestamp(day).date()
    rows = store.read("support_resistance_levels", where={"underlying": underlying},
                      start=day - dt.timedelta(days=lookback_days),
                      end=day - dt.timedelta(days=1),
                      order_by=["-trade_date", "level_type", "rank"])  # fmt: skip
    if rows.empty:
        return rows
    last = rows["trade_date"].max()
    return rows.loc[rows["trade_date"] == last].reset_index(drop=True)


# -- price side (analytics report) ----------------------------------------------------------


def report_symbols(store: Any) -> list[str]:
    """Symbols with stored daily bars, alphabetical."""
    return [str(s) for s in store.distinct("daily_ohlc", "symbol")]


def price_history(
    store: Any, symbols: Sequence[str], start: Any = None, end: Any = None
) -> pd.DataFrame:
    """Wide daily close prices (index = trade date, columns = ``symbols``).

    Each symbol uses the one provider with the most stored bars, so real and synthetic
    bars are never mixed in one series.

    Raises
    ------
    DashboardDataError
        If a symbol has no stored bar in the window.
    """
    bars = store.read("daily_ohlc", where={"symbol": list(symbols)}, start=start, end=end,
                      columns=["symbol", "provider", "trade_date", "close"])  # fmt: skip
    counts = bars.groupby(["symbol", "provider"]).size().rename("n").reset_index()
    best = counts.sort_values(["symbol", "n", "provider"], ascending=[True, False, True])
    best = best.drop_duplicates("symbol")
    chosen = bars.merge(best[["symbol", "provider"]], on=["symbol", "provider"])
    wide = chosen.pivot_table(index="trade_date", columns="symbol", values="close")
    missing = [s for s in symbols if s not in wide.columns]
    if missing:
        raise DashboardDataError(f"no daily bars stored for {missing}. {EMPTY_PRICES_HINT}")
    wide.columns.name = None
    return wide.loc[:, list(symbols)].sort_index()


def intraday_prices(store: Any, symbols: Sequence[str]) -> pd.DataFrame | None:
    """Wide intraday last prices of the most recent stored session (None when absent)."""
    rows = store.read("underlying_quotes", where={"underlying": list(symbols)},
                      order_by=["-snapshot_ts"], limit=1)  # fmt: skip
    if rows.empty:
        return None
    lo, hi = day_bounds(rows["snapshot_ts"].iloc[0].tz_convert(IST).date())
    q = store.read("underlying_quotes", where={"underlying": list(symbols)}, start=lo, end=hi,
                   columns=["underlying", "provider", "snapshot_ts", "ltp"])  # fmt: skip
    q = q.loc[q["provider"] == rows["provider"].iloc[0]]
    wide = q.pivot_table(index="snapshot_ts", columns="underlying", values="ltp")
    wide.columns.name = None
    return wide if all(s in wide.columns for s in symbols) else None


# -- bundles of callables for the widgets ---------------------------------------------------


@dataclass(frozen=True)
class MonitorSource:
    """The data callables the market monitor needs (see :func:`monitor_source`)."""

    underlyings: Callable[[], list[str]]
    days: Callable[[str], list[dt.date]]
    times: Callable[[str, Any], pd.DatetimeIndex]
    chain: Callable[[str, Any], pd.DataFrame]
    series: Callable[[str, str, Any, pd.DatetimeIndex], pd.DataFrame]
    signals: Callable[[str, Any], pd.DataFrame]
    levels: Callable[[str, Any], pd.DataFrame]


@dataclass(frozen=True)
class ReportSource:
    """The data callables the analytics report needs (see :func:`report_source`)."""

    symbols: Callable[[], list[str]]
    prices: Callable[[Sequence[str]], pd.DataFrame]
    intraday: Callable[[Sequence[str]], pd.DataFrame | None]


def monitor_source(store: Any) -> MonitorSource:
    """Bind the monitor's data functions to ``store``."""
    return MonitorSource(
        underlyings=lambda: available_underlyings(store),
        days=lambda u: stored_days(store, u),
        times=lambda u, d: snapshot_times(store, u, d),
        chain=lambda u, at: chain_at(store, u, at),
        series=lambda u, p, e, t: intraday_series(store, u, p, e, t),
        signals=lambda u, at: latest_signals(store, u, at),
        levels=lambda u, d: levels(store, u, d),
    )


def report_source(store: Any) -> ReportSource:
    """Bind the analytics report's data functions to ``store``."""
    return ReportSource(
        symbols=lambda: report_symbols(store),
        prices=lambda s: price_history(store, s),
        intraday=lambda s: intraday_prices(store, s),
    )


def session_of(day: Any) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Session bounds of ``day`` (UTC), or None when it is not a trading day."""
    try:
        return session_bounds(pd.Timestamp(day).date(), tz="UTC")
    except OptionsIntelError:
        return None
