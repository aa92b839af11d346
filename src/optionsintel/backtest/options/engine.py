"""Trades of an options-leg strategy over a :class:`ChainPanel` (entries, exits, settlement).

One trade per entry instant (trades may overlap: a daily entry held to expiry has several
open at once). For each trade the legs are chosen at entry (:func:`choose_leg`), filled
(:func:`fill_prices`), then the path of the legs' last fresh prices from the next instant
to the scheduled end is scanned *as arrays* for the per-leg stops/targets and then the
combined target, stop-loss, trailing stop and exit signal. End-of-day chains are checked
once a day at the close (the only prices they store) and filled there; intraday snapshots
at every snapshot. A stop fills at the observed price of the instant it is seen
breached, not at the stop level. Untriggered trades are closed at the exit time, after
``hold_days`` sessions, or settled at expiry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from optionsintel.backtest.options.chains import ChainPanel
from optionsintel.backtest.options.fills import fill_prices, settlement_values
from optionsintel.backtest.options.select import Refusal, choose_expiry, choose_leg
from optionsintel.backtest.options.spec import Execution, ExitRule, OptionsStrategySpec
from optionsintel.calendar import lot_size as calendar_lot_size
from optionsintel.errors import CalendarError
from optionsintel.tz import EXCHANGE_TZ

__all__ = ["TradeRecord", "entry_rows", "simulate_trades"]

IntArray = npt.NDArray[np.int64]


@dataclass
class TradeRecord:
    """One trade (or one refused entry): its legs, fills and how it ended."""

    trade_id: int
    attempt: int
    entry_row: int
    status: str = "closed"
    reason: str = ""
    exit_row: int = -1
    exit_reason: str = ""
    legs: list[dict[str, Any]] = field(default_factory=list)
    fills: list[dict[str, Any]] = field(default_factory=list)
    path_rows: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    path_pnl: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))


def _local(panel: ChainPanel) -> pd.DatetimeIndex:
    return panel.times.tz_convert(EXCHANGE_TZ)


def entry_rows(panel: ChainPanel, spec: OptionsStrategySpec) -> IntArray:
    """Instant of each day's entry: first snapshot at/after the entry time, else the close."""
    local = _local(panel)
    frame = pd.DataFrame({"day": panel.day, "row": np.arange(len(local))})
    rule = spec.entry
    if rule.time is not None:
        frame = frame[local.time >= rule.time]
        rows = frame.groupby("day")["row"].min().to_numpy()
    else:
        rows = frame.groupby("day")["row"].max().to_numpy()
    if rule.weekdays is not None:
        rows = rows[np.isin(local[rows].weekday, rule.weekdays)]
    return rows.astype(np.int64)


def _day_rows(panel: ChainPanel, day: np.datetime64) -> IntArray:
    lo, hi = np.searchsorted(panel.day, day, "left"), np.searchsorted(panel.day, day, "right")
    return np.arange(lo, hi, dtype=np.int64)


def _scheduled_end(
    panel: ChainPanel, rule: ExitRule, row: int, expiry: dt.date
) -> tuple[int, str] | Refusal:
    """Row and kind (``time``/``hold``/``expiry``) of the trade's last instant."""
    exp = np.datetime64(expiry, "D")
    on_expiry = _day_rows(panel, exp)
    candidates: list[tuple[int, str]] = []
    if rule.time is not None:
        today = _day_rows(panel, panel.day[row])
        later = today[(_local(panel)[today].time >= rule.time) & (today > row)]
        if later.size:
            candidates.append((int(later[0]), "time"))
    if rule.hold_days is not None:
        days = np.unique(panel.day[row:])
        if rule.hold_days < len(days):
            candidates.append((int(_day_rows(panel, days[rule.hold_days])[-1]), "hold"))
    if on_expiry.size:
        candidates.append((int(on_expiry[-1]), "expiry"))
    elif exp <= panel.day[-1]:
        return Refusal(f"no stored chain on expiry day {expiry} to settle the trade")
    if not candidates:
        return Refusal(f"the stored chains end {panel.day[-1]} before the exit (expiry {expiry})")
    return min(candidates)


