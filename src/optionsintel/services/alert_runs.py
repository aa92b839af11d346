"""Alert rules evaluated at the end of the EOD run and of a scan run.

:func:`evaluate_eod` evaluates every active rule on a trading day's end-of-day data (the
session's quotes, the EOD chain, the daily ATM IV and its rank, the day's last signals,
and every pinned pattern version evaluated point in time at the close). Its trigger
instant is the 15:30 IST close, the same instant as the session's last aligned tick: a
trigger the live session already sent has the same idempotency key and is not sent
again, and re-materialising the partition inserts nothing new.

:func:`evaluate_scan` evaluates the SCAN rules on a finished scan run's matches (the scan
service calls it from ``finish_scan``; :func:`on_scan_completed` does the same from a stored
run's ``scan_results`` rows); its trigger instant is the close of the scan bar's day.

Only recent days alert: a backfill of last month's partitions must not page anyone
(:func:`alerts_due`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

import pandas as pd

from optionsintel.alerts import RuleBook, TickFrames
from optionsintel.calendar import is_trading_day, previous_trading_day, session_bounds
from optionsintel.errors import OptionsIntelError
from optionsintel.services.alert_ticks import SUMMARY_COLUMNS, iv_ranks
from optionsintel.services.alerts import EnqueueResult, active_book, evaluate_and_enqueue
from optionsintel.services.patterns import evaluate_pattern
from optionsintel.store import Store
from optionsintel.store.alerts import read_daily_atm_iv, read_quote_window, read_scan_run
from optionsintel.store.reads import read_eod_chain, read_signals
from optionsintel.transforms.daily import eod_to_chain
from optionsintel.tz import EXCHANGE_TZ, to_utc

__all__ = [
    "alerts_due",
    "evaluate_eod",
    "evaluate_scan",
    "on_scan_completed",
    "pattern_matches",
    "scan_instant",
]

log = logging.getLogger(__name__)


def alerts_due(day: dt.date, today: dt.date | None = None) -> bool:
    """True when ``day``'s data may still alert: today or the previous trading day.

    The EOD run of a day finishes after the close (up to the next morning); older
    partitions are backfills, whose triggers would be news about the past.
    """
    today = today or pd.Timestamp.now(tz=EXCHANGE_TZ).date()
    return previous_trading_day(today) <= day <= today


def evaluate_eod(
    store: Store, day: dt.date, provider: str, *, today: dt.date | None = None
) -> EnqueueResult | None:
    """Evaluate the active rules on ``day``'s end-of-day data of ``provider``.

    Parameters
    ----------
    store
        The store.
    day
        The trading day (the EOD partition).
    provider
        The one provider of every row read.
    today
        The current IST date (default: now); only :func:`alerts_due` days alert.

    Returns
    -------
    EnqueueResult or None
        None when the day is too old to alert or no rule is active.
    """
    if not alerts_due(day, today):
        return None
    open_, close = session_bounds(day, tz="UTC")
    with store.transaction() as writer:
        book = active_book(writer)
        if book is None:
            return None
        kinds = set(book.parts)
        symbols = sorted(set(book.rows["instrument"]))
        pairs = [(s, provider) for s in symbols]
        frames = TickFrames(
            quotes=read_quote_window(writer, pairs, open_, close)
            if kinds & {"PRICE", "VOLUME_SPIKE"} else None,
            chain=_eod_chain(store, day, provider, symbols) if "OI_CHANGE" in kinds else None,
            summary=_eod_summary(writer, pairs, day, close) if "VOLATILITY" in kinds else None,
            signals=_last_signals(store, provider, symbols, open_, close)
            if "SIGNAL" in kinds else None,
            pattern_matches=pattern_matches(store, book, provider, close)
            if "PATTERN" in kinds else None,
        )  # fmt: skip
        return evaluate_and_enqueue(writer, frames, close, book=book)


def _eod_chain(store: Store, day: dt.date, provider: str, symbols: list[str]) -> pd.DataFrame:
    eod = read_eod_chain(store, provider=provider, underlying=symbols, start=day, end=day)
    return eod_to_chain(eod) if len(eod) else eod


def _eod_summary(writer: Any, pairs: list, day: dt.date, close: pd.Timestamp) -> pd.DataFrame:
    """The day's ATM IV per expiry at the close, with the nearest expiry's IV rank."""
    rows = read_daily_atm_iv(writer, pairs, day, day)
    out = pd.DataFrame(
        {
            "underlying": rows["underlying"].astype(str),
            "snapshot_ts": pd.DatetimeIndex([close] * len(rows)),
            "expiry": pd.to_datetime(rows["expiry"]),
            "atm_iv": rows["atm_iv"],
        }
    )
    ranks = iv_ranks(writer, out, pairs, close) if len(out) else {}
    out["iv_rank"] = out["underlying"].map(ranks).astype(float)
    return out[SUMMARY_COLUMNS]


def _last_signals(
    store: Store, provider: str, symbols: list[str], start: Any, end: Any
) -> pd.DataFrame:
    """Signals of the day's last sampled snapshot of each underlying."""
    got = read_signals(store, provider=provider, underlying=symbols, start=start, end=end)
    if got.empty:
        return got
    last = got.groupby("underlying")["snapshot_ts"].transform("max")
    return got.loc[got["snapshot_ts"] == last].reset_index(drop=True)


