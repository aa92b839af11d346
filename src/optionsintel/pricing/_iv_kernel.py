"""Numba kernels for the implied-volatility solver (see :mod:`.implied_vol`).

Glossary
--------
``x``     log-moneyness ``ln(F/K)``; the solver works with ``x = -|x| <= 0``
``s``     total volatility ``sigma * sqrt(T)``
``h, t``  ``x / s`` and ``s / 2``
``b``     normalised out-of-the-money Black price ``V / (D sqrt(F K))``, which is
          ``b(x, s) = e^{x/2} N(h + t) - e^{-x/2} N(h - t)`` for ``x <= 0``
``u``     its complement ``b_max - b = e^{x/2} N(-h - t) + e^{-x/2} N(h - t)``,
          ``b_max = e^{x/2}``; computed without cancellation
``s_c``   inflexion point ``sqrt(2 |x|)``: ``b`` is convex below it, concave above

Every option is reduced to an out-of-the-money one by put-call parity, so the
time value alone is inverted. Below ``b(s_c)`` the solver runs Halley steps on
``ln b(s) - ln beta`` (nearly linear in ``1/s^2`` where ``b`` is tiny), above it on
``ln u(s) - ln u*`` (nearly quadratic where ``b`` approaches its bound). Each step is
kept inside a bracket that always contains the root; a step that leaves the bracket
is replaced by bisection, so the iteration cannot diverge.
"""

from __future__ import annotations

import math

import numba
import numpy as np

OK, BELOW_INTRINSIC, ABOVE_MAX, EXPIRED, NON_POSITIVE_PRICE, NO_CONVERGENCE, INVALID_INPUT = range(
    7
)

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_MAX_ITERATIONS = 100
_STEP_TOLERANCE = 4.0 * 2.220446049250313e-16
# accepted relative mismatch |b(s) - beta| / beta of the final volatility; a result
# beyond it is reported as NO_CONVERGENCE instead of returning a wrong number
_RESIDUAL_TOLERANCE = 1e-9


@numba.njit(cache=True, inline="always")
def _norm_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / _SQRT2)


@numba.njit(cache=True)
def _b(x: float, s: float) -> float:
    h = x / s
    t = 0.5 * s
    return math.exp(0.5 * x) * _norm_cdf(h + t) - math.exp(-0.5 * x) * _norm_cdf(h - t)


@numba.njit(cache=True)
def _u(x: float, s: float) -> float:
    h = x / s
    t = 0.5 * s
    return math.exp(0.5 * x) * _norm_cdf(-h - t) + math.exp(-0.5 * x) * _norm_cdf(h - t)


@numba.njit(cache=True)
def _vega(x: float, s: float) -> float:
    """``db/ds = exp(-(h^2 + t^2)/2) / sqrt(2 pi)``."""
    if s <= 0.0:
        return _INV_SQRT_2PI if x == 0.0 else 0.0
    h = x / s
    t = 0.5 * s
    return _INV_SQRT_2PI * math.exp(-0.5 * (h * h + t * t))


@numba.njit(cache=True)
def _lower_guess(x: float, beta: float, s_c: float) -> float:
    """Small-``s`` asymptote ``b ~ b'(s) s^3 / x^2`` solved by two fixed-point steps."""
    log_beta = math.log(beta)
    s = -x / math.sqrt(-2.0 * log_beta)
    for _ in range(2):
        log_prefactor = math.log(_INV_SQRT_2PI * s * s * s / (x * x))
        denominator = 2.0 * (log_prefactor - log_beta) - 0.25 * s * s
        if denominator <= 0.0:
            break
        s = -x / math.sqrt(denominator)
    return min(max(s, 1e-300), s_c)


@numba.njit(cache=True)
def _halley(f: float, df: float, d2f: float) -> float:
    newton = -f / df
    correction = 1.0 + 0.5 * newton * d2f / df
    # fall back to Newton where the Halley denominator is poorly conditioned
    return newton / correction if correction > 0.5 else newton


