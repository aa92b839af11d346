"""Market-data collection for the pipeline: whole days (backfills) and live ticks.

``collect_day`` gathers one trading day from a
:class:`~optionsintel.providers.base.BackfillSource` (``synthetic`` or ``replay``);
``collect_tick`` takes one aligned :class:`~optionsintel.providers.base.Snapshot` per
underlying from any provider; ``run_collection_session`` loops ``collect_tick`` on the
aligned grid until the close. Source names are resolved by
:mod:`optionsintel.providers.registry` only. ``intraday_tables`` turns what was
collected into the rows of every intraday store table, so a caller writes them in
one transaction (all or nothing).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optionsintel._typing import ProviderName
from optionsintel.frames import CHAIN_COLUMNS, QUOTE_COLUMNS, empty_frame
from optionsintel.pipeline.daily import DAILY_OHLC_COLUMNS, session_close
from optionsintel.pipeline.intraday import intraday_oi_from_chain, oi_delta_log
from optionsintel.pipeline.ticks import remaining_ticks
from optionsintel.providers.base import BackfillSource, MarketDataProvider, NoDataError
from optionsintel.providers.registry import (
    BACKFILL_SOURCES,
    BackfillNotSupportedError,
    ProviderConfig,
    build_backfill,
)

__all__ = [
    "BACKFILL_SOURCES",
    "BackfillNotSupportedError",
    "Collected",
    "SessionReport",
    "collect_day",
    "collect_tick",
    "daily_bars",
    "intraday_tables",
    "run_collection_session",
]
INDICES: tuple[str, ...] = ("NIFTY", "BANKNIFTY", "FINNIFTY")
METRIC_COLUMNS = ("provider", "ts", "requests", "successes", "failures", "avg_latency_ms",
                  "p95_latency_ms", "breaker_state", "last_error")  # fmt: skip


@dataclass
class Collected:
    """Quotes, chain snapshots and fetch statistics of one collection (a day or a tick)."""

    quotes: pd.DataFrame
    chains: pd.DataFrame
    metrics: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _metrics(provider: str, ts: pd.Timestamp, latencies_ms: Sequence[float], failures: int,
             last_error: str | None = None) -> pd.DataFrame:  # fmt: skip
    lat = np.asarray(latencies_ms, dtype=float)
    return pd.DataFrame([{
        "provider": provider, "ts": ts, "requests": len(lat) + failures, "successes": len(lat),
        "failures": failures, "avg_latency_ms": float(lat.mean()) if lat.size else np.nan,
        "p95_latency_ms": float(np.percentile(lat, 95)) if lat.size else np.nan,
        "breaker_state": None, "last_error": last_error,
    }], columns=list(METRIC_COLUMNS))  # fmt: skip


def _backfill(source: ProviderName | BackfillSource, seed: int, data_dir: Any) -> BackfillSource:
    if isinstance(source, str):
        return build_backfill(source, ProviderConfig(synthetic_seed=seed, replay_data_dir=data_dir))
    return source


def collect_day(
    source: ProviderName | BackfillSource,
    day: dt.date,
    underlyings: Sequence[str] = INDICES,
    interval_seconds: int = 15,
    seed: int = 7,
    data_dir: Any = None,
) -> Collected:
    """All snapshots of trading day ``day`` from a source that can serve the past.

    Parameters
    ----------
    source
        A :class:`~optionsintel.providers.base.BackfillSource`, or the name of one
        (``"synthetic"``: every aligned tick at ``interval_seconds``; ``"replay"``: the
        recorded real snapshots of that day, underlyings without one listed in ``notes``).
    day, underlyings, interval_seconds
        What to collect.
    seed, data_dir
        The synthetic market's seed and the replay data folder, used only when
        ``source`` is a name.

    Raises
    ------
    BackfillNotSupportedError
        For live sources (``nse``, ``angelone``, ``failover``).
    NoDataError
        When the source has nothing of any requested underlying that day.
    """
    backfill = _backfill(source, seed, data_dir)
    start = time.perf_counter()
    got = backfill.day_snapshots(day, underlyings, interval_seconds)
    elapsed_ms = (time.perf_counter() - start) * 1e3
    n = max(got.requests, 1)
    metrics = _metrics(backfill.name, session_close(day), [elapsed_ms / n] * got.requests, 0)
    return Collected(got.quotes, got.chains, metrics, list(got.notes))


def collect_tick(
    provider: MarketDataProvider, underlyings: Sequence[str], tick: pd.Timestamp
) -> Collected:
    """One snapshot of every underlying, keyed on the aligned ``tick``.

    Each underlying is one :meth:`~optionsintel.providers.base.MarketDataProvider.snapshot`
    call (one request on NSE). ``snapshot_ts`` is set to ``tick`` (the provider's own
    time stays in ``exchange_ts``), so retrying a tick overwrites it instead of adding
    a row. Any provider error propagates: the caller decides whether the tick is lost.
    """
    quotes, chains, lat = [], [], []
    for name in underlyings:
        start = time.perf_counter()
        snap = provider.snapshot(name)
        lat.append((time.perf_counter() - start) * 1e3)
        quotes.append(snap.quote.assign(snapshot_ts=tick))
        chains.append(snap.chain.assign(snapshot_ts=tick))
    metrics = provider.metrics_frame() if hasattr(provider, "metrics_frame") else None
    if metrics is None or metrics.empty:
        metrics = _metrics(getattr(provider, "name", "unknown"), tick, lat, 0)
    return Collected(pd.concat(quotes, ignore_index=True), pd.concat(chains, ignore_index=True),
                     metrics.assign(ts=tick))  # fmt: skip


def intraday_tables(
    collected: Collected, previous: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """Rows of every intraday table from one collection, ready for one transaction.

    ``previous`` is the chain of the tick before the first collected one (for the
    OI delta log across ticks).
    """
    quotes = collected.quotes if len(collected.quotes) else empty_frame(QUOTE_COLUMNS)
    chains = collected.chains if len(collected.chains) else empty_frame(CHAIN_COLUMNS)
    return {
        "underlying_quotes": quotes,
        "option_chain_snapshots": chains,
        "intraday_open_interest": intraday_oi_from_chain(chains),
        "oi_delta_log": oi_delta_log(chains, previous),
        "data_source_metrics": collected.metrics,
    }


@dataclass
class SessionReport:
    """Outcome of :func:`run_collection_session`."""

    collected: list[pd.Timestamp] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[pd.Timestamp] = field(default_factory=list)


def run_collection_session(
    provider: MarketDataProvider,
    write: Callable[[Mapping[str, pd.DataFrame]], Any],
    *,
    underlyings: Sequence[str] = INDICES,
    interval_seconds: int = 15,
    clock: Callable[[], pd.Timestamp] = lambda: pd.Timestamp.now(tz="UTC"),
    sleep: Callable[[float], None] = time.sleep,
    max_consecutive_failures: int = 20,
    previous: pd.DataFrame | None = None,
) -> SessionReport:
    """Collect every remaining aligned tick of today's session, then return.

    Each tick is collected and written on its own (``write`` receives
    :func:`intraday_tables` and must be idempotent and transactional). A tick whose
    collection fails is recorded in ``failed`` and the loop goes on; a tick that is
    more than one interval late when its turn comes is ``skipped`` (catch-up rule:
    never burst through a backlog). After ``max_consecutive_failures`` failed ticks
    in a row the last error is raised so the run fails visibly.
    """
    report, streak = SessionReport(), 0
    grace = pd.Timedelta(seconds=interval_seconds)
    for tick in remaining_ticks(clock(), interval_seconds):
        wait = (tick - clock()).total_seconds()
        if wait > 0:
            sleep(wait)
        if clock() - tick > grace:
            report.skipped.append(tick)
            continue
        try:
            got = collect_tick(provider, underlyings, tick)
        except Exception as exc:  # provider failures of any kind lose only this tick
            report.failed[str(tick)] = f"{type(exc).__name__}: {exc}"
            streak += 1
            if streak >= max_consecutive_failures:
                raise
            continue
        write(intraday_tables(got, previous))
        previous, streak = got.chains, 0
        report.collected.append(tick)
    return report


def daily_bars(
    source: ProviderName | BackfillSource,
    day: dt.date,
    underlyings: Sequence[str],
    quotes: pd.DataFrame,
    seed: int = 7,
    data_dir: Any = None,
) -> pd.DataFrame:
    """``daily_ohlc`` rows of ``day``, from the source's candles or the stored quotes.

    The source's own daily candles are used where it has them (a
    :class:`~optionsintel.providers.base.BackfillSource`; a live source has none here),
    otherwise bars built from the day's stored quotes
    (:func:`~optionsintel.pipeline.daily.daily_ohlc_from_quotes`).
    """
    from optionsintel.pipeline.daily import candles_to_daily_ohlc, daily_ohlc_from_quotes

    candles = []
    with contextlib.suppress(BackfillNotSupportedError):
        backfill = _backfill(source, seed, data_dir)
        for name in underlyings:
            with contextlib.suppress(NoDataError):
                candles.append(backfill.daily_candles(name, day))
    have = candles_to_daily_ohlc(pd.concat(candles, ignore_index=True)) if candles else None
    built = daily_ohlc_from_quotes(quotes) if len(quotes) else None
    if built is not None and have is not None:
        built = built.loc[~built["symbol"].isin(have["symbol"])]
    parts = [p for p in (have, built) if p is not None and len(p)]
    if not parts:
        return pd.DataFrame(columns=list(DAILY_OHLC_COLUMNS))
    return pd.concat(parts, ignore_index=True)
