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
time value alone is inverted. Far below the inflexion the solver runs Halley steps
on ``ln b(s) - ln beta`` (``ln b`` is nearly ``-x^2 / (2 s^2)`` where ``b`` is tiny),
far above it on ``ln u* - ln u(s)`` (``ln u`` is nearly ``-s^2 / 8`` near the bound),
and on ``b`` itself in between, starting from asymptotic or tangent guesses. Each step is
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
_CONVERGED_STEP = 1e-9
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
def _upper_guess(x: float, u_target: float, s_u: float) -> float:
    """Large-``s`` asymptote ``u ~ 4 b'(s) / s`` solved by two fixed-point steps."""
    log_u = math.log(u_target)
    s = math.sqrt(max(-8.0 * log_u, 1e-12))
    for _ in range(2):
        rhs = math.log(4.0 * _INV_SQRT_2PI / s) - 0.5 * x * x / (s * s) - log_u
        if rhs <= 0.0:
            break
        s = math.sqrt(8.0 * rhs)
    return max(s, s_u)


@numba.njit(cache=True)
def _solve_total_vol(x: float, beta: float) -> tuple[float, float]:
    """Total volatility ``s`` with ``b(x, s) = beta`` for ``x <= 0``, 0 < beta < e^{x/2}.

    Returns ``s`` and the relative price mismatch at the last evaluated point
    (``inf`` with NaN if the iteration limit was reached).

    Regions as in Jaeckel (2015): the tangent to ``b`` at ``s_c`` meets 0 at ``s_l``
    and ``b_max`` at ``s_u``. Below ``b(s_l)`` the objective is ``ln b``, above
    ``b(s_u)`` it is ``-ln u``, in between ``b`` itself (started on the tangent).
    """
    b_max = math.exp(0.5 * x)
    s_c = math.sqrt(-2.0 * x)
    b_c = _b(x, s_c) if x < 0.0 else 0.0
    vega_c = _vega(x, s_c)
    s_l = s_c - b_c / vega_c
    s_u = s_c + (b_max - b_c) / vega_c
    region = 1  # 0: ln b, 1: b, 2: -ln u
    if beta < b_c:
        if s_l > 0.0 and beta < _b(x, s_l):
            region = 0
    elif beta > _b(x, s_u):
        region = 2
    if region == 0:
        s = _lower_guess(x, beta, s_c)
        target = math.log(beta)
    elif region == 2:
        target = math.log(b_max - beta)
        s = _upper_guess(x, b_max - beta, s_u)
    else:
        target = beta
        s = s_c + (beta - b_c) / vega_c
    lo, hi = 0.0, math.inf
    for _ in range(_MAX_ITERATIONS):
        if region == 0:
            value = _b(x, s)
            f = math.log(value) - target if value > 0.0 else -math.inf
        elif region == 1:
            value = 1.0
            f = _b(x, s) - target
        else:
            value = _u(x, s)
            f = target - math.log(value)
        # relative mismatch of the normalised price (objectives 0 and 2 are logarithms)
        residual = abs(f) / beta if region == 1 else abs(f)
        if f == 0.0:
            return s, 0.0
        if f < 0.0:
            lo = s
        else:
            hi = s
        if not math.isfinite(f):
            step = math.nan
        else:
            df = _vega(x, s) / value
            curvature = x * x / (s * s * s) - 0.25 * s  # b''/b'
            if region == 0:
                d2f = df * (curvature - df)
            elif region == 1:
                d2f = df * curvature
            else:
                d2f = df * (curvature + df)
            step = _halley(f, df, d2f)
        candidate = s + step
        halley = lo < candidate < hi  # False also for NaN
        if not halley:
            candidate = 0.5 * (lo + hi) if math.isfinite(hi) else 2.0 * max(s, lo, 1e-3)
        step_size = abs(candidate - s)
        # Halley's error after a step of relative size 1e-9 is far below one ulp; the
        # residual condition keeps a noisy objective (tiny time value) from stopping early
        if halley and step_size <= _CONVERGED_STEP * s and residual <= _RESIDUAL_TOLERANCE:
            return candidate, residual
        if step_size <= _STEP_TOLERANCE * s or hi - lo <= _STEP_TOLERANCE * lo:
            return s, residual  # the last evaluated point, whose residual is known
        s = candidate
    return math.nan, math.inf


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
    s, residual = _solve_total_vol(x, beta)
    if not (s > 0.0) or not math.isfinite(s) or residual > _RESIDUAL_TOLERANCE:
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