def _first(hit: npt.NDArray[np.bool_]) -> IntArray:
    """Index of the first True down each column (len when none)."""
    n = hit.shape[0]
    if n == 0:
        return np.zeros(hit.shape[1], np.int64)
    return np.where(hit.any(axis=0), hit.argmax(axis=0), n).astype(np.int64)


def _leg_exits(
    spec: OptionsStrategySpec, marks: np.ndarray, fresh: np.ndarray, entry: np.ndarray,
    signs: IntArray
) -> tuple[IntArray, list[str]]:  # fmt: skip
    n = marks.shape[0]
    stop = np.array([leg.stop_loss or np.nan for leg in spec.legs])
    take = np.array([leg.take_profit or np.nan for leg in spec.legs])
    adverse = np.where(signs < 0, marks >= entry * (1 + stop), marks <= entry * (1 - stop))
    favour = np.where(signs < 0, marks <= entry * (1 - take), marks >= entry * (1 + take))
    first_stop, first_take = _first(adverse & fresh), _first(favour & fresh)
    exits = np.minimum(first_stop, first_take)
    reasons = ["leg_stop_loss" if s <= t and s < n else "leg_target" if t < n else ""
               for s, t in zip(first_stop, first_take, strict=True)]  # fmt: skip
    return exits, reasons


def _combined_exit(rule: ExitRule, pnl: np.ndarray, signal: np.ndarray | None) -> tuple[int, str]:
    n = len(pnl)
    checks: list[tuple[int, str]] = []
    if rule.target is not None:
        checks.append((int(_first((pnl >= rule.target)[:, None])[0]), "target"))
    if rule.stop_loss is not None:
        checks.append((int(_first((pnl <= -rule.stop_loss)[:, None])[0]), "stop_loss"))
    if rule.trailing is not None:
        peak = np.maximum.accumulate(np.maximum(pnl, 0.0))
        checks.append((int(_first((pnl <= peak - rule.trailing)[:, None])[0]), "trailing"))
    if rule.on_signal and signal is not None:
        checks.append((int(_first(signal[:, None])[0]), "signal"))
    hit = [c for c in checks if c[0] < n]
    return min(hit) if hit else (n, "")


@lru_cache(maxsize=4096)
def _calendar_lot(underlying: str, day: dt.date) -> int | str:
    try:
        return int(calendar_lot_size(underlying, day))
    except CalendarError as exc:
        return f"no lot size for {underlying} on {day} ({exc}); pass lot_size"


def _lot(spec: OptionsStrategySpec, day: dt.date) -> int | Refusal:
    if spec.lot_size is not None:
        return spec.lot_size
    lot = _calendar_lot(spec.underlying, day)
    return Refusal(lot) if isinstance(lot, str) else lot


@dataclass(frozen=True)
class _Position:
    cols: IntArray
    expiries: list[dt.date]
    signs: IntArray
    qty: npt.NDArray[np.float64]
    entry: npt.NDArray[np.float64]
    lot: int


def _open(
    panel: ChainPanel, spec: OptionsStrategySpec, execution: Execution, row: int
) -> _Position | Refusal:
    picks = [choose_leg(panel, row, leg) for leg in spec.legs]
    for pick in picks:
        if isinstance(pick, Refusal):
            return pick
    chosen = [p for p in picks if not isinstance(p, Refusal)]
    lot = _lot(spec, panel.day[row].item())
    if isinstance(lot, Refusal):
        return lot
    cols = np.array([c for c, _ in chosen], dtype=np.int64)
    signs = np.array([leg.sign for leg in spec.legs], dtype=np.int64)
    price = fill_prices(panel, row, cols, signs, execution)
    if isinstance(price, Refusal):
        return price
    lots = np.array([leg.lots for leg in spec.legs], float) * spec.lot_multiplier
    return _Position(cols, [e for _, e in chosen], signs, lots * lot, price, lot)


