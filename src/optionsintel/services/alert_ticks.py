"""Alert rules evaluated where the data lands: inside the collection tick's transaction.

:func:`write_tick` is the collection session's write callback (``collect`` hands every
tick's frames to a callable and never imports the store): it writes the tick's tables
and, in the same transaction, evaluates the active alert rules on what was just written
and appends their outbox rows (:func:`optionsintel.services.alerts.evaluate_and_enqueue`).
So a notification is committed with exactly the data that triggered it, or not at all.
A retried tick (same aligned instant) yields the same idempotency keys: nothing is
notified twice.

Each instrument's history (trailing quotes, the chain at the start of an IV-change
window, daily ATM IV for the IV rank) is read from the provider that answered it on this
tick, never from a mix of providers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.alerts import RuleBook, TickFrames
from optionsintel.chain.vol import atm_iv
from optionsintel.services.alerts import EnqueueResult, active_book, evaluate_and_enqueue
from optionsintel.store import Store
from optionsintel.store.alerts import (
    Pairs,
    read_chain_nearest_expiry,
    read_chain_time_at,
    read_daily_atm_iv,
    read_quote_window,
)
from optionsintel.store.api import Writer
from optionsintel.store.bulk import MergeResult
from optionsintel.tz import EXCHANGE_TZ

__all__ = [
    "IV_RANK_DAYS",
    "SUMMARY_COLUMNS",
    "alert_tick",
    "iv_ranks",
    "summary_frame",
    "write_tick",
]

log = logging.getLogger(__name__)
#: ATM IV of recent snapshots per (underlying, provider, instant): each is solved once.
_ATM_CACHE: OrderedDict[tuple[str, str, pd.Timestamp], pd.DataFrame] = OrderedDict()
_ATM_CACHE_SIZE = 4096

#: Daily observations an IV rank looks back over (with the current one): about a year.
IV_RANK_DAYS = 252
_IV_RANK_MIN = 20
SUMMARY_COLUMNS = ["underlying", "snapshot_ts", "expiry", "atm_iv", "iv_rank"]


def write_tick(store: Store, frames: Mapping[str, pd.DataFrame]) -> dict[str, MergeResult]:
    """Write one collection tick's tables and evaluate the alert rules, in one transaction.

    Parameters
    ----------
    store
        The store.
    frames
        Table name -> rows of the tick (what ``run_collection_session`` hands its
        ``write`` callback: quotes, chains, intraday tables, metrics, signals).

    Returns
    -------
    dict
        Merge outcome per table written.

    Raises
    ------
    StoreWriteError
        When a table rejects its rows: nothing of the tick is stored, and no
        notification either.

    Notes
    -----
    The evaluation runs in a savepoint: should it fail (a bug, a database error in its
    reads), its writes are undone and logged at ERROR, and the tick's market data is
    still committed. Losing a tick of data to an alert would be the worse failure.
    """
    with store.transaction() as writer:
        results = {name: writer.write(name, frame) for name, frame in frames.items()}
        try:
            with writer.conn.begin_nested():  # a savepoint: undo only the alerts' writes
                alert_tick(writer, frames)
        except Exception as exc:  # market data outranks alerts: the tick is still stored
            log.error("alert rules not evaluated on this tick (%s: %s); the tick's data is "
                      "stored, its notifications are not", type(exc).__name__, exc)  # fmt: skip
    return results


def alert_tick(writer: Writer, frames: Mapping[str, pd.DataFrame]) -> EnqueueResult | None:
    """Evaluate the active rules on a tick just written in ``writer``'s transaction.

    The tick instant is the quotes' ``snapshot_ts`` (the aligned tick). A write without
    quotes (a tick that kept nothing, the close's signal rows) evaluates nothing.

    Returns
    -------
    EnqueueResult or None
        None when nothing was evaluated (no quotes, or no active rule).
    """
    quotes = frames.get("underlying_quotes")
    if quotes is None or quotes.empty:
        return None
    book = active_book(writer)
    if book is None:
        return None
    now = pd.Timestamp(quotes["snapshot_ts"].max())
    pairs = _pairs(quotes)
    kinds = set(book.parts)
    chains = frames.get("option_chain_snapshots")
    tick = TickFrames(
        quotes=_quote_history(writer, book, pairs, now) if kinds & {"PRICE", "VOLUME_SPIKE"}
        else None,
        chain=chains if "OI_CHANGE" in kinds else None,
        summary=summary_frame(writer, book, chains, pairs, now) if "VOLATILITY" in kinds
        else None,
        signals=frames.get("signals") if "SIGNAL" in kinds else None,
    )  # fmt: skip
    return evaluate_and_enqueue(writer, tick, now, book=book)


def _pairs(frame: pd.DataFrame) -> Pairs:
    """(underlying, provider) pairs of a tick frame."""
    uniq = frame[["underlying", "provider"]].astype(str).drop_duplicates()
    return list(uniq.itertuples(index=False, name=None))


def _max_window(book: RuleBook, kind: str) -> pd.Timedelta:
    if kind not in book.parts:
        return pd.Timedelta(0)
    window = np.nan_to_num(book.parts[kind][1]["window_s"].to_numpy(), nan=0.0)
    return pd.Timedelta(seconds=float(window.max(initial=0.0)))


def _quote_history(writer: Writer, book: RuleBook, pairs: Pairs, now: pd.Timestamp):
    """The tick's quotes and the session's before them (longer when a % window needs it).

    The session (from IST midnight) covers the previous tick of a cross and the trailing
    intervals of a volume spike (cumulative volume restarts with each session).
    """
    midnight = now.tz_convert(EXCHANGE_TZ).normalize()
    start = min(midnight, now - _max_window(book, "PRICE"))
    return read_quote_window(writer, pairs, start, now)


def summary_frame(
    source: Any, book: RuleBook, chains: pd.DataFrame | None, pairs: Pairs, now: pd.Timestamp
) -> pd.DataFrame | None:
    """``underlying, snapshot_ts, expiry, atm_iv, iv_rank`` for the VOLATILITY rules.

    The tick's ATM IV of the nearest expiry (the platform's own IV,
    :func:`optionsintel.chain.vol.atm_iv`),
    the ATM IV of the last chain at or before the start of every IV-change window, and
    the IV rank of the nearest expiry's ATM IV among the last :data:`IV_RANK_DAYS` daily
    figures (``daily_option_oi_summary``) when a rule asks for it.
    """
    if chains is None or chains.empty:
        return None
    now_rows = _atm(chains)
    parts = [now_rows]
    rows = book.parts["VOLATILITY"][1]
    for underlying, provider in pairs:
        _remember((underlying, provider, now), now_rows[now_rows["underlying"] == underlying])
    for seconds in pd.unique(rows["window_s"].dropna()):
        at = now - pd.Timedelta(seconds=float(seconds))
        for underlying, provider in pairs:
            past = _past_atm(source, underlying, provider, at)
            if len(past):
                parts.append(past)
    out = pd.concat(parts, ignore_index=True)
    out["iv_rank"] = np.nan
    if (rows["sub"] == "iv_rank").any():
        ranks = iv_ranks(source, now_rows, pairs, now)
        current = out["snapshot_ts"] == now
        out.loc[current, "iv_rank"] = out.loc[current, "underlying"].map(ranks).astype(float)
    return out[SUMMARY_COLUMNS]


def _remember(key: tuple[str, str, pd.Timestamp], rows: pd.DataFrame) -> None:
    _ATM_CACHE[key] = rows
    _ATM_CACHE.move_to_end(key)
    while len(_ATM_CACHE) > _ATM_CACHE_SIZE:
        _ATM_CACHE.popitem(last=False)


def _past_atm(source: Any, underlying: str, provider: str, at: pd.Timestamp) -> pd.DataFrame:
    """ATM IV of the last stored chain at or before ``at`` (solved once per snapshot).

    A tick this process evaluated is in the cache (solved when it was live; a retried
    tick replaces its entry), so only the snapshot's instant is read; otherwise the
    snapshot's nearest expiry (all :func:`_atm` measures) is read and solved.
    """
    stamp = read_chain_time_at(source, underlying, provider, at, at - pd.Timedelta(days=4))
    if stamp is None:
        return pd.DataFrame(columns=["underlying", "snapshot_ts", "expiry", "atm_iv"])
    key = (underlying, provider, stamp)
    if key not in _ATM_CACHE:
        _remember(key, _atm(read_chain_nearest_expiry(source, underlying, provider, stamp)))
    return _ATM_CACHE[key]


def _atm(chain: pd.DataFrame) -> pd.DataFrame:
    """ATM IV of each underlying's nearest expiry (the one the VOLATILITY rules measure).

    Solving the IV of the other expiries would cost several times as much for nothing.
    """
    expiry = pd.to_datetime(chain["expiry"])
    nearest = expiry == expiry.groupby(chain["underlying"].astype(str)).transform("min")
    got = atm_iv(chain.loc[nearest])
    got["underlying"] = got["underlying"].astype(str)
    got["snapshot_ts"] = pd.to_datetime(got["snapshot_ts"], utc=True).astype("datetime64[ns, UTC]")
    return got[["underlying", "snapshot_ts", "expiry", "atm_iv"]]


def iv_ranks(
    source: Any, now_rows: pd.DataFrame, pairs: Pairs, now: pd.Timestamp
) -> dict[str, float]:
    """IV rank (0-100) of each underlying's nearest-expiry ATM IV against its daily history.

    ``100 (iv - min) / (max - min)`` over the last :data:`IV_RANK_DAYS` observations, the
    current one included (as :func:`optionsintel.chain.vol.iv_rank`); NaN with fewer than
    20 observations or a flat window.
    """
    today = now.tz_convert(EXCHANGE_TZ).date()
    start = today - dt.timedelta(days=IV_RANK_DAYS * 7 // 5 + 30)
    daily = read_daily_atm_iv(source, pairs, start, today - dt.timedelta(days=1))
    daily = daily.dropna(subset=["atm_iv"]).sort_values(["underlying", "trade_date", "expiry"])
    first = daily.drop_duplicates(["underlying", "trade_date"])  # the day's nearest expiry
    history = {str(k): g.to_numpy(dtype=float) for k, g in first.groupby("underlying")["atm_iv"]}
    nearest = now_rows.dropna(subset=["atm_iv"]).sort_values("expiry")
    nearest = nearest.drop_duplicates("underlying").set_index("underlying")["atm_iv"]
    out: dict[str, float] = {}
    for underlying, current in nearest.items():
        values = np.append(history.get(str(underlying), np.empty(0)), float(current))
        window = values[-IV_RANK_DAYS:]
        lo, hi = window.min(), window.max()
        ok = len(window) >= _IV_RANK_MIN and hi > lo
        out[str(underlying)] = float(100.0 * (current - lo) / (hi - lo)) if ok else float("nan")
    return out
