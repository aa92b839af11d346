"""Evaluate a rule book on one tick: triggers with idempotency keys, and the new arm state.

A row (rule, instrument) triggers when its condition holds and every gate is open:

* the rule is in its active window (IST wall clock, days per the NSE calendar) and not
  expired;
* it is *armed*: with hysteresis a trigger disarms the row, and only a tick on which the
  condition is measurably false re-arms it (a missing value neither fires nor re-arms);
* the cooldown since the row's last trigger has passed;
* the rule's triggers today (IST day, over all its instruments) stay under its maximum.

The trigger's idempotency key hashes (owner, rule, instrument, tick instant): the same
tick evaluated again yields the same key, so the outbox drops the repeat.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.alerts import measure
from optionsintel.alerts._panel import Panel
from optionsintel.alerts.book import RuleBook, as_int, state_keys
from optionsintel.calendar import is_trading_day
from optionsintel.tz import EXCHANGE_TZ, to_utc

STATE_COLUMNS = ("owner", "rule_name", "instrument", "armed", "last_trigger_at", "trigger_day",
                 "triggers_today")  # fmt: skip
TRIGGER_COLUMNS = ("owner", "rule_name", "instrument", "rule_type", "triggered_at",
                   "trigger_key", "value", "threshold")  # fmt: skip


@dataclass(frozen=True)
class TickFrames:
    """The frames of one tick (see :mod:`optionsintel.alerts.measure` for their columns)."""

    quotes: pd.DataFrame | None = None
    chain: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    signals: pd.DataFrame | None = None
    pattern_matches: pd.DataFrame | None = None
    scan_matches: pd.DataFrame | None = None


@dataclass(frozen=True)
class Evaluation:
    """What one tick did.

    Attributes
    ----------
    triggers
        One row per trigger: :data:`TRIGGER_COLUMNS`; ``value`` is what was measured and
        ``threshold`` the rule's bar (level, percent, multiple, confidence...).
    state
        The new state of every row whose state changed (:data:`STATE_COLUMNS`).
    """

    triggers: pd.DataFrame
    state: pd.DataFrame


def evaluate(
    book: RuleBook, frames: TickFrames, now: Any, state: pd.DataFrame | None = None
) -> Evaluation:
    """Evaluate every row of ``book`` on the tick at instant ``now`` (naive = IST).

    Parameters
    ----------
    book
        Compiled rules (:func:`~optionsintel.alerts.book.compile_rules`).
    frames
        The tick's frames.
    now
        The tick instant; it is the trigger instant of the idempotency key.
    state
        Stored state rows (:data:`STATE_COLUMNS`); rows without one start armed.

    Returns
    -------
    Evaluation
    """
    rows = book.rows
    stamp = to_utc(now)
    value, fires = _measure(book, frames, int(stamp.value))
    old = _state_of(book, state)
    ist = stamp.tz_convert(EXCHANGE_TZ)
    today = pd.Timestamp(ist.date())
    measured = ~np.isnan(value)
    count_today = np.where(old["trigger_day"].to_numpy() == today, old["triggers_today"], 0)
    candidate = fires & _gates(rows, ist) & old["armed"].to_numpy() & _cooled(rows, old, stamp)
    trigger = candidate & _under_daily_cap(rows, candidate, count_today)
    armed = np.where(
        rows["hysteresis"].to_numpy() > 0,
        np.where(trigger, False, np.where(measured & ~fires, True, old["armed"])),
        True,
    ).astype(bool)
    new = pd.DataFrame(
        {
            "owner": rows["owner"].to_numpy(),
            "rule_name": rows["rule_name"].to_numpy(),
            "instrument": rows["instrument"].to_numpy(),
            "armed": armed,
            "last_trigger_at": old["last_trigger_at"].where(~trigger, stamp),
            "trigger_day": old["trigger_day"].where(~trigger, today),
            "triggers_today": np.where(trigger, count_today + 1, old["triggers_today"]),
        }
    )
    changed = trigger | (armed != old["armed"].to_numpy()) | ~old["known"].to_numpy()
    return Evaluation(_triggers(rows, trigger, value, stamp), new[changed].reset_index(drop=True))


def _measure(book: RuleBook, f: TickFrames, now_ns: int) -> tuple[np.ndarray, np.ndarray]:
    value, fires = np.full(len(book), np.nan), np.zeros(len(book), bool)
    quotes = _panel(f.quotes, ("ltp", "volume"), now_ns)
    for kind, (where, part) in book.parts.items():
        if kind == "PRICE":
            v, ok = measure.price(part, quotes(), now_ns)
        elif kind == "VOLUME_SPIKE":
            v, ok = measure.volume_spike(part, quotes())
        elif kind == "VOLATILITY":
            summary = _panel(f.summary, ("atm_iv", "iv_rank"), now_ns, prefer="expiry")
            v, ok = measure.volatility(part, summary(), now_ns)
        elif kind == "OI_CHANGE":
            v, ok = measure.oi_change(part, f.chain)
        elif kind == "SIGNAL":
            v, ok = measure.signal(part, f.signals)
        elif kind == "PATTERN":
            v, ok = measure.matches(part, f.pattern_matches, ("symbol", "pattern", "version"))
        else:  # SCAN
            v, ok = measure.matches(part, f.scan_matches, ("symbol", "scan_id"))
        value[where], fires[where] = v, ok
    return value, fires


def _panel(frame: pd.DataFrame | None, columns: tuple[str, ...], now_ns: int, prefer=None):
    """A lazily built, memoised panel of ``frame`` (None when there is no data)."""
    built: list[Panel | None] = []

    def get() -> Panel | None:
        if not built:
            ok = frame is not None and not frame.empty
            built.append(Panel(frame, columns, now_ns, prefer) if ok else None)  # type: ignore[arg-type]
        return built[0]

    return get


def _state_of(book: RuleBook, state: pd.DataFrame | None) -> pd.DataFrame:
    n = len(book)
    if state is None or not len(state):
        return pd.DataFrame({
            "armed": np.ones(n, bool),
            "last_trigger_at": pd.DatetimeIndex([pd.NaT] * n, tz="UTC"),
            "trigger_day": pd.DatetimeIndex([pd.NaT] * n),
            "triggers_today": np.zeros(n, "int64"),
            "known": np.zeros(n, bool),
        })  # fmt: skip
    pos = state_keys(state).get_indexer(book.keys)
    known = pos >= 0
    take = np.where(known, pos, 0)
    armed = state["armed"].to_numpy(dtype=bool)[take]
    last = pd.DatetimeIndex(pd.to_datetime(state["last_trigger_at"], utc=True))[take]
    day = pd.DatetimeIndex(pd.to_datetime(state["trigger_day"]))[take]
    count = pd.to_numeric(state["triggers_today"]).fillna(0).to_numpy(dtype="int64")[take]
    return pd.DataFrame({
        "armed": np.where(known, armed, True),
        "last_trigger_at": last.where(known, pd.NaT),
        "trigger_day": day.where(known, pd.NaT),
        "triggers_today": np.where(known, count, 0),
        "known": known,
    })  # fmt: skip


def _gates(rows: pd.DataFrame, ist: pd.Timestamp) -> np.ndarray:
    seconds = ist.hour * 3600 + ist.minute * 60 + ist.second
    day_code = as_int(rows["day_code"])
    day_ok = np.select(
        [day_code == 0, day_code == 1], [bool(is_trading_day(ist.date())), ist.weekday() < 5], True
    )
    hours_ok = (rows["from_s"].to_numpy() <= seconds) & (seconds <= rows["until_s"].to_numpy())
    expires = rows["expires_ns"].to_numpy()
    live = np.isnan(expires) | (expires > float(ist.value))
    return np.asarray(day_ok & hours_ok & live, dtype=bool)


def _cooled(rows: pd.DataFrame, old: pd.DataFrame, stamp: pd.Timestamp) -> np.ndarray:
    since = (stamp - old["last_trigger_at"]).dt.total_seconds().to_numpy()
    return np.asarray(np.isnan(since) | (since >= rows["cooldown_s"].to_numpy()), dtype=bool)


def _under_daily_cap(rows: pd.DataFrame, candidate: np.ndarray, today: np.ndarray) -> np.ndarray:
    """Candidates allowed by the rule's cap on triggers per IST day (in row order)."""
    cap = rows["max_per_day"].to_numpy()
    if np.isnan(cap).all():
        return np.ones(len(rows), bool)
    rule = rows["rule"].to_numpy()
    used = pd.Series(today).groupby(rule).transform("sum").to_numpy()
    rank = pd.Series(candidate.astype("int64")).groupby(rule).cumsum().to_numpy() - 1
    return np.asarray(np.isnan(cap) | (used + rank < cap), dtype=bool)