def _fill_rows(
    trade: TradeRecord, panel: ChainPanel, pos: _Position, legs: Sequence[int], row: int,
    prices: np.ndarray, kind: Sequence[str], settle: float = np.nan, opening: bool = False
) -> None:  # fmt: skip
    """Append one fill per leg in ``legs`` (opening: the leg's own side; else the opposite)."""
    strikes = panel.strikes
    for k in legs:
        buys = (pos.signs[k] > 0) == opening
        trade.fills.append({
            "trade_id": trade.trade_id, "attempt": trade.attempt, "leg": k,
            "row": row, "side": "buy" if buys else "sell",
            "price": float(prices[k]), "quantity": float(pos.qty[k]), "kind": str(kind[k]),
            "strike": float(strikes[pos.cols[k]]), "settlement_price": settle,
        })  # fmt: skip


def _settle(
    trade: TradeRecord, panel: ChainPanel, pos: _Position, legs: list[int], row: int,
    settlement: Mapping[dt.date, float] | None
) -> Refusal | None:  # fmt: skip
    expiry = min(pos.expiries)
    price = (settlement or {}).get(expiry, panel.spot[row])
    if not np.isfinite(price):
        return Refusal(f"no settlement price for expiry {expiry}")
    value = settlement_values(price, panel.strikes[pos.cols], panel.option_types[pos.cols])
    held = np.where(pos.signs > 0, "exercise", "assignment")
    kind = np.where(value > 0, held, "expire").tolist()
    _fill_rows(trade, panel, pos, legs, row, value, kind, float(price))
    return None


def _run_one(
    panel: ChainPanel, spec: OptionsStrategySpec, execution: Execution, trade: TradeRecord,
    signal: np.ndarray | None, settlement: Mapping[dt.date, float] | None
) -> TradeRecord:  # fmt: skip
    row = trade.entry_row
    pos = _open(panel, spec, execution, row)
    if isinstance(pos, Refusal):
        trade.status, trade.reason = "skipped", pos.reason
        return trade
    end = _scheduled_end(panel, spec.exit, row, min(pos.expiries))
    if isinstance(end, Refusal):
        trade.status, trade.reason = "skipped", end.reason
        return trade
    end_row, end_kind = end
    if end_row <= row:
        trade.status = "skipped"
        trade.reason = f"entry at {end_kind} instant: no later instant to hold or exit"
        return trade
    rows = np.arange(row + 1, end_row + 1, dtype=np.int64)
    marks = panel.mark(rows, pos.cols)
    fresh = panel.last_fresh[rows[:, None], pos.cols[None, :]] == rows[:, None]
    leg_exit, leg_reason = _leg_exits(spec, marks, fresh, pos.entry, pos.signs)
    n = len(rows)
    frozen = np.minimum(np.arange(n)[:, None], np.minimum(leg_exit, n - 1)[None, :])
    held = np.take_along_axis(marks, frozen, axis=0) if n else marks
    pnl = ((held - pos.entry) * pos.qty * pos.signs).sum(axis=1)
    sig = None if signal is None else signal[rows]
    k, reason = _combined_exit(spec.exit, pnl, sig)
    if (leg_exit < n).all() and int(leg_exit.max()) < k:
        k, reason = int(leg_exit.max()), "legs_closed"
    _fill_rows(trade, panel, pos, range(len(pos.cols)), row, pos.entry,
               ["trade"] * len(pos.cols), opening=True)  # fmt: skip
    refusal = _close_legs(trade, panel, pos, execution, rows, leg_exit, leg_reason, k,
                          reason or end_kind, end_row, settlement)  # fmt: skip
    if refusal is not None:
        trade.status, trade.reason, trade.fills = "skipped", refusal.reason, []
        return trade
    last = int(rows[min(k, n - 1)]) if n else row
    trade.exit_row, trade.exit_reason = last, reason or end_kind
    trade.path_rows = np.arange(row, last + 1, dtype=np.int64)
    trade.path_pnl = np.concatenate([[0.0], pnl[: last - row]])
    trade.legs = _leg_rows(panel, pos, spec)
    return trade


