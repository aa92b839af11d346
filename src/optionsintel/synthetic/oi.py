"""Open interest and traded volume of synthetic option contracts.

Model (one expiry, one option type)
-----------------------------------
Option writers hold most of the open interest at out-of-the-money strikes, heaping it on
round strikes, around a *centre* that follows the index slowly::

    c_d      = (1 - alpha) c_{d-1} + alpha C_d            (EMA of closes, alpha = 0.6)
    x        = ln(K / c) / (sigma_L sqrt((tau + tau_w) / 365))
    g(x)     = exp(-(x - m)^2 / (2 s^2)),  s = 0.9 on the OTM side, 0.6 on the ITM side
    OI(K)    = L(tau) * g(x) * bump(K) * exp(n) * step / (c * width * 1.88)
    L(tau)   = oi_scale * monthly_boost / (1 + (tau / 4)^1.5)
    n        = 0.35 z_K + 0.12 z_{K,d}   (persistent + daily noise, seeded per contract)

with ``m = +0.7`` for calls (peak above spot) and ``m = -0.6`` for puts (below),
``bump = 2.6`` on multiples of ``round_strike`` and ``1.5`` on multiples of a fifth of
it. When the index moves, the centre follows and OI builds at the new OTM strikes
while it unwinds at the old ones; as expiry nears, ``L`` grows (and new expiries start
from zero OI).

Intraday, every parameter moves from its previous-close value (``f = 0``) to its
close value (``f = 1``) along the cumulative activity ``f`` of the day, and the centre
uses the current spot: ``c_j = (1 - alpha f_j) c_{d-1} + alpha f_j S_j``. So the first
tick shows the previous day's closing OI and the last tick equals the end-of-day OI.
``oi_change`` is relative to the previous trading day's close, as NSE publishes it.
OI and volume are in contracts (lots), NSE's unit, rounded to integers, >= 0.

Day volume per contract is ``OI_close * turnover(tau) * (0.3 + h)`` with
``turnover = 1 + 11 exp(-(tau - 1) / 3)`` (12x OI the day before expiry) and ``h`` a
Gaussian bump at the money; cumulative volume at a tick is ``f_j`` times that.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

from optionsintel.synthetic import calibration as cal
from optionsintel.synthetic.underlying import _seed_sequence, daily_path

FloatArray = npt.NDArray[np.float64]
_STRIKE_UNIT = 5.0
_PROFILE_AREA = np.sqrt(2 * np.pi) * (0.9 + 0.6) / 2


@lru_cache(maxsize=64)
def oi_centres(underlying: str, seed: int) -> FloatArray:
    """EMA of daily closes on the weekday grid of :func:`daily_path` (the OI centre)."""
    close = daily_path(underlying, seed).close
    a = cal.OI_CENTER_WEIGHT
    return lfilter([a], [1.0, -(1 - a)], close, zi=[(1 - a) * close[0]])[0]


@dataclass(frozen=True, eq=False)
class OIState:
    """Day-level OI parameters of a set of contracts (one value per contract).

    ``level`` is ``L(tau)`` times the strike normalisation, ``width`` the profile
    width in log-moneyness, ``log_noise`` the contract noise; ``listed`` is False for
    contracts whose expiry was not listed yet (their OI is zero).
    """

    level: FloatArray
    width: FloatArray
    log_noise: FloatArray
    listed: npt.NDArray[np.bool_]


def oi_state(
    underlying: str,
    seed: int,
    day_ordinal: int,
    days_to_expiry: FloatArray,
    expiry_ordinal: npt.NDArray[np.int64],
    strike: FloatArray,
    is_call: npt.NDArray[np.bool_],
    monthly: npt.NDArray[np.bool_],
    listed: npt.NDArray[np.bool_],
    step: float,
    centre: float,
) -> OIState:
    """Evaluate the day-level OI parameters for every contract (see module notes)."""
    p = cal.underlying_params(underlying)
    tau = np.maximum(days_to_expiry, 0.0)
    life = p.oi_scale / (1.0 + (tau / cal.OI_DECAY_DAYS) ** cal.OI_DECAY_POWER)
    life = life * np.where(monthly, cal.OI_MONTHLY_BOOST, 1.0)
    width = p.vol_long * p.implied_premium * np.sqrt((tau + cal.OI_WIDTH_DAYS) / 365.0)
    level = life * step / (centre * width * _PROFILE_AREA)
    noise = _contract_noise(seed, p.uid, expiry_ordinal, strike, is_call, day_ordinal)
    return OIState(level, width, noise, listed)


def _contract_noise(
    seed: int,
    uid: int,
    expiry_ordinal: npt.NDArray[np.int64],
    strike: FloatArray,
    is_call: npt.NDArray[np.bool_],
    day_ordinal: int,
) -> FloatArray:
    """Draw persistent plus daily log-noise, seeded by (expiry, day), indexed by strike."""
    out = np.empty(strike.size)
    idx = np.rint(strike / _STRIKE_UNIT).astype(np.int64) * 2 + is_call.astype(np.int64)
    for e in np.unique(expiry_ordinal):  # one draw per expiry (a handful), not per row
        sel = expiry_ordinal == e
        size = int(idx[sel].max()) + 1
        z_k = np.random.default_rng(_seed_sequence(seed, uid, int(e), 2)).standard_normal(size)
        z_d = np.random.default_rng(_seed_sequence(seed, uid, int(e), day_ordinal, 3))
        z_kd = z_d.standard_normal(size)
        out[sel] = cal.OI_CONTRACT_NOISE * z_k[idx[sel]] + cal.OI_DAY_NOISE * z_kd[idx[sel]]
    return out


def round_bump(strike: FloatArray, round_strike: float) -> FloatArray:
    """OI multiplier of writers' favourite strikes (multiples of round numbers)."""
    on_round = np.isclose(np.mod(strike, round_strike), 0.0)
    on_fifth = np.isclose(np.mod(strike, round_strike / 5), 0.0)
    return 1.0 + cal.OI_ROUND_BOOST * on_round + cal.OI_HALF_ROUND_BOOST * on_fifth


