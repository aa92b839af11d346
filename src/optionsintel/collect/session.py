"""Market-data collection for the pipeline: whole days (backfills) and live ticks.

``collect_day`` gathers one trading day from a
:class:`~optionsintel.providers.base.BackfillSource` (``synthetic`` or ``replay``);
``collect_tick`` takes one aligned :class:`~optionsintel.providers.base.Snapshot` per
underlying from any provider; ``run_collection_session`` loops ``collect_tick`` on the
aligned grid until the close (with :class:`~optionsintel.transforms.session_signals.SessionSignals`,
each tick also carries its signal rows). Source names are resolved by
:mod:`optionsintel.providers.registry` only. ``intraday_tables`` turns what was
collected into the rows of every intraday store table, so a caller writes them in
one transaction (all or nothing).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optionsintel._typing import ProviderName
from optionsintel.frames import CHAIN_COLUMNS, QUOTE_COLUMNS, empty_frame
from optionsintel.providers.base import BackfillSource, MarketDataProvider, NoDataError, Snapshot
from optionsintel.providers.quarantine import summarise_rejections, validate_snapshot
from optionsintel.providers.registry import (
    BACKFILL_SOURCES,
    BackfillNotSupportedError,
    ProviderConfig,
    build_backfill,
)
from optionsintel.transforms.daily import DAILY_OHLC_COLUMNS, session_close
from optionsintel.transforms.intraday import intraday_oi_from_chain, oi_delta_log
from optionsintel.transforms.session_signals import SessionSignals, SignalStep
from optionsintel.transforms.ticks import remaining_ticks

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
    "source_timestamp",
]
logger = logging.getLogger(__name__)
INDICES: tuple[str, ...] = ("NIFTY", "BANKNIFTY", "FINNIFTY")
METRIC_COLUMNS = ("provider", "ts", "requests", "successes", "failures", "avg_latency_ms",
                  "p95_latency_ms", "breaker_state", "last_error")  # fmt: skip


@dataclass
class Collected:
    """Quotes, chain snapshots and fetch statistics of one collection (a day or a tick).

    A tick (:func:`collect_tick`) also reports what it did not keep: ``rejected``
    (quarantined rows with ``reason``), ``refused`` and ``stale`` (underlying -> reason),
    and ``source_ts``, the source timestamp of every kept underlying's answer.
    """

    quotes: pd.DataFrame
    chains: pd.DataFrame
    metrics: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["reason"]))
    refused: dict[str, str] = field(default_factory=dict)
    stale: dict[str, str] = field(default_factory=dict)
    source_ts: dict[str, pd.Timestamp] = field(default_factory=dict)


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
    provider: MarketDataProvider,
    underlyings: Sequence[str],
    tick: pd.Timestamp,
    *,
    last_seen: Mapping[str, pd.Timestamp] | None = None,
    now: pd.Timestamp | None = None,
) -> Collected:
    """One validated snapshot of every underlying, keyed on the aligned ``tick``.

    Each underlying is one :meth:`~optionsintel.providers.base.MarketDataProvider.snapshot`
    call (one request on NSE), checked at the provider boundary by
    :func:`~optionsintel.providers.quarantine.validate_snapshot` (window around ``now``,
    default ``tick``): bad rows are dropped and a snapshot that cannot be trusted is
    refused, each with its reason in ``rejected``, ``notes`` and the metrics' ``last_error``.
    An answer whose source timestamp (``exchange_ts``) did not advance past
    ``last_seen[underlying]`` (a cached or repeated answer) is refused as ``stale``: it is
    never stored as a new snapshot. ``snapshot_ts`` of what is kept is set to ``tick``
    (the provider's own time stays in ``exchange_ts``), so retrying a tick overwrites it
    instead of adding a row. Provider errors propagate: the caller decides whether the
    tick is lost.
    """
    got = Collected(empty_frame(QUOTE_COLUMNS), empty_frame(CHAIN_COLUMNS), pd.DataFrame())
    quotes: list[pd.DataFrame] = []
    chains: list[pd.DataFrame] = []
    lat: list[float] = []
    seen = last_seen or {}
    reasons: dict[str, str] = {}  # answering provider -> why something was not stored
    for name in underlyings:
        start = time.perf_counter()
        snap = provider.snapshot(name)
        lat.append((time.perf_counter() - start) * 1e3)
        clean, rejected = validate_snapshot(snap, underlying=name, now=now or tick)
        note = _refusal_note(name, clean, rejected, snap, seen.get(name))
        if note is not None:
            got.notes.append(note)
            source = _answering_provider(snap, provider)
            reasons[source] = "; ".join(filter(None, (reasons.get(source), note)))
        if len(rejected):
            got.rejected = pd.concat([got.rejected, rejected.assign(requested=name)])
        if clean is None:
            got.refused[name] = note or "refused"
            continue
        stamp = source_timestamp(clean)
        if stamp is not None and name in seen and stamp <= seen[name]:
            got.stale[name] = note or "stale"
            continue
        if stamp is not None:
            got.source_ts[name] = stamp
        quotes.append(clean.quote.assign(snapshot_ts=tick))
        chains.append(clean.chain.assign(snapshot_ts=tick))
    if quotes:
        got.quotes = pd.concat(quotes, ignore_index=True)
        got.chains = pd.concat(chains, ignore_index=True)
    got.metrics = _tick_metrics(provider, tick, lat, reasons)
    return got


def source_timestamp(snapshot: Snapshot) -> pd.Timestamp | None:
    """The source's own instant of a snapshot: the latest ``exchange_ts``, else its ``snapshot_ts``.

    This, not the aligned tick, identifies an answer: two answers with the same source
    timestamp are the same data. None when the source stamps neither.
    """
    for col in ("exchange_ts", "snapshot_ts"):
        stamps = [f[col] for f in snapshot.frames() if col in f and f[col].notna().any()]
        if stamps:
            return max(pd.Timestamp(s.max()) for s in stamps)
    return None


def _refusal_note(
    name: str,
    clean: Snapshot | None,
    rejected: pd.DataFrame,
    snap: Snapshot,
    last: pd.Timestamp | None,
) -> str | None:
    """One line for the run's log and the metrics: why (part of) ``name`` was not stored."""
    if clean is None:
        return f"{name}: {rejected['reason'].iloc[0]}; nothing of it stored"
    stamp = source_timestamp(clean)
    if stamp is not None and last is not None and stamp <= last:
        return (f"{name}: stale answer (source timestamp {stamp} did not advance past "
                f"{last}: cached or repeated); not stored as a new snapshot")  # fmt: skip
    if len(rejected):
        total = len(snap.chain)
        return f"{name}: quarantined {len(rejected)} of {total} chain rows: " + (
            summarise_rejections(rejected)
        )
    return None


def _answering_provider(snap: Snapshot, provider: MarketDataProvider) -> str:
    """The provider named on the answer's rows (a failover chain answers as one of its own)."""
    quote = snap.quote
    if "provider" in quote and len(quote) and pd.notna(quote["provider"].iloc[0]):
        return str(quote["provider"].iloc[0])
    return str(getattr(provider, "name", "unknown"))


def _tick_metrics(
    provider: MarketDataProvider, tick: pd.Timestamp, lat: Sequence[float],
    reasons: Mapping[str, str],
) -> pd.DataFrame:  # fmt: skip
    """``data_source_metrics`` rows of one tick, with quarantine/stale reasons in ``last_error``."""
    metrics = provider.metrics_frame() if hasattr(provider, "metrics_frame") else None
    if metrics is None or metrics.empty:
        metrics = _metrics(getattr(provider, "name", "unknown"), tick, lat, 0)
    metrics = metrics.assign(ts=tick).reset_index(drop=True)
    for source, reason in reasons.items():
        rows = metrics.index[metrics["provider"] == source]
        if not len(rows):
            metrics = pd.concat([metrics, _metrics(source, tick, [], 0)], ignore_index=True)
            rows = metrics.index[-1:]
        metrics["last_error"] = metrics["last_error"].astype(object)
        metrics.loc[rows, "last_error"] = reason
    return metrics


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
    """Outcome of :func:`run_collection_session`.

    ``stale``, ``refused`` and ``quarantined`` map a tick to what was not stored of it
    (underlying -> reason, or the quarantine notes), also logged and written to
    ``data_source_metrics``.
    """

    collected: list[pd.Timestamp] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[pd.Timestamp] = field(default_factory=list)
    stale: dict[str, dict[str, str]] = field(default_factory=dict)
    refused: dict[str, dict[str, str]] = field(default_factory=dict)
    quarantined: dict[str, list[str]] = field(default_factory=dict)
    signals: int = 0  # signal rows written with the ticks (session signals)


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
    signals: SessionSignals | None = None,
) -> SessionReport:
    """Collect every remaining aligned tick of today's session, then return.

    Each tick is collected (:func:`collect_tick`: validated, stale answers refused) and
    written on its own (``write`` receives :func:`intraday_tables` and must be
    idempotent and transactional; a tick with nothing new writes only its
    ``data_source_metrics`` row). A provider with a ``fit_to_cadence`` hook (the
    failover chain's answer cache) is first sized to the interval. A tick whose
    collection or write fails is recorded in ``failed`` and the loop goes on; a tick
    that is more than one interval late when its turn comes is ``skipped`` (catch-up
    rule: never burst through a backlog). After ``max_consecutive_failures`` failed
    ticks in a row the last error is raised so the run fails visibly.

    With ``signals`` (:class:`~optionsintel.transforms.session_signals.SessionSignals`) each
    tick that wrote chains also carries its ``"signals"`` rows, in the same transaction:
    the frames ``write`` receives are the tick's whole outcome (the hook for consumers
    such as an alert engine), and the signals' state advances only once that write
    succeeded. At the close, rows the EOD run would add for the day's last tick are
    written too (:meth:`~optionsintel.transforms.session_signals.SessionSignals.finish`).
    """
    fit = getattr(provider, "fit_to_cadence", None)
    if callable(fit):
        fit(interval_seconds)
    report, streak = SessionReport(), 0
    last_seen: dict[str, pd.Timestamp] = {}  # source timestamp of each underlying's last write
    grace = pd.Timedelta(seconds=interval_seconds)
    for tick in remaining_ticks(clock(), interval_seconds):
        wait = (tick - clock()).total_seconds()
        if wait > 0:
            sleep(wait)
        if clock() - tick > grace:
            report.skipped.append(tick)
            continue
        try:
            got = collect_tick(provider, underlyings, tick, last_seen=last_seen, now=clock())
            step = signals.evaluate(tick, got.chains) if signals and len(got.chains) else None
            write(_tables_of(got, previous, step))
        except Exception as exc:  # provider or store failures lose only this tick
            report.failed[str(tick)] = f"{type(exc).__name__}: {exc}"
            logger.warning("tick %s failed: %s: %s", tick, type(exc).__name__, exc)
            streak += 1
            if streak >= max_consecutive_failures:
                raise
            continue
        streak = 0
        if step is not None and signals is not None:
            signals.advance(step)
            report.signals += len(step.rows)
        _report_tick(report, tick, got)
        last_seen.update(got.source_ts)
        if len(got.chains):
            previous = _latest_chains(previous, got.chains)
            report.collected.append(tick)
    if signals is not None:
        _write_last_signals(signals, write, report)
    return report


