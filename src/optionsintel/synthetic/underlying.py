"""Synthetic index paths: daily closes with stochastic volatility and jumps, 15-second ticks.

How determinism and chaining work
---------------------------------
1. *Daily path.* For each ``(underlying, seed)`` one daily path is drawn on every weekday
   of ``[PATH_START, PATH_END)`` (~6,800 days, a few milliseconds) from
   ``SeedSequence([seed, uid, 0])`` and cached. It reverts to a trend through
   ``anchor_level`` on ``ANCHOR_DATE`` (stationary deviation ~3.5 %). Closes therefore
   chain across days and any date can be looked up without replaying earlier ones;
   holidays' weekday returns simply become part of the next trading day's overnight gap.
2. *Intraday path.* Each trading day draws its 15-second path from
   ``SeedSequence([seed, uid, date_ordinal, 1])`` as a Brownian bridge (time-changed by a
   U-shaped activity profile) from that day's open to its close, so it depends only on
   ``(seed, underlying, date)``.

Daily model (discrete log-SV with leverage, Taylor 1986 / Harvey-Shephard 1996, plus
Merton 1976 jumps)::

    y_t      = phi y_{t-1} + eta_t,             corr(eta_t, eps_t) = rho < 0
    sigma_t  = sigma_bar exp(y_{t-1} - s_y^2 / 2)
    r_t      = sigma_t / sqrt(252) (sqrt(w) eps_on + sqrt(1-w) eps_id) - sigma_t^2/504 + J_t
    X_t      = exp(-kappa/252) X_{t-1} + r_t    (slow reversion to a 5 %/yr trend)
    ln C_t   = ln anchor + mu (t - t_anchor)/252 + X_t

The open is ``O_t = C_t exp(-u_t)`` with ``u_t`` the intraday diffusive part, so the
overnight gap carries the jumps and the share ``w`` of the diffusion.

Glossary: ``C`` close, ``O`` open, ``sigma`` annualised volatility, ``y`` log-vol
deviation, ``J`` jump, ``X`` detrended log level.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.signal import lfilter

from optionsintel.calendar import session_bounds, trading_days
from optionsintel.errors import CalendarError
from optionsintel.synthetic import calibration as cal

FloatArray = npt.NDArray[np.float64]
PROVIDER = "synthetic"


@dataclass(frozen=True, eq=False)
class DailyPath:
    """Weekday grid of one synthetic index (see module notes).

    Attributes
    ----------
    dates
        ``datetime64[D]`` weekdays.
    close
        Close on each weekday.
    intraday_return
        Diffusive log return from open to close (``ln C - ln O``).
    vol
        Annualised instantaneous volatility during the day.
    """

    dates: npt.NDArray[np.datetime64]
    close: FloatArray
    intraday_return: FloatArray
    vol: FloatArray

    def locate(self, dates: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """Positions of ``dates`` on the grid; raises for dates outside it or weekends."""
        d = np.asarray(dates, dtype="datetime64[D]")
        pos = np.searchsorted(self.dates, d)
        ok = (pos < self.dates.size) & (self.dates[np.minimum(pos, self.dates.size - 1)] == d)
        if not np.all(ok):
            raise CalendarError(
                f"dates {d[~ok][:3]} are outside the synthetic market's weekday grid "
                f"[{cal.PATH_START}, {cal.PATH_END}); pick trading days inside it"
            )
        return pos


def _seed_sequence(seed: int, *keys: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([int(seed) & 0xFFFFFFFF, *[int(k) for k in keys]])


@lru_cache(maxsize=64)
def daily_path(underlying: str, seed: int) -> DailyPath:
    """Return the cached daily path of ``underlying`` for ``seed`` (see module notes)."""
    p = cal.underlying_params(underlying)
    rng = np.random.default_rng(_seed_sequence(seed, p.uid, 0))
    dates = np.arange(cal.PATH_START, cal.PATH_END, dtype="datetime64[D]")
    dates = dates[np.is_busday(dates)]
    n = dates.size
    eps_on, eps_id, xi = rng.standard_normal((3, n))
    phi, s_y, rho = cal.LOGVOL_PERSISTENCE, cal.LOGVOL_STD, cal.LEVERAGE_RHO
    eta = s_y * np.sqrt(1 - phi**2) * (rho * eps_id + np.sqrt(1 - rho**2) * xi)
    y = lfilter([1.0], [1.0, -phi], eta, zi=[phi * s_y * rng.standard_normal()])[0]
    y_prev = np.concatenate([[y[0]], y[:-1]])
    vol = p.vol_long * np.exp(y_prev - 0.5 * s_y**2)
    sd = vol / np.sqrt(cal.TRADING_DAYS_PER_YEAR)
    w = cal.OVERNIGHT_VARIANCE_SHARE
    jumps = (rng.random(n) < cal.JUMP_INTENSITY / cal.TRADING_DAYS_PER_YEAR) * rng.normal(
        cal.JUMP_MEAN, cal.JUMP_STD, n
    )
    intraday = sd * np.sqrt(1 - w) * eps_id - 0.5 * (1 - w) * sd**2
    r = sd * np.sqrt(w) * eps_on - 0.5 * w * sd**2 + jumps + intraday
    x = lfilter([1.0], [1.0, -np.exp(-cal.LEVEL_REVERSION / cal.TRADING_DAYS_PER_YEAR)], r)
    t = np.arange(n) - np.searchsorted(dates, cal.ANCHOR_DATE)
    log_close = np.log(p.anchor_level) + cal.TREND_PER_YEAR * t / 252 + x
    return DailyPath(dates, np.exp(log_close), intraday, vol)


def _activity_weights(seconds_from_open: FloatArray, session_seconds: float) -> FloatArray:
    """U-shaped intraday activity (unnormalised) at the given times."""
    minutes = seconds_from_open / 60.0
    a, tau_a = cal.INTRADAY_OPEN_BOOST
    b, tau_b = cal.INTRADAY_CLOSE_BOOST
    return (
        1.0 + a * np.exp(-minutes / tau_a) + b * np.exp(-(session_seconds / 60.0 - minutes) / tau_b)
    )


@dataclass(frozen=True, eq=False)
class IntradayPath:
    """Ticks of one trading day of one index.

    Attributes
    ----------
    ts
        Tick times, ``datetime64[ns]`` UTC (naive values, UTC meaning).
    spot
        Index level at each tick (first = open, last = close).
    activity
        Cumulative share of the day's activity reached at each tick (0 at the open,
        1 at the close); drives volumes and intraday OI build-up.
    prev_close, vol
        Previous trading day's close and the day's annualised volatility.
    day_volume
        Traded volume of the index constituents over the day (shares), spread over
        the ticks by ``activity``.
    """

    ts: npt.NDArray[np.datetime64]
    spot: FloatArray
    activity: FloatArray
    prev_close: float
    vol: float
    day_volume: float


def _tick_times(day: dt.date, interval_seconds: int) -> tuple[npt.NDArray[np.datetime64], float]:
    open_utc, close_utc = session_bounds(day)
    length = (pd.Timestamp(close_utc) - pd.Timestamp(open_utc)).total_seconds()
    offsets = np.arange(0, length + 1e-9, interval_seconds)
    start = np.datetime64(pd.Timestamp(open_utc).tz_convert("UTC").tz_localize(None), "ns")
    return start + (offsets * 1e9).astype("timedelta64[ns]"), length


def intraday_path(underlying: str, day: dt.date, seed: int) -> IntradayPath:
    """Return the 15-second path of ``underlying`` on trading day ``day``.

    Raises
    ------
    CalendarError
        If ``day`` is not an NSE trading day (or outside the simulated range).

    Notes
    -----
    Brownian bridge in log price with a time change ``W(t)`` proportional to the
    cumulative U-shaped activity: with ``B`` the cumulated increments
    ``sqrt(dW_j) z_j``, ``ln S_j = ln O + u W_j/W + B_j - (W_j/W) B_n`` where ``u`` is the
    day's intraday return, so the path starts at the open and ends exactly at the close.
    """
    day = pd.Timestamp(day).date()
    _require_trading_day(day)
    return _intraday(underlying, day, _previous_trading_day(day), seed)


def _intraday(underlying: str, day: dt.date, prev_day: dt.date, seed: int) -> IntradayPath:
    p = cal.underlying_params(underlying)
    path = daily_path(underlying, seed)
    i, prev_i = (
        int(k) for k in path.locate([np.datetime64(day, "D"), np.datetime64(prev_day, "D")])
    )
    ts, length = _tick_times(day, cal.BASE_INTERVAL_SECONDS)
    offsets = np.arange(ts.size, dtype=np.float64) * cal.BASE_INTERVAL_SECONDS
    dw = _activity_weights(offsets[1:] - 0.5 * cal.BASE_INTERVAL_SECONDS, length)
    cum = np.concatenate([[0.0], np.cumsum(dw)]) / dw.sum()
    rng = np.random.default_rng(_seed_sequence(seed, p.uid, day.toordinal(), 1))
    sd_day = path.vol[i] * np.sqrt((1 - cal.OVERNIGHT_VARIANCE_SHARE) / 252)
    b = np.concatenate([[0.0], np.cumsum(np.sqrt(np.diff(cum)) * rng.standard_normal(dw.size))])
    u = path.intraday_return[i]
    log_s = np.log(path.close[i]) - u + u * cum + sd_day * (b - cum * b[-1])
    spot = np.exp(log_s)
    spot[-1] = path.close[i]
    volume = p.quote_volume * np.exp(0.25 * rng.standard_normal()) * (1 + 0.3 * abs(u) / sd_day)
    return IntradayPath(ts, spot, cum, float(path.close[prev_i]), float(path.vol[i]), volume)


def _previous_trading_day(day: dt.date) -> dt.date:
    days = trading_days(day - dt.timedelta(days=15), day - dt.timedelta(days=1))
    if len(days) == 0:
        raise CalendarError(f"no trading day in the 15 days before {day}")
    return pd.Timestamp(days[-1]).date()


def _require_trading_day(day: dt.date) -> None:
    days = trading_days(day, day)
    if len(days) == 0:
        raise CalendarError(
            f"{day} is not an NSE trading day; synthetic data exists only for trading days "
            "(see optionsintel.calendar.trading_days)"
        )