def writer_profile(
    log_moneyness: FloatArray, width: FloatArray, is_call: npt.NDArray[np.bool_]
) -> FloatArray:
    """Asymmetric Gaussian ``g(x)`` of the module notes, with a thin far tail."""
    x = log_moneyness / width
    shift = np.where(is_call, cal.OI_CE_SHIFT, cal.OI_PE_SHIFT)
    otm = np.where(is_call, x >= shift, x <= shift)
    s = np.where(otm, 0.9, 0.6)
    return np.exp(-0.5 * ((x - shift) / s) ** 2) + 0.01 * np.exp(-np.abs(x) / 3.0)


def open_interest(
    prev: OIState,
    close: OIState,
    activity: FloatArray,
    spot: FloatArray,
    prev_centre: float,
    strike: FloatArray,
    is_call: npt.NDArray[np.bool_],
    bump: FloatArray,
) -> FloatArray:
    """OI at each tick (rows) for each contract (columns), interpolated along ``activity``.

    ``activity`` and ``spot`` have one value per tick; the state arrays one per
    contract. Returns integers (as float) >= 0.
    """
    f = np.asarray(activity, dtype=np.float64)[:, None]
    a = cal.OI_CENTER_WEIGHT
    centre = (1 - a * f) * prev_centre + a * f * np.asarray(spot)[:, None]
    level = np.where(prev.listed, prev.level, 0.0) * (1 - f) + close.level * f
    width = prev.width * (1 - f) + close.width * f
    noise = prev.log_noise * (1 - f) + close.log_noise * f
    g = writer_profile(np.log(strike / centre), width, is_call)
    return np.rint(level * g * bump * np.exp(noise))


def eod_open_interest(
    state: OIState,
    centre: float,
    strike: FloatArray,
    is_call: npt.NDArray[np.bool_],
    bump: FloatArray,
) -> FloatArray:
    """End-of-day OI of each contract for a day-level state (zero if not listed)."""
    g = writer_profile(np.log(strike / centre), state.width, is_call)
    return np.where(state.listed, np.rint(state.level * g * bump * np.exp(state.log_noise)), 0.0)


def day_volume(
    oi_close: FloatArray, days_to_expiry: FloatArray, log_moneyness: FloatArray, width: FloatArray
) -> FloatArray:
    """Return the expected day volume (contracts) of each contract (see module notes)."""
    turnover = 1.0 + (cal.VOLUME_TURNOVER[0] - 1.0) * np.exp(
        -(np.maximum(days_to_expiry, 1.0) - 1.0) / cal.VOLUME_TURNOVER[1]
    )
    near = np.exp(-0.5 * (log_moneyness / (0.8 * width)) ** 2)
    return oi_close * turnover * (0.3 + near)