def _close_legs(
    trade: TradeRecord, panel: ChainPanel, pos: _Position, execution: Execution,
    rows: IntArray, leg_exit: IntArray, leg_reason: list[str], k: int, reason: str,
    end_row: int, settlement: Mapping[dt.date, float] | None
) -> Refusal | None:  # fmt: skip
    n = len(rows)
    at_end: list[int] = []
    for leg in range(len(pos.cols)):
        stop = int(min(leg_exit[leg], k))
        if stop >= n:
            at_end.append(leg)
            continue
        why = leg_reason[leg] if leg_exit[leg] <= k else reason
        price = fill_prices(panel, int(rows[stop]), pos.cols[leg : leg + 1],
                            -pos.signs[leg : leg + 1], execution)  # fmt: skip
        if isinstance(price, Refusal):
            return price
        _fill_rows(trade, panel, pos, [leg], int(rows[stop]),
                   np.full(len(pos.cols), price[0]), [why] * len(pos.cols))  # fmt: skip
    if not at_end:
        return None
    if reason == "expiry":
        front = min(pos.expiries)
        expiring = [leg for leg in at_end if pos.expiries[leg] == front]
        refusal = _settle(trade, panel, pos, expiring, end_row, settlement)
        at_end = [leg for leg in at_end if pos.expiries[leg] != front]  # later expiries: sold
        if refusal is not None or not at_end:
            return refusal
    price = fill_prices(panel, end_row, pos.cols[at_end], -pos.signs[at_end], execution)
    if isinstance(price, Refusal):
        return price
    full = np.zeros(len(pos.cols))
    full[at_end] = price
    _fill_rows(trade, panel, pos, at_end, end_row, full, [reason] * len(pos.cols))
    return None


def _leg_rows(panel: ChainPanel, pos: _Position, spec: OptionsStrategySpec) -> list[dict]:
    strikes = panel.strikes[pos.cols]
    return [
        {"leg": k, "option_type": rule.option_type, "side": rule.side,
         "strike": float(strikes[k]), "expiry": pos.expiries[k],
         "lots": rule.lots * spec.lot_multiplier, "lot_size": pos.lot,
         "quantity": float(pos.qty[k])}
        for k, rule in enumerate(spec.legs)
    ]  # fmt: skip


def simulate_trades(
    panel: ChainPanel,
    spec: OptionsStrategySpec,
    execution: Execution,
    *,
    exit_signal: np.ndarray | None = None,
    settlement: Mapping[dt.date, float] | None = None,
) -> list[TradeRecord]:
    """Every entry (and re-entry) of ``spec`` over ``panel``, closed or skipped."""
    trades: list[TradeRecord] = []
    rows = [int(r) for r in entry_rows(panel, spec) if _expiry_ok(panel, spec, int(r))]
    for trade_id, row in enumerate(rows):
        start, attempt = row, 0
        while True:
            t = _run_one(panel, spec, execution, TradeRecord(trade_id, attempt, start),
                         exit_signal, settlement)  # fmt: skip
            trades.append(t)
            early = t.exit_reason in ("target", "stop_loss", "trailing", "legs_closed",
                                      "signal")  # fmt: skip
            if t.status != "closed" or not early or attempt >= spec.reentries:
                break
            if t.exit_row + 1 >= len(panel.times) or panel.day[t.exit_row + 1] != panel.day[start]:
                break
            start, attempt = t.exit_row + 1, attempt + 1
    return trades


def _expiry_ok(panel: ChainPanel, spec: OptionsStrategySpec, row: int) -> bool:
    """Whether the entry rule's days-to-expiry filter admits an entry at ``row``."""
    wanted = spec.entry.days_to_expiry
    if wanted is None:
        return True
    expiry = choose_expiry(panel, row, spec.legs[0])
    if isinstance(expiry, Refusal):
        return True  # entered, then refused with the reason on the trade
    return (expiry - pd.Timestamp(panel.day[row]).date()).days in wanted
