"""Per-group market inputs shared by the kernels: time to expiry, forward, strike vol.

Glossary: ``C``/``P`` call/put price, ``K`` strike, ``F`` forward, ``r`` continuously
compounded rate, ``T`` years to expiry, ``sigma`` volatility as a decimal.
"""

from __future__ import annotations

import warnings

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


#: A two-sided quote is "sane" (its mid is used) when ``ask - bid <= 25 %`` of the mid.
MAX_RELATIVE_SPREAD = 0.25
#: Codes of :func:`quote_price`'s choice (``PRICE_SOURCES[code]``).
PRICE_SOURCES = ("none", "mid", "ltp", "mid_wide")
#: Strikes nearest the money (least ``|C - P|``) whose parity forwards are medianed.
FORWARD_STRIKES = 5


def quote_price(grid: StrikeGrid, side: str) -> tuple[FloatArray, np.ndarray]:
    """Price of every contract of one side and the code of its source (cached).

    The mid where the quote is two-sided and its spread sane (``ask - bid`` at most
    :data:`MAX_RELATIVE_SPREAD` of the mid), else the last traded price, else (no trade)
    the mid of a wide two-sided quote; NaN where none exists. Codes index
    :data:`PRICE_SOURCES`.
    """
    key = f"quote_price:{side}"
    if key not in grid.cache:
        book = grid.ce if side == "CE" else grid.pe
        bid, ask, ltp = book["bid"], book["ask"], book["ltp"]
        two_sided = (bid > 0) & (ask >= bid)
        mid = 0.5 * (bid + ask)
        with np.errstate(invalid="ignore", divide="ignore"):
            sane = two_sided & ((ask - bid) <= MAX_RELATIVE_SPREAD * mid)
        traded = ltp > 0
        code = np.select([sane, traded, two_sided], [1, 2, 3], 0).astype(np.int8)
        price = np.select([code == 1, code == 2, code == 3], [mid, ltp, mid], np.nan)
        grid.cache[key] = (price, code)
    return grid.cache[key]


def option_price(grid: StrikeGrid, side: str) -> FloatArray:
    """Price used for every contract of one side (see :func:`quote_price`)."""
    return quote_price(grid, side)[0]


def parity_forward(grid: StrikeGrid, t: FloatArray, rate: float) -> FloatArray:
    """Forward of each group from put-call parity on the strikes nearest the money.

    Notes
    -----
    ``F = median(K_i + exp(rT) (C_i - P_i))`` over the :data:`FORWARD_STRIKES` strikes
    with the least ``|C - P|`` (the convention of
    :func:`optionsintel.pricing.implied_forward`; Hull, *Options, Futures and Other
    Derivatives*, put-call parity). Those strikes are closest to the forward, where
    parity is least sensitive to stale quotes, and the median keeps one bad quote from
    moving it. Falls back to the spot when no strike has both prices or the estimate is
    more than 10 % away from the spot (stale far-expiry quotes).
    """
    c, p = option_price(grid, "CE"), option_price(grid, "PE")
    diff = c - p
    # exact ties of |C - P| (flat quotes) go to the strikes nearest the spot
    near = 1e-12 * np.abs(grid.strike - grid.spot[grid.group])
    gap = np.where(np.isfinite(diff) & (grid.strike > 0), -np.abs(diff) - near, -np.inf)
    picks = grid.top_k(gap, FORWARD_STRIKES)
    ok = picks >= 0
    rows = np.maximum(picks, 0)
    valid = ok & np.isfinite(gap[rows])
    growth = np.exp(rate * t)[:, None]
    est = np.where(valid, grid.strike[rows] + growth * diff[rows], np.nan)
    with warnings.catch_warnings():  # all-NaN groups (no two-sided strike) are expected
        warnings.simplefilter("ignore", RuntimeWarning)
        fwd = np.nanmedian(est, axis=1) if est.size else np.full(grid.n_groups, np.nan)
    spot = grid.spot
    bad = ~np.isfinite(fwd) | (np.abs(fwd / spot - 1.0) > 0.10)
    return np.where(bad, spot, fwd)


def _argmin_per_group(grid: StrikeGrid, values: FloatArray) -> IntArray:
    """Row index of the least finite value in each group (-1 where none is finite)."""
    first = grid.first_min(values)
    return np.where(np.isfinite(values[first]), first, -1)


def own_iv(grid: StrikeGrid, rate: float) -> tuple[FloatArray, FloatArray]:
    """The platform's implied volatility (decimal) of every call and put row (cached).

    Black-76 on the group's parity forward (:func:`parity_forward`), the price of
    :func:`quote_price`, ``T`` to the 15:30 IST close (:func:`years_to_expiry`) and
    discounting at ``rate``; NaN where no volatility fits the price (see
    :class:`optionsintel.pricing.IVReason`).
    """
    key = f"own_iv:{rate!r}"
    if key not in grid.cache:
        from optionsintel.pricing import implied_volatility

        t, fwd = market(grid, rate)
        out = []
        for side in ("CE", "PE"):
            price = option_price(grid, side)
            out.append(
                np.asarray(
                    implied_volatility(
                        price, fwd[grid.group], grid.strike, t[grid.group], rate, side
                    ),
                    dtype=np.float64,
                )
            )
        grid.cache[key] = (out[0], out[1])
    return grid.cache[key]


def provider_iv(grid: StrikeGrid) -> tuple[FloatArray, FloatArray]:
    """The provider's IV (decimal) of every call and put row; zero ("not computed") is NaN."""
    nan = np.full(len(grid.strike), np.nan)
    ce, pe = grid.ce.get("iv", nan), grid.pe.get("iv", nan)
    return np.where(ce > 0, ce, np.nan) / 100.0, np.where(pe > 0, pe, np.nan) / 100.0


def strike_vol(grid: StrikeGrid, rate: float) -> FloatArray:
    """The platform's IV (decimal) per strike row, preferring the out-of-the-money side.

    Out-of-the-money options carry the information in a smile (their prices are all
    time value), so the call IV is used at ``K >= F`` and the put IV below, each
    falling back to the other side when missing. The IVs are :func:`own_iv`, never the
    provider's figure.
    """
    _, forward = market(grid, rate)
    ce_iv, pe_iv = own_iv(grid, rate)
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