def pattern_matches(store: Store, book: RuleBook, provider: str, as_of: Any) -> pd.DataFrame:
    """Every pinned pattern version of the PATTERN rules, evaluated at ``as_of``.

    Returns ``symbol, pattern, version, matched`` for the rules' symbols that have a bar
    on ``as_of``'s day; a pin that cannot be evaluated (deleted, data missing) is logged
    and left out, so its rules neither fire nor re-arm.
    """
    rows = book.parts["PATTERN"][1]
    day = pd.Timestamp(as_of).tz_convert(EXCHANGE_TZ).date()
    found = []
    for (pattern, version), group in rows.groupby(["pattern", "version"]):
        pin = f"{pattern}@{int(version)}"
        symbols = sorted(set(group["instrument"]))
        try:
            ev = evaluate_pattern(store, pin, provider=provider, symbols=symbols, as_of=as_of)
        except OptionsIntelError as exc:
            log.warning("alert rules on pattern %s not evaluated: %s", pin, exc)
            continue
        if not len(ev.result.index) or pd.Timestamp(ev.result.index[-1]).date() != day:
            log.warning("pattern %s has no bar on %s for %s: not evaluated", pin, day, symbols)
            continue
        hits = set(ev.result.matching_symbols())
        evaluated = [s for s in symbols if s in set(ev.result.columns)]
        found += [(s, pattern, int(version), s in hits) for s in evaluated]
    return pd.DataFrame(found, columns=["symbol", "pattern", "version", "matched"])


def scan_instant(bar: Any) -> pd.Timestamp:
    """The trigger instant of a scan on daily bars: the 15:30 IST close of its bar's day.

    ``bar`` is the scan bar (a date) or an instant; an instant before a day's close
    stands for the previous trading day's bar (the last one published then).
    """
    t = pd.Timestamp(bar)
    if t.tzinfo is None and t == t.normalize():
        return session_bounds(t.date(), tz="UTC")[1]
    ist = to_utc(t).tz_convert(EXCHANGE_TZ)
    close = session_bounds(ist.date(), tz="UTC")[1] if is_trading_day(ist.date()) else None
    if close is not None and ist >= close:
        return close
    return session_bounds(previous_trading_day(ist.date()), tz="UTC")[1]


def evaluate_scan(
    store: Store,
    name: str,
    bar: Any,
    matches: Iterable[str],
    universe: Iterable[str] | None = None,
) -> EnqueueResult | None:
    """Evaluate the SCAN rules watching scan ``name`` on one finished run of it.

    Parameters
    ----------
    store
        The store.
    name
        The scan's name (a SCAN rule's ``scan_id``).
    bar
        The run's scan bar (date) or instant: the trigger instant is its close
        (:func:`scan_instant`), so the same scan re-run on the same data notifies once.
    matches
        The symbols the run matched.
    universe
        The symbols the run evaluated; a watched symbol outside it is not measured
        (neither fires nor re-arms). None: every watched symbol was evaluated.

    Returns
    -------
    EnqueueResult or None
        None when no SCAN rule watches ``name``.
    """
    hits = {str(s) for s in matches}
    scope = None if universe is None else {str(s) for s in universe}
    with store.transaction() as writer:
        book = active_book(writer)
        if book is None or "SCAN" not in book.parts:
            return None
        rows = book.parts["SCAN"][1]
        watched = sorted(set(rows.loc[rows["scan_id"] == name, "instrument"]))
        watched = [s for s in watched if scope is None or s in scope]
        if not watched:
            return None
        frame = pd.DataFrame(
            {"symbol": watched, "scan_id": name, "matched": [s in hits for s in watched]}
        )
        at = scan_instant(bar)
        return evaluate_and_enqueue(writer, TickFrames(scan_matches=frame), at, book=book)


def on_scan_completed(store: Store, run_id: str) -> EnqueueResult | None:
    """Evaluate the SCAN rules on a stored scan run (its ``scan_results`` rows).

    The rows (``kind='scan'``) name the scan and its matching symbols (``passed`` false
    rows are evaluated non-matches); a watched symbol the run does not list did not
    match. A run without rows (no match at all) cannot be told from an unknown run here:
    the scan service calls :func:`evaluate_scan` with the run's plan instead.

    Returns
    -------
    EnqueueResult or None
        None when the run has no rows or no SCAN rule watches that scan.
    """
    run = read_scan_run(store, run_id)
    if run.empty:
        return None
    passed = run["passed"].isna() | run["passed"].fillna(False).astype(bool)
    hits = run.loc[passed, "symbol"].astype(str)
    return evaluate_scan(store, str(run["name"].iloc[0]), run["as_of"].max(), hits)