def _tables_of(
    got: Collected, previous: pd.DataFrame | None, step: SignalStep | None = None
) -> Mapping[str, pd.DataFrame]:
    """What a tick writes: every intraday table (and signals), or only its metrics."""
    if len(got.quotes) or len(got.chains):
        tables = intraday_tables(got, previous)
        return tables if step is None else {**tables, "signals": step.rows}
    return {"data_source_metrics": got.metrics}


def _write_last_signals(
    signals: SessionSignals, write: Callable[..., Any], report: SessionReport
) -> None:
    """At the close: the day's last tick as an EOD sample, when the session had not sampled it."""
    try:
        rows = signals.finish()
        if len(rows):
            write({"signals": rows})
            report.signals += len(rows)
    except Exception as exc:  # the EOD run computes these rows again
        report.failed["signals at close"] = f"{type(exc).__name__}: {exc}"
        logger.warning("signals at the close failed: %s: %s", type(exc).__name__, exc)


def _report_tick(report: SessionReport, tick: pd.Timestamp, got: Collected) -> None:
    """Record (and log) what the tick did not store."""
    key = str(tick)
    if got.stale:
        report.stale[key] = dict(got.stale)
    if got.refused:
        report.refused[key] = dict(got.refused)
    notes = [n for n in got.notes if "quarantined" in n]
    if notes:
        report.quarantined[key] = notes
    for note in got.notes:
        logger.warning("tick %s: %s", tick, note)


def _latest_chains(previous: pd.DataFrame | None, chains: pd.DataFrame) -> pd.DataFrame:
    """The last stored chain of every underlying (one refused this tick keeps its older one)."""
    if previous is None or not len(previous):
        return chains
    older = previous.loc[~previous["underlying"].isin(chains["underlying"].unique())]
    return pd.concat([older, chains], ignore_index=True) if len(older) else chains


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
    (:func:`~optionsintel.transforms.daily.daily_ohlc_from_quotes`).
    """
    from optionsintel.transforms.daily import candles_to_daily_ohlc, daily_ohlc_from_quotes

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
