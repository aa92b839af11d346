"""Implied-volatility surface of the synthetic indices: term structure times a skewed smile.

Glossary: ``T`` years to expiry, ``k = ln(K/F)`` log-moneyness, ``x = k / sqrt(T)``
time-scaled moneyness, ``v0`` short-end ATM volatility, ``theta`` long-run ATM variance.

Notes
-----
ATM term structure (expected average variance of a mean-reverting variance, as in
Heston 1993 / the VIX term-structure literature)::

    sigma_atm(T)^2 = theta + (v0^2 - theta) (1 - exp(-kappa T)) / (kappa T)

Smile, calibrated on the NSE chains (see :mod:`optionsintel.synthetic.calibration`)::

    sigma(k, T) = sigma_atm(T) * (1 + a x + b x^2 / sqrt(1 + (x / x_w)^2))

``a < 0`` gives the put skew of Indian indices, ``b > 0`` the smile, and beyond
``|x| ~ x_w`` the wings grow linearly in ``x`` (like SVI's asymptotes, Gatheral 2004).
The ratio stays above ``1 - a^2 / (4 b) > 0.98``. There is deliberately no cap: a flat
cap puts a concave kink in call prices (butterfly arbitrage); linear wings keep total
variance below Lee's (2004) ``2 |k|`` bound for ``|k| < 2 / (sigma_atm (b x_w - a))^2``,
far outside any listed strike. Scaling ``k`` by ``sqrt(T)`` keeps the skew of
weekly and quarterly expiries comparable, as observed. Inside the last day ``T`` in ``x``
is floored at one day, so total volatility ``sigma sqrt(T)`` goes to zero at expiry and
expiring options close at intrinsic value.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from optionsintel.synthetic import calibration as cal

FloatArray = npt.NDArray[np.float64]


def atm_volatility(
    time_to_expiry: FloatArray, short_vol: FloatArray | float, long_vol: float
) -> FloatArray:
    """ATM implied volatility per year for ``time_to_expiry`` (see module Notes)."""
    T = np.maximum(np.asarray(time_to_expiry, dtype=np.float64), 1e-8)
    kT = cal.VOL_TERM_KAPPA * T
    weight = -np.expm1(-kT) / kT
    theta = long_vol**2
    return np.sqrt(theta + (np.asarray(short_vol) ** 2 - theta) * weight)


def smile_ratio(log_moneyness: FloatArray, time_to_expiry: FloatArray) -> FloatArray:
    """Implied volatility relative to ATM at log-moneyness ``ln(K/F)`` (see module Notes)."""
    T = np.maximum(np.asarray(time_to_expiry, dtype=np.float64), cal.SMILE_MIN_YEARS)
    x = np.asarray(log_moneyness, dtype=np.float64) / np.sqrt(T)
    wing = np.sqrt(1.0 + (x / cal.SMILE_WING) ** 2)
    ratio = 1.0 + cal.SMILE_SLOPE * x + cal.SMILE_CURVATURE * x**2 / wing
    return ratio


def implied_volatility(
    log_moneyness: FloatArray, time_to_expiry: FloatArray, short_vol: FloatArray, long_vol: float
) -> FloatArray:
    """Surface volatility ``sigma_atm(T) * smile_ratio(k, T)`` per year."""
    return atm_volatility(time_to_expiry, short_vol, long_vol) * smile_ratio(
        log_moneyness, time_to_expiry
    )
