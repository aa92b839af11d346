"""Legs by relative rule at one instant: expiry as listed that day, strike by ATM/delta/premium.

Each selector returns the panel column of the chosen contract, or a :class:`Refusal`
naming why none can be chosen honestly (the expiry or strike is not in the stored chain,
no delta can be computed...). Nothing is interpolated or guessed.

ATM is ``round(spot / step) x step`` with the calendar's strike step of the day (the
chain's most common strike interval for symbols the calendar does not know); ``offset``
counts steps from it, so "ATM + 2" is a definite strike that may be missing from the
chain (refused, not replaced by a neighbour). Delta, when the chain stores none, is
Black-Scholes on the spot with the row's stored IV, or the IV implied from the row's
price (rate :data:`RATE`, calendar days to the 15:30 IST expiry / 365).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd

from optionsintel.backtest.options.chains import ChainPanel
from optionsintel.backtest.options.spec import LegRule
from optionsintel.calendar import listed_expiries, strike_step, years_to_expiry
from optionsintel.errors import CalendarError
from optionsintel.pricing import greeks, implied_volatility

__all__ = ["RATE", "Refusal", "choose_expiry", "choose_leg"]

#: Continuously compounded rate for deltas computed from prices.
RATE = 0.065


class Refusal(NamedTuple):
    """Why a leg could not be chosen or filled (recorded on the skipped trade)."""

    reason: str


def _day(panel: ChainPanel, row: int) -> dt.date:
    day: dt.date = panel.day[row].item()
    return day


@lru_cache(maxsize=4096)
def _listed(underlying: str, day: dt.date, kind: str) -> tuple[dt.date, ...] | str:
    try:
        listed = listed_expiries(underlying, day, kind)  # type: ignore[arg-type]
    except CalendarError as exc:
        return f"no expiry calendar for {underlying} on {day}: {exc}"
    return tuple(d.date() for d in listed if d.date() >= day)


@lru_cache(maxsize=4096)
def _calendar_step(underlying: str, day: dt.date) -> float | None:
    try:
        return float(strike_step(underlying, day))
    except CalendarError:
        return None


def choose_expiry(panel: ChainPanel, row: int, rule: LegRule) -> dt.date | Refusal:
    """The expiry a leg rule names on the instant's date (point-in-time listing)."""
    day = _day(panel, row)
    live = _listed(panel.underlying, day, "monthly" if rule.expiry == "monthly" else "all")
    if isinstance(live, str):
        return Refusal(live)
    if len(live) <= rule.expiry_index:
        return Refusal(f"fewer than {rule.expiry_index + 1} {rule.expiry} expiries listed {day}")
    return live[rule.expiry_index]


def _step(panel: ChainPanel, day: dt.date, strikes: np.ndarray) -> float:
    step = _calendar_step(panel.underlying, day)
    if step is not None:
        return step
    diffs = np.diff(np.unique(strikes))
    return float(pd.Series(diffs).mode().iloc[0]) if len(diffs) else float("nan")


def _candidates(panel: ChainPanel, row: int, expiry: dt.date, option_type: str) -> np.ndarray:
    cols = panel.columns_of(expiry, option_type)
    return cols[np.isfinite(panel.price[row, cols])]


def _deltas(panel: ChainPanel, row: int, cols: np.ndarray, expiry: dt.date, opt: str):
    stored = panel.delta[row, cols]
    if np.isfinite(stored).all():
        return np.abs(stored)
    spot = panel.spot[row]
    strikes = panel.strikes[cols]
    t = float(years_to_expiry(panel.times[row], expiry))
    if t <= 0:
        return np.full(len(cols), np.nan)
    vol = panel.iv[row, cols]
    missing = ~np.isfinite(vol)
    if missing.any():
        implied = implied_volatility(panel.price[row, cols], spot, strikes, t, RATE, opt,
                                     model="black_scholes")  # fmt: skip
        vol = np.where(missing, np.asarray(implied, float), vol)
    g = greeks(spot, strikes, t, RATE, vol, opt, model="black_scholes")
    computed = np.abs(np.asarray(g["delta"], float))
    return np.where(np.isfinite(stored), np.abs(stored), computed)


def choose_leg(panel: ChainPanel, row: int, rule: LegRule) -> tuple[int, dt.date] | Refusal:
    """Panel column and expiry of the contract a leg rule picks at instant ``row``."""
    expiry = choose_expiry(panel, row, rule)
    if isinstance(expiry, Refusal):
        return expiry
    cols = _candidates(panel, row, expiry, rule.option_type)
    if cols.size == 0:
        at = panel.local_time(row)
        return Refusal(f"expiry {expiry} {rule.option_type} not in the stored chain at {at}")
    strikes = panel.strikes
    if rule.strike == "atm":
        spot = panel.spot[row]
        if not np.isfinite(spot):
            return Refusal(f"no underlying price in the stored chain at {panel.local_time(row)}")
        step = _step(panel, _day(panel, row), strikes[cols])
        strike = round(spot / step) * step + rule.offset * step
        hit = cols[np.abs(strikes[cols] - strike) < 1e-6]
        if hit.size == 0:
            at = panel.local_time(row)
            return Refusal(
                f"strike {strike:g} {rule.option_type} {expiry} not in the stored chain at {at}"
            )
        return int(hit[0]), expiry
    if rule.strike == "premium":
        score = np.abs(panel.price[row, cols] - float(rule.target or 0.0))
    else:
        deltas = _deltas(panel, row, cols, expiry, rule.option_type)
        score = np.abs(deltas - float(rule.target or 0.0))
    if not np.isfinite(score).any():
        at = panel.local_time(row)
        return Refusal(f"no {rule.strike} computable for {expiry} {rule.option_type} at {at}")
    return int(cols[np.nanargmin(score)]), expiry