_THRESHOLD = {"VOLUME_SPIKE": "multiple", "SIGNAL": "min_confidence"}


def _triggers(rows: pd.DataFrame, trigger: np.ndarray, value: np.ndarray, stamp) -> pd.DataFrame:
    hit = rows[trigger]
    kinds = hit["type"].to_numpy()
    threshold = hit["value"].to_numpy().copy()
    for kind, column in _THRESHOLD.items():
        threshold[kinds == kind] = hit[column].to_numpy()[kinds == kind]
    instant = stamp.isoformat()
    keys = [
        trigger_key(o, r, i, instant)
        for o, r, i in zip(hit["owner"], hit["rule_name"], hit["instrument"], strict=True)
    ]
    return pd.DataFrame(
        {
            "owner": hit["owner"].to_numpy(),
            "rule_name": hit["rule_name"].to_numpy(),
            "instrument": hit["instrument"].to_numpy(),
            "rule_type": kinds,
            "triggered_at": pd.DatetimeIndex([stamp] * len(hit)),
            "trigger_key": keys,
            "value": value[trigger],
            "threshold": threshold,
        },
        columns=list(TRIGGER_COLUMNS),
    )


def trigger_key(owner: str, rule_name: str, instrument: str, instant_iso: str) -> str:
    """The idempotency key of a trigger: SHA-256 of (owner, rule, instrument, UTC instant)."""
    text = "\x1f".join((owner, rule_name, instrument, instant_iso))
    return hashlib.sha256(text.encode()).hexdigest()
