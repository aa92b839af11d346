"""Value-at-Risk and Expected Shortfall: historical, parametric (normal), Cornish-Fisher.

Sign convention: both are reported as **positive losses** per period (a 95 % VaR
of 0.021 means "a loss of 2.1 % or worse happens on 5 % of periods"), so
``ES >= VaR`` and both grow with the confidence level. empyrical's
``value_at_risk(returns, cutoff)`` is the raw return quantile, i.e.
``-value_at_risk(returns, confidence=1 - cutoff)`` here.

Glossary: ``c`` confidence, ``a = 1 - c`` tail probability, ``mu`` mean,
``sigma`` sample standard deviation, ``S`` skewness, ``K`` excess kurtosis,
``z = Phi^{-1}(a)`` (negative), ``phi``/``Phi`` standard normal pdf/cdf.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from optionsintel.research._common import (
    FloatArray,
    Moments,
    ResearchInputError,
    ReturnsLike,
    VarMethod,
    check_confidence,
    nan_moments,
    nan_quantile,
    normalise,
)

__all__ = ["cornish_fisher_z", "expected_shortfall", "value_at_risk"]

_METHODS = ("historical", "parametric", "cornish_fisher")


def _check_method(method: str) -> None:
    if method not in _METHODS:
        raise ResearchInputError(f"method must be one of {_METHODS}; got {method!r}")


def cornish_fisher_z(z: float | FloatArray, skew: FloatArray, excess_kurtosis: FloatArray) -> Any:
    """Cornish-Fisher adjusted standard-normal quantile.

    Notes
    -----
    ``z_cf = z + (z^2 - 1) S / 6 + (z^3 - 3z) K / 24 - (2 z^3 - 5 z) S^2 / 36``
    (Cornish & Fisher 1938; Zangari 1996 "modified VaR"; Boudt, Peterson & Croux
    2008).
    """
    S, K = skew, excess_kurtosis
    return z + (z**2 - 1) * S / 6 + (z**3 - 3 * z) * K / 24 - (2 * z**3 - 5 * z) * S**2 / 36


def value_at_risk(
    returns: ReturnsLike,
    confidence: float = 0.95,
    method: VarMethod = "historical",
) -> Any:
    """Per-period Value-at-Risk as a positive loss.

    Parameters
    ----------
    returns
        Simple per-period returns (Series, wide DataFrame or ndarray); NaN skipped.
    confidence
        Confidence level in (0, 1), e.g. 0.95 or 0.99.
    method
        ``"historical"``: ``-quantile(r, a)`` with linear interpolation (numpy's
        default, as empyrical). ``"parametric"``: ``-(mu + z sigma)``.
        ``"cornish_fisher"``: ``-(mu + z_cf sigma)`` (see :func:`cornish_fisher_z`).

    Returns
    -------
    float, Series or ndarray
        NaN when there are no observations (or fewer than 2 for the moment methods).

    Raises
    ------
    ResearchInputError
        For a confidence outside (0, 1) or an unknown method.

    Examples
    --------
    >>> round(value_at_risk([0.01, 0.81, 0.82, 0.83, 0.84, 0.85], confidence=0.9), 10)
    -0.41
    """
    check_confidence(confidence)
    _check_method(method)
    norm = normalise(returns)
    return norm.scalar(_var_kernel(norm.values, confidence, method))


def _var_kernel(
    r: FloatArray, confidence: float, method: str, moments: Moments | None = None
) -> FloatArray:
    a = 1.0 - confidence
    if method == "historical":
        return -nan_quantile(r, a)
    n, mu, sigma, skew, kurt = moments if moments is not None else nan_moments(r)
    z = stats.norm.ppf(a)
    if method == "cornish_fisher":
        z = cornish_fisher_z(z, skew, kurt)
    out = -(mu + z * sigma)
    return np.where(n > 1, out, np.nan)


def expected_shortfall(
    returns: ReturnsLike,
    confidence: float = 0.95,
    method: VarMethod = "historical",
) -> Any:
    """Per-period Expected Shortfall (CVaR) as a positive loss.

    Notes
    -----
    * historical: ``-mean(r[r <= q_a])`` with ``q_a`` the interpolated quantile
      (empyrical ``conditional_value_at_risk``).
    * parametric: ``-(mu - sigma phi(z) / a)``.
    * Cornish-Fisher: the tail mean of the Cornish-Fisher quantile function,
      ``-(mu + sigma / a * E[z_cf(Z); Z < z])`` with ``Z`` standard normal, using the
      truncated moments ``E[Z^k; Z<z]``: ``Phi(z)``, ``-phi(z)``,
      ``Phi(z) - z phi(z)``, ``-(z^2 + 2) phi(z)`` for k = 0..3. It reduces to the
      parametric value when ``S = K = 0``. It assumes the expansion is monotone in
      the tail (moderate skew/kurtosis), as every Cornish-Fisher risk measure does.
    """
    check_confidence(confidence)
    _check_method(method)
    norm = normalise(returns)
    return norm.scalar(_es_kernel(norm.values, confidence, method))


def _es_kernel(
    r: FloatArray, confidence: float, method: str, moments: Moments | None = None
) -> FloatArray:
    a = 1.0 - confidence
    if method == "historical":
        q = nan_quantile(r, a)
        tail = np.where(r <= q[None, :], r, np.nan)
        with np.errstate(invalid="ignore"):
            cnt = np.sum(~np.isnan(tail), axis=0)
            out = -np.nansum(tail, axis=0) / cnt
        return np.where(cnt > 0, out, np.nan)
    n, mu, sigma, skew, kurt = moments if moments is not None else nan_moments(r)
    z = stats.norm.ppf(a)
    pdf, cdf = stats.norm.pdf(z), a
    m0, m1, m2, m3 = cdf, -pdf, cdf - z * pdf, -(z**2 + 2) * pdf
    if method == "parametric":
        integral = np.full_like(mu, m1)
    else:
        integral = (
            m1 + (m2 - m0) * skew / 6 + (m3 - 3 * m1) * kurt / 24 - (2 * m3 - 5 * m1) * skew**2 / 36
        )
    out = -(mu + sigma * integral / a)
    return np.where(n > 1, out, np.nan)
