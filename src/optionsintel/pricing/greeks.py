r"""Analytic greeks of Black-76 and Black-Scholes-Merton European options.

Glossary (kernel symbols)
-------------------------
``S`` underlying (forward ``F`` for Black-76, spot for Black-Scholes), ``K`` strike,
``T`` years to expiry, ``r`` rate, ``q`` dividend yield (Black-76 is the
Black-Scholes-Merton model with ``q = r`` on the forward), ``sigma`` volatility,
``theta`` option sign (+1 call, -1 put), ``N``/``n`` normal cdf/pdf.

Units: ``vega`` per 1.00 of volatility, ``vega_pct`` per 1 volatility point (0.01),
``theta_per_year`` per year, ``theta_per_day`` per calendar day (/365), ``rho`` per
1.00 of rate. Black-76 ``delta``/``gamma`` are with respect to the forward and its
``rho`` holds the forward fixed (``-T V``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr

from optionsintel._typing import ArrayLike
from optionsintel.pricing._inputs import (
    FloatArray,
    PricingInputError,
    as_arrays,
    require_non_negative,
)
from optionsintel.pricing.implied_vol import PricingModel

__all__ = ["GREEK_COLUMNS", "greeks"]

GREEK_COLUMNS: tuple[str, ...] = (
    "delta", "gamma", "vega", "vega_pct", "theta_per_year", "theta_per_day", "rho",
)  # fmt: skip

_DAYS_PER_YEAR = 365.0
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def _greeks_kernel(
    S: FloatArray, K: FloatArray, T: FloatArray, r: FloatArray, q: FloatArray,
    sigma: FloatArray, theta: FloatArray, black76: bool,
) -> dict[str, FloatArray]:  # fmt: skip
    sqrt_T = np.sqrt(T)
    total_vol = sigma * sqrt_T
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(S / K) + (r - q) * T) / total_vol + 0.5 * total_vol
        d2 = d1 - total_vol
        undefined = ~(total_vol > 0.0)  # zero volatility or expired: greeks undefined
        d1 = np.where(undefined, np.nan, d1)
        d2 = np.where(undefined, np.nan, d2)
        rate_df = np.exp(-r * T)
        carry_df = rate_df if black76 else np.exp(-q * T)  # Black-76: q = r, same values
        pdf = _INV_SQRT_2PI * np.exp(-0.5 * d1 * d1)
        n_d1, n_d2 = ndtr(theta * d1), ndtr(theta * d2)
        price = theta * (S * carry_df * n_d1 - K * rate_df * n_d2)
        vega = S * carry_df * pdf * sqrt_T
        theta_year = (
            -S * carry_df * pdf * sigma / (2.0 * sqrt_T)
            - theta * r * K * rate_df * n_d2
            + theta * q * S * carry_df * n_d1
        )
        rho = -T * price if black76 else theta * K * T * rate_df * n_d2
        return {
            "delta": theta * carry_df * n_d1,
            "gamma": carry_df * pdf / (S * total_vol),
            "vega": vega,
            "vega_pct": 0.01 * vega,
            "theta_per_year": theta_year,
            "theta_per_day": theta_year / _DAYS_PER_YEAR,
            "rho": rho,
        }


#: Options per block: the kernel's ~30 temporaries of a block stay in the CPU cache
#: (benchmarks/bench_greeks.py: ~25 % faster than whole-array NumPy at 1M options, and
#: faster than a fused numba loop, whose scalar exp/log/erf lack NumPy's SIMD versions).
_BLOCK = 8192


def _greeks_blocked(
    S: FloatArray, K: FloatArray, T: FloatArray, r: FloatArray, q: FloatArray,
    sigma: FloatArray, theta: FloatArray, black76: bool,
) -> FloatArray:  # fmt: skip
    """:func:`_greeks_kernel` block by block into one (7, n) array (rows GREEK_COLUMNS).

    Element-wise maths, so the result is bit for bit the whole-array one.
    """
    n = S.shape[0]
    out = np.empty((len(GREEK_COLUMNS), n), dtype=np.float64)
    for start in range(0, n, _BLOCK):
        part = slice(start, start + _BLOCK)
        values = _greeks_kernel(
            S[part], K[part], T[part], r[part], q[part], sigma[part], theta[part], black76
        )
        for row, name in enumerate(GREEK_COLUMNS):
            out[row, part] = values[name]
    return out


def greeks(
    forward_or_spot: ArrayLike,
    strike: ArrayLike,
    time_to_expiry: ArrayLike,
    rate: ArrayLike,
    volatility: ArrayLike,
    option_type: object,
    model: PricingModel = "black76",
    dividend_yield: ArrayLike = 0.0,
) -> pd.DataFrame | dict[str, float]:
    r"""Delta, gamma, vega, theta and rho of European options.

    Parameters
    ----------
    forward_or_spot
        Forward (futures) price for ``model="black76"``, spot for ``"black_scholes"``.
    strike, time_to_expiry, rate, volatility
        Strike, years to expiry (> 0 for finite greeks), continuous rate, volatility.
    option_type
        ``"CE"``/``"PE"`` (also ``"call"``/``"put"``, ``"c"``/``"p"``, +1/-1).
    model
        ``"black76"`` (default) or ``"black_scholes"``.
    dividend_yield
        Continuous dividend yield; only for ``"black_scholes"``.

    Returns
    -------
    DataFrame or dict
        Columns :data:`GREEK_COLUMNS` (units in the module docstring). Array or
        Series input gives a frame (Series index kept); scalar input a dict of
        floats. Rows with zero total volatility (``T = 0`` or ``sigma = 0``) are NaN.

    Raises
    ------
    PricingInputError
        Unknown model or option type, non-positive prices, negative time or
        volatility, a dividend yield with Black-76.

    Notes
    -----
    With :math:`d_{1,2}=[\ln(S/K)+(r-q\pm\sigma^2/2)T]/(\sigma\sqrt T)` and
    :math:`\theta=\pm1`: :math:`\Delta=\theta e^{-qT}N(\theta d_1)`,
    :math:`\Gamma=e^{-qT}n(d_1)/(S\sigma\sqrt T)`, :math:`\nu=Se^{-qT}n(d_1)\sqrt T`,
    :math:`\Theta=-Se^{-qT}n(d_1)\sigma/(2\sqrt T)-\theta rKe^{-rT}N(\theta d_2)
    +\theta qSe^{-qT}N(\theta d_1)`, :math:`\rho=\theta KTe^{-rT}N(\theta d_2)`.
    Hull, *Options, Futures and Other Derivatives*, chapter "The Greek Letters";
    Haug (2007) section 2.2. Black-76: :math:`q=r`, :math:`\rho=-TV`.

    Examples
    --------
    Hull's worked greek examples (Examples 17.1, 17.2, 17.4, 17.6, 17.7 as cited by
    py_vollib; S=49, K=50, r=5 %, sigma=20 %, T=0.3846; textbook delta 0.522, theta
    -4.31/yr, gamma 0.066, vega 12.1, rho 8.91):

    >>> g = greeks(49.0, 50.0, 0.3846, 0.05, 0.2, "CE", model="black_scholes")
    >>> [round(g[k], 4) for k in ("delta", "theta_per_year", "gamma", "vega", "rho")]
    [0.5216, -4.3054, 0.0655, 12.1052, 8.9066]
    """
    if model not in ("black76", "black_scholes"):
        raise PricingInputError(f"model must be 'black76' or 'black_scholes', got {model!r}")
    if model == "black76" and np.any(np.asarray(dividend_yield) != 0.0):
        raise PricingInputError("dividend_yield applies to model='black_scholes' only")
    (S, K, T, r, sigma, theta, q), index, scalar = as_arrays(
        forward_or_spot=forward_or_spot, strike=strike, time_to_expiry=time_to_expiry,
        rate=rate, volatility=volatility, option_type=option_type, dividend_yield=dividend_yield,
        copy=False,  # the kernel only reads its inputs
    )  # fmt: skip
    if np.any(S <= 0) or np.any(K <= 0):
        raise PricingInputError("forward_or_spot and strike must be > 0")
    require_non_negative(T, "time_to_expiry")
    require_non_negative(sigma, "volatility")
    black76 = model == "black76"
    S, K, T, r, q, sigma, theta = (
        a.reshape(-1) for a in (S, K, T, r, r if black76 else q, sigma, theta)
    )
    values = _greeks_blocked(S, K, T, r, q, sigma, theta, black76)
    if scalar:
        return {k: float(v[0]) for k, v in zip(GREEK_COLUMNS, values, strict=True)}
    # the transposed block becomes the frame's single float block without a copy
    return pd.DataFrame(values.T, columns=list(GREEK_COLUMNS), index=index, copy=False)
