"""Per-group market inputs shared by the kernels: time to expiry, forward, strike vol.

Glossary: ``C``/``P`` call/put price, ``K`` strike, ``F`` forward, ``r`` continuously
compounded rate, ``T`` years to expiry, ``sigma`` volatility as a decimal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optionsintel.chain._grid import FloatArray, IntArray, StrikeGrid


def years_to_expiry(grid: StrikeGrid) -> FloatArray:
    """Years from each group's snapshot to its expiry (NSE calendar, calendar-day basis).

    Delegates to :func:`optionsintel.calendar.years_to_expiry`, which knows the expiry
    time of day (15:30 IST); negative values (expired) are clipped to 0.
    """
    if "t" in grid.cache:
        return grid.cache["t"]
    ts = pd.DatetimeIndex(grid.keys["snapshot_ts"])
    exp = pd.DatetimeIndex(grid.keys["expiry"]).to_numpy().astype("datetime64[D]")
    t = np.clip(years_to_expiry_pairs(ts, exp), 0.0, None)
    grid.cache["t"] = t
    return t


def years_to_expiry_pairs(ts: pd.DatetimeIndex, expiry: np.ndarray) -> FloatArray:
    """:func:`optionsintel.calendar.years_to_expiry` (calendar basis) of each pair.

    Evaluated once per distinct (snapshot, expiry) pair: many underlyings share the
    same snapshot time and expiry dates.
    """
    from optionsintel.calendar import years_to_expiry as _yte

    pairs = np.stack([ts.asi8, expiry.astype("datetime64[D]").astype(np.int64)], axis=1)
    _, first, inverse = np.unique(pairs, axis=0, return_index=True, return_inverse=True)
    t = np.asarray(_yte(ts[first], expiry[first], basis="calendar"), dtype=np.float64)
    return np.broadcast_to(t, (len(first),)).astype(np.float64)[inverse.ravel()]


def market(grid: StrikeGrid, rate: float) -> tuple[FloatArray, FloatArray]:
    """``(T, F)`` per group: years to expiry and the parity forward (cached on the grid)."""
    key = f"fwd:{rate!r}"
    t = years_to_expiry(grid)
    if key not in grid.cache:
        grid.cache[key] = parity_forward(grid, t, rate)
    return t, grid.cache[key]


def option_price(grid: StrikeGrid, side: str) -> FloatArray:
    """Mid price where a sane two-sided quote exists, else the last traded price."""
    book = grid.ce if side == "CE" else grid.pe
    bid, ask, ltp = book["bid"], book["ask"], book["ltp"]
    two_sided = (bid > 0) & (ask >= bid)
    price = np.where(two_sided, 0.5 * (bid + ask), ltp)
    return np.where(price > 0, price, np.nan)


def parity_forward(grid: StrikeGrid, t: FloatArray, rate: float) -> FloatArray:
    """Forward of each group from put-call parity at the strike where ``|C - P|`` is least.

    Notes
    -----
    ``F = K + exp(rT) (C - P)`` (Hull, *Options, Futures and Other Derivatives*, put-call
    parity for European options on a forward). The strike with the smallest ``|C - P|``
    is the one closest to the forward, where the parity estimate is least sensitive
    to stale quotes. Falls back to the spot when no strike has both prices or the
    estimate is more than 10 % away from the spot (stale far-expiry quotes).
    """
    c, p = option_price(grid, "CE"), option_price(grid, "PE")
    gap = np.abs(c - p)
    gap = np.where(np.isfinite(gap), gap, np.inf)
    best = _argmin_per_group(grid, gap)
    spot = grid.spot
    ok = best >= 0
    fwd = spot.copy()
    idx = best[ok]
    growth = np.exp(rate * t[ok])
    fwd[ok] = grid.strike[idx] + growth * (c[idx] - p[idx])
    bad = ~np.isfinite(fwd) | (np.abs(fwd / spot - 1.0) > 0.10)
    return np.where(bad, spot, fwd)


def _argmin_per_group(grid: StrikeGrid, values: FloatArray) -> IntArray:
    """Row index of the least finite value in each group (-1 where none is finite)."""
    first = grid.first_min(values)
    return np.where(np.isfinite(values[first]), first, -1)


def strike_vol(grid: StrikeGrid, forward: FloatArray) -> FloatArray:
    """Implied volatility (decimal) per strike row, preferring the out-of-the-money side.

    Out-of-the-money options carry the information in a smile (their prices are all
    time value), so the call IV is used at ``K >= F`` and the put IV below, each
    falling back to the other side when missing. Chain IVs are in percent; zero or
    negative values mean "not computed" and are ignored.
    """
    ce_iv, pe_iv = grid.side("iv")
    ce_iv = np.where(ce_iv > 0, ce_iv, np.nan) / 100.0
    pe_iv = np.where(pe_iv > 0, pe_iv, np.nan) / 100.0
    otm_call = grid.strike >= forward[grid.group]
    first = np.where(otm_call, ce_iv, pe_iv)
    second = np.where(otm_call, pe_iv, ce_iv)
    return np.where(np.isfinite(first), first, second)


def atm_rows(grid: StrikeGrid, level: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Strike rows bracketing ``level`` in every group and the interpolation weight.

    Returns ``lo, hi, w`` such that ``K[lo] <= level <= K[hi]`` and
    ``x(level) ~ (1 - w) x[lo] + w x[hi]``; at the edges ``lo == hi`` and ``w == 0``.
    """
    below = grid.strike <= level[grid.group]
    lo = grid.last_true(below)
    ends = np.append(grid.starts[1:], len(grid.strike)) - 1
    lo = np.where(lo < 0, grid.starts, lo)
    hi = np.minimum(lo + 1, ends)
    hi = np.where(grid.strike[lo] >= level, lo, hi)
    span = grid.strike[hi] - grid.strike[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(span > 0, (level - grid.strike[lo]) / span, 0.0)
    return lo, hi, np.clip(w, 0.0, 1.0)


def nearest_row(grid: StrikeGrid, level: FloatArray) -> IntArray:
    """Strike row nearest ``level`` in every group (the lower one on a tie)."""
    lo, hi, w = atm_rows(grid, level)
    return np.where(w > 0.5, hi, lo)


def window_mask(
    grid: StrikeGrid, window_strikes: int | None, window_pct: float | None
) -> np.ndarray:
    """Strike rows in the near-the-money window around each group's spot.

    ``window_strikes`` keeps the strike nearest the spot and that many listed strikes
    on either side; otherwise ``window_pct`` keeps ``|K / S - 1| <= window_pct / 100``;
    with both ``None`` every strike is kept.
    """
    if window_strikes is not None:
        pos = np.arange(len(grid.strike)) - grid.starts[grid.group]
        atm = nearest_row(grid, grid.spot) - grid.starts
        return np.abs(pos - atm[grid.group]) <= window_strikes
    if window_pct is not None:
        return np.abs(grid.strike / grid.spot[grid.group] - 1.0) <= window_pct / 100.0
    return np.ones(len(grid.strike), dtype=bool)
