"""Implied-volatility analytics: ATM IV, smile, term structure, 30-day constant maturity.

Every IV here is the platform's own (:func:`chain_iv`): Black-76 on the parity forward of
each expiry, from the mid when the spread is sane else the LTP, ``T`` to the 15:30 IST
close. A provider's ``iv`` column is never used by an analytic; it is reported beside
ours as ``provider_iv``. Volatilities in outputs are in percent (as NSE publishes
them); kernels use decimals.
Glossary: ``F`` forward (put-call parity), ``K`` strike, ``T`` years to expiry,
``w = sigma^2 T`` total implied variance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optionsintel.chain._grid import FloatArray, StrikeGrid, build_grid, group_frame
from optionsintel.chain._market import (
    PRICE_SOURCES,
    atm_rows,
    market,
    nearest_row,
    option_price,
    own_iv,
    provider_iv,
    quote_price,
    strike_vol,
)

DEFAULT_RATE = 0.065
_SQRT_PI_OVER_2 = float(np.sqrt(np.pi / 2.0))


def _atm_iv_arrays(grid: StrikeGrid, rate: float) -> FloatArray:
    """ATM IV (decimal) per group: strike vol interpolated linearly in strike at ``F``."""
    _, fwd = market(grid, rate)
    vol = strike_vol(grid, rate)
    lo, hi, w = atm_rows(grid, fwd)
    v_lo, v_hi = vol[lo], vol[hi]
    both = (1.0 - w) * v_lo + w * v_hi
    return np.where(np.isfinite(both), both, np.where(np.isfinite(v_lo), v_lo, v_hi))


def _atm_cols(grid: StrikeGrid, rate: float) -> dict[str, FloatArray]:
    t, fwd = market(grid, rate)
    return {
        "spot": grid.spot,
        "forward": fwd,
        "time_to_expiry": t,
        "days_to_expiry": t * 365.0,
        "atm_strike": grid.strike[nearest_row(grid, fwd)],
        "atm_iv": _atm_iv_arrays(grid, rate) * 100.0,
    }


def atm_iv(chain: pd.DataFrame, *, rate: float = DEFAULT_RATE) -> pd.DataFrame:
    """At-the-money implied volatility of every expiry.

    Returns
    -------
    pandas.DataFrame
        Keys, ``provider, spot, forward, time_to_expiry`` (years), ``days_to_expiry``,
        ``atm_strike`` (listed strike nearest the forward) and ``atm_iv`` (percent).

    Notes
    -----
    The forward is the median parity forward ``K + e^{rT}(C - P)`` of the five strikes
    with the least ``|C - P|``. The ATM IV is the out-of-the-money-side own IV (calls at
    ``K >= F``, puts below) interpolated linearly in strike between the two listed
    strikes bracketing ``F``; where one side is missing the other is used.
    """
    grid = build_grid(chain)
    return group_frame(grid, _atm_cols(grid, rate))


def iv_smile(chain: pd.DataFrame, *, rate: float = DEFAULT_RATE) -> pd.DataFrame:
    """Implied volatility against moneyness for every strike of every expiry.

    Returns
    -------
    pandas.DataFrame
        One row per strike: keys, ``strike, forward, time_to_expiry, moneyness = K/F,
        log_moneyness = ln(K/F)``, ``iv`` (out-of-the-money side, percent; NaN when
        neither side has an IV), ``call_iv``, ``put_iv`` (our IVs, percent, NaN if none
        fits) and ``provider_call_iv``, ``provider_put_iv`` (the provider's figures,
        percent, NaN where it gave none; never used in a computation).
    """
    grid = build_grid(chain)
    t, fwd = market(grid, rate)
    f_row = fwd[grid.group]
    ce, pe = own_iv(grid, rate)
    p_ce, p_pe = provider_iv(grid)
    return grid.frame(
        forward=f_row,
        time_to_expiry=t[grid.group],
        moneyness=grid.strike / f_row,
        log_moneyness=np.log(grid.strike / f_row),
        iv=strike_vol(grid, rate) * 100.0,
        call_iv=ce * 100.0,
        put_iv=pe * 100.0,
        provider_call_iv=p_ce * 100.0,
        provider_put_iv=p_pe * 100.0,
    )


def chain_iv(chain: pd.DataFrame, *, rate: float = DEFAULT_RATE) -> pd.DataFrame:
    """The platform's implied volatility and Black-76 greeks of every contract.

    Parameters
    ----------
    chain
        Canonical option-chain frame (any underlyings, snapshots, expiries).
    rate
        Continuous rate for discounting and the parity forward.

    Returns
    -------
    pandas.DataFrame
        One row per listed contract: keys, ``strike, option_type``, ``price`` (the
        price inverted), ``price_source`` (``"mid"``: sane two-sided quote; ``"ltp"``;
        ``"mid_wide"``: no trade, wide quote; ``"none"``), ``forward``,
        ``time_to_expiry`` (years to 15:30 IST of the expiry), ``iv`` (ours, percent),
        ``provider_iv`` (the provider's, percent, NaN where absent or zero) and
        ``delta, gamma`` (w.r.t. the forward), ``vega`` (per volatility point) and
        ``theta`` (per calendar day): Black-76 at our IV (:func:`optionsintel.pricing.greeks`).

    Notes
    -----
    Convention (docs/signals.md, "IV"): Black-76 on the forward implied by put-call
    parity, ``F = median(K + e^{rT}(C - P))`` over the five strikes nearest the money;
    the mid is used when ``ask - bid <= 25 %`` of it, else the LTP; time to expiry is
    ACT/365 to the 15:30 IST close. Where no volatility reproduces the price (below
    intrinsic, stale quotes) ``iv`` is NaN.
    """
    from optionsintel.pricing import greeks

    grid = build_grid(chain)
    t, fwd = market(grid, rate)
    parts = []
    for k, side in enumerate(("CE", "PE")):
        listed = np.isfinite(grid.side("oi")[k]) | np.isfinite(grid.side("ltp")[k])
        price, code = quote_price(grid, side)
        iv = own_iv(grid, rate)[k]
        part = grid.frame(
            option_type=side,
            price=price,
            price_source=np.asarray(PRICE_SOURCES, dtype=object)[code],
            forward=fwd[grid.group],
            time_to_expiry=t[grid.group],
            iv=iv * 100.0,
            provider_iv=provider_iv(grid)[k] * 100.0,
        )[listed]
        g = greeks(part["forward"].to_numpy(), part["strike"].to_numpy(),
                   part["time_to_expiry"].to_numpy(), rate,
                   np.nan_to_num(part["iv"].to_numpy() / 100.0, nan=0.0), side)  # fmt: skip
        for col, src in (("delta", "delta"), ("gamma", "gamma"), ("vega", "vega_pct"),
                         ("theta", "theta_per_day")):  # fmt: skip
            part[col] = np.where(part["iv"].notna(), np.asarray(g[src]), np.nan)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _snapshot_starts_of(frame: pd.DataFrame) -> np.ndarray:
    u = frame["underlying"].to_numpy(dtype=object)
    ts = frame["snapshot_ts"].to_numpy()
    new = np.ones(len(frame), dtype=bool)
    new[1:] = (u[1:] != u[:-1]) | (ts[1:] != ts[:-1])
    return np.flatnonzero(new)


def iv_term_structure(chain: pd.DataFrame, *, rate: float = DEFAULT_RATE) -> pd.DataFrame:
    """ATM IV across expiries, with total variance and forward volatilities.

    Returns
    -------
    pandas.DataFrame
        :func:`atm_iv` columns plus ``total_variance = sigma^2 T`` and ``forward_iv``
        (percent): the volatility implied between the previous listed expiry and this
        one, ``sqrt((w_i - w_{i-1}) / (T_i - T_{i-1}))`` (NaN for the first expiry or
        when the variance falls, a calendar arbitrage in the quotes).
    """
    out = atm_iv(chain, rate=rate)
    sig = out["atm_iv"].to_numpy() / 100.0
    t = out["time_to_expiry"].to_numpy()
    w = sig * sig * t
    out["total_variance"] = w
    first = np.zeros(len(out), dtype=bool)
    first[_snapshot_starts_of(out)] = True
    dw = np.diff(w, prepend=np.nan)
    dt = np.diff(t, prepend=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        fwd_var = np.where(~first & (dt > 0) & (dw >= 0), dw / dt, np.nan)
    out["forward_iv"] = np.sqrt(fwd_var) * 100.0
    return out


def constant_maturity_iv(
    chain: pd.DataFrame,
    *,
    days: float = 30.0,
    min_days: float = 1.0,
    rate: float = DEFAULT_RATE,
) -> pd.DataFrame:
    """Constant-maturity ATM IV (e.g. 30-day) of every snapshot.

    Parameters
    ----------
    chain
        One or many snapshots (a history of snapshots yields a series).
    days
        Target tenor in calendar days.
    min_days
        Expiries closer than this are ignored (expiry-day IVs are noise).
    rate
        Rate for the parity forward.

    Returns
    -------
    pandas.DataFrame
        One row per (underlying, snapshot_ts): ``provider``, ``cm_iv`` (percent),
        ``near_expiry``, ``next_expiry`` (the bracketing expiries used), ``near_iv``,
        ``next_iv`` and ``method`` (``"interpolated"``, or ``"flat"`` when the target lies
        outside the listed tenors and the nearest ATM IV is carried flat).

    Notes
    -----
    Linear interpolation of total variance in time, as for the VIX (Cboe VIX white
    paper; NSE's India VIX methodology): with ``w_i = sigma_i^2 T_i`` and
    ``T_1 <= tau <= T_2``, ``w(tau) = w_1 + (w_2 - w_1)(tau - T_1)/(T_2 - T_1)`` and
    ``sigma(tau) = sqrt(w(tau) / tau)``.
    """
    atm = atm_iv(chain, rate=rate)
    tau = days / 365.0
    t = atm["time_to_expiry"].to_numpy()
    sig = atm["atm_iv"].to_numpy() / 100.0
    ok = np.isfinite(sig) & (t * 365.0 >= min_days)
    snap = _snapshot_starts_of(atm)
    idx = np.arange(len(atm))
    lo = np.maximum.reduceat(np.where(ok & (t <= tau), idx, -1), snap)
    hi = np.minimum.reduceat(np.where(ok & (t >= tau), idx, len(atm)), snap)
    has_lo, has_hi = lo >= 0, hi < len(atm)
    lo_, hi_ = np.where(has_lo, lo, 0), np.where(has_hi, hi, 0)
    w1, w2 = sig[lo_] ** 2 * t[lo_], sig[hi_] ** 2 * t[hi_]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(t[hi_] > t[lo_], (tau - t[lo_]) / (t[hi_] - t[lo_]), 0.0)
        interp = np.sqrt(np.maximum(w1 + (w2 - w1) * frac, 0.0) / tau)
    cm = np.select([has_lo & has_hi, has_hi, has_lo], [interp, sig[hi_], sig[lo_]], np.nan)
    out = atm.iloc[snap][["underlying", "snapshot_ts", "provider"]].reset_index(drop=True)
    out["cm_iv"] = cm * 100.0
    out["near_expiry"] = np.where(has_lo, atm["expiry"].to_numpy()[lo_], np.datetime64("NaT"))
    out["next_expiry"] = np.where(has_hi, atm["expiry"].to_numpy()[hi_], np.datetime64("NaT"))
    out["near_iv"] = np.where(has_lo, sig[lo_] * 100.0, np.nan)
    out["next_iv"] = np.where(has_hi, sig[hi_] * 100.0, np.nan)
    out["method"] = np.where(has_lo & has_hi, "interpolated", np.where(has_lo | has_hi, "flat", ""))
    return out


def _straddle_cols(grid: StrikeGrid, rate: float) -> dict[str, FloatArray]:
    t, fwd = market(grid, rate)
    c, p = option_price(grid, "CE"), option_price(grid, "PE")
    dist = np.abs(grid.strike - fwd[grid.group])
    dist = np.where(np.isfinite(c) & np.isfinite(p), dist, np.inf)
    best = grid.first_min(dist)  # strikes ascend, so ties go to the lowest strike
    found = np.isfinite(dist[best])
    straddle = np.where(found, c[best] + p[best], np.nan)
    mean_abs = straddle * np.exp(rate * t)
    em = mean_abs * _SQRT_PI_OVER_2
    with np.errstate(invalid="ignore", divide="ignore"):
        iv = np.where(t > 0, em / (fwd * np.sqrt(t)), np.nan) * 100.0
    return {
        "spot": grid.spot,
        "forward": fwd,
        "time_to_expiry": t,
        "atm_strike": np.where(found, grid.strike[best], np.nan),
        "call_price": np.where(found, c[best], np.nan),
        "put_price": np.where(found, p[best], np.nan),
        "straddle": straddle,
        "mean_abs_move": mean_abs,
        "expected_move": em,
        "expected_move_pct": em / fwd * 100.0,
        "lower": fwd - em,
        "upper": fwd + em,
        "straddle_iv": iv,
    }


def straddle_expected_move(chain: pd.DataFrame, *, rate: float = DEFAULT_RATE) -> pd.DataFrame:
    """ATM straddle premium and the move it implies by expiry.

    Returns
    -------
    pandas.DataFrame
        Keys, ``provider, spot, forward, time_to_expiry, atm_strike`` (listed strike
        nearest the forward with both a call and a put price), ``call_price,
        put_price, straddle``; ``mean_abs_move = straddle e^{rT}``; ``expected_move``
        (one standard deviation, points), ``expected_move_pct``, ``lower/upper =
        F -/+ expected_move`` and ``straddle_iv`` (percent) implied by the straddle.

    Notes
    -----
    Convention: under Black-76 the at-the-forward straddle is worth
    ``e^{-rT} F sigma sqrt(T) sqrt(2/pi) ~ 0.798 e^{-rT} sigma sqrt(T) F`` (Brenner &
    Subrahmanyam 1988 approximation). Its undiscounted value is the expected *absolute*
    move ``E|F_T - F|``; the one-standard-deviation move ``sigma sqrt(T) F`` is that
    times ``sqrt(pi/2) ~ 1.2533``. Prices are bid/ask mids when quoted, else LTP.

    Examples
    --------
    A 30-day straddle at F = 25000 with sigma = 12 %: ``0.798 x 0.12 x sqrt(30/365) x
    25000 ~ 686`` points, so the 1-sd move is about 860 points (3.4 %).
    """
    grid = build_grid(chain)
    return group_frame(grid, _straddle_cols(grid, rate))


def _rolling_frame(history: pd.Series | pd.DataFrame) -> pd.DataFrame:
    if isinstance(history, pd.Series):
        return history.to_frame()
    if isinstance(history, pd.DataFrame):
        return history
    raise TypeError("history must be a pandas Series or a wide DataFrame (time x underlying)")


def iv_rank(
    history: pd.Series | pd.DataFrame, *, window: int = 252, min_periods: int = 20
) -> pd.Series | pd.DataFrame:
    """IV rank: where the latest IV sits between the window's low and high, 0-100.

    Parameters
    ----------
    history
        IV series (time-ordered index) or a wide frame (time x underlying), e.g. the
        pivoted :func:`constant_maturity_iv`.
    window
        Observations in the trailing window, the current one included (252 ~ a year
        of daily closes).
    min_periods
        Fewer valid observations give NaN.

    Returns
    -------
    Same shape as ``history``.

    Notes
    -----
    ``rank = 100 (iv - min) / (max - min)`` over the window (NaN when ``max == min``).
    """
    frame = _rolling_frame(history)
    roll = frame.rolling(window, min_periods=min_periods)
    lo, hi = roll.min(), roll.max()
    rank = (100.0 * (frame - lo) / (hi - lo)).where(hi > lo)
    return rank.iloc[:, 0].rename(history.name) if isinstance(history, pd.Series) else rank


def iv_percentile(
    history: pd.Series | pd.DataFrame, *, window: int = 252, min_periods: int = 20
) -> pd.Series | pd.DataFrame:
    """IV percentile: share of the window's earlier observations below the latest, 0-100.

    Parameters are as for :func:`iv_rank`.

    Notes
    -----
    ``percentile = 100 #{j in window, j < t : iv_j < iv_t} / #{j in window, j < t}``;
    computed with pandas' rolling rank (method ``"min"``: ``rank - 1`` earlier values
    lie strictly below).
    """
    frame = _rolling_frame(history)
    roll = frame.rolling(window, min_periods=min_periods)
    below = roll.rank(method="min") - 1.0
    count = roll.count() - 1.0
    pct = (100.0 * below / count).where(count > 0)
    return pct.iloc[:, 0].rename(history.name) if isinstance(history, pd.Series) else pct