@numba.njit(cache=True)
def _solve_total_vol(x: float, beta: float) -> float:
    """Total volatility ``s`` with ``b(x, s) = beta`` for ``x <= 0``, 0 < beta < e^{x/2}."""
    s_c = math.sqrt(-2.0 * x)
    b_c = _b(x, s_c) if x < 0.0 else 0.0
    lower = beta < b_c
    if lower:
        lo, hi = 0.0, s_c
        s = _lower_guess(x, beta, s_c)
        target = math.log(beta)
    else:
        lo, hi = s_c, math.inf
        s = s_c + (beta - b_c) / _vega(x, s_c)  # tangent at s_c, left of the root
        target = math.log(math.exp(0.5 * x) - beta)
    for _ in range(_MAX_ITERATIONS):
        if lower:
            value = _b(x, s)
            f = math.log(value) - target if value > 0.0 else -math.inf
        else:
            value = _u(x, s)
            f = target - math.log(value)  # increasing in s like the lower objective
        if f == 0.0:
            return s
        if f < 0.0:
            lo = s
        else:
            hi = s
        if not math.isfinite(f):
            step = math.nan
        else:
            vega = _vega(x, s)
            df = vega / value
            curvature = x * x / (s * s * s) - 0.25 * s  # b''/b'
            d2f = df * (curvature - df) if lower else df * (curvature + df)
            step = _halley(f, df, d2f)
        candidate = s + step
        if not (lo < candidate < hi):  # also catches NaN
            candidate = 0.5 * (lo + hi) if math.isfinite(hi) else 2.0 * max(s, lo, 1e-3)
        if abs(candidate - s) <= _STEP_TOLERANCE * s or hi - lo <= _STEP_TOLERANCE * lo:
            return candidate
        s = candidate
    return math.nan


@numba.njit(cache=True)
def _implied_one(
    price: float, F: float, K: float, T: float, D: float, theta: float
) -> tuple[float, int]:
    if not (math.isfinite(F) and math.isfinite(K) and math.isfinite(T) and math.isfinite(D)):
        return math.nan, INVALID_INPUT
    if F <= 0.0 or K <= 0.0 or D <= 0.0 or not (theta == 1.0 or theta == -1.0):
        return math.nan, INVALID_INPUT
    if not (price > 0.0) or not math.isfinite(price):
        return math.nan, NON_POSITIVE_PRICE
    if T <= 0.0:
        return math.nan, EXPIRED
    intrinsic = theta * (F - K)
    otm_price = price - D * intrinsic if intrinsic > 0.0 else price
    if otm_price <= 0.0:
        return math.nan, BELOW_INTRINSIC
    x = -abs(math.log(F / K))
    beta = otm_price / (D * math.sqrt(F * K))
    if beta >= math.exp(0.5 * x):
        return math.nan, ABOVE_MAX
    s = _solve_total_vol(x, beta)
    if not (s > 0.0) or not math.isfinite(s):
        return math.nan, NO_CONVERGENCE
    if abs(_b(x, s) - beta) > _RESIDUAL_TOLERANCE * beta:
        return math.nan, NO_CONVERGENCE
    return s / math.sqrt(T), OK


@numba.njit(cache=True, parallel=True)
def implied_volatility_kernel(
    price: np.ndarray,
    underlying: np.ndarray,
    strike: np.ndarray,
    time_to_expiry: np.ndarray,
    rate: np.ndarray,
    dividend_yield: np.ndarray,
    sign: np.ndarray,
    underlying_is_spot: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Implied Black volatility and reason code of every option (1-d arrays)."""
    n = price.shape[0]
    iv = np.empty(n, dtype=np.float64)
    reason = np.empty(n, dtype=np.int8)
    for i in numba.prange(n):
        T = time_to_expiry[i]
        D = math.exp(-rate[i] * T)
        F = underlying[i]
        if underlying_is_spot:
            F = F * math.exp((rate[i] - dividend_yield[i]) * T)
        iv[i], reason[i] = _implied_one(price[i], F, strike[i], T, D, sign[i])
    return iv, reason
