"""Risk-adjusted performance ratios: Sharpe, Sortino, downside risk, Calmar, omega, tail ratio.

Glossary: ``r`` per-period simple return, ``rf`` per-period risk-free return,
``MAR`` minimum acceptable (required) return, ``N`` periods per year.
Definitions follow empyrical (Quantopian), whose published test values are
reproduced in ``tests/research/test_empyrical_reference.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from optionsintel.research._common import (
    FloatArray,
    ResearchInputError,
    ReturnsLike,
    as_column_operand,
    nan_moments,
    nan_quantile,
    normalise,
)
from optionsintel.research.drawdown import _max_drawdown_kernel
from optionsintel.research.returns import _annual_return_kernel

__all__ = [
    "calmar_ratio",
    "downside_risk",
    "omega_ratio",
    "rolling_sharpe",
    "sharpe_ratio",
    "sortino_ratio",
    "tail_ratio",
]


def sharpe_ratio(
    returns: ReturnsLike,
    risk_free: float | ReturnsLike = 0.0,
    periods_per_year: float = 252.0,
) -> Any:
    """Annualised Sharpe ratio.

    Parameters
    ----------
    returns
        Simple per-period returns (Series, wide DataFrame or ndarray).
    risk_free
        Per-period risk-free return: a scalar or a series aligned with ``returns``.
    periods_per_year
        Annualisation factor ``N``.

    Returns
    -------
    float, Series or ndarray
        NaN with fewer than two observations; ``±inf`` for a constant non-zero
        excess return (zero volatility).

    Notes
    -----
    ``SR = mean(r - rf) / std(r - rf, ddof=1) * sqrt(N)`` (Sharpe 1994, ex-post;
    empyrical ``sharpe_ratio``). Scale invariant when ``rf = 0``.
    """
    norm = normalise(returns)
    excess = norm.values - as_column_operand(risk_free, norm)
    return norm.scalar(_sharpe_kernel(excess, periods_per_year))


def _sharpe_kernel(excess: FloatArray, periods_per_year: float) -> FloatArray:
    n, mean, std, _, _ = nan_moments(excess)
    return _sharpe_from_moments(n, mean, std, periods_per_year)


def _sharpe_from_moments(
    n: FloatArray, mean: FloatArray, std: FloatArray, periods_per_year: float
) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        out = mean / std * np.sqrt(periods_per_year)
    # a constant series: std is zero up to rounding
    flat = (n > 1) & (std <= 1e-14 * np.maximum(np.abs(mean), 1e-300))
    with np.errstate(invalid="ignore"):
        out = np.where(flat, np.sign(mean) * np.inf, out)
    return np.where(n > 1, out, np.nan)


def downside_risk(
    returns: ReturnsLike,
    required_return: float | ReturnsLike = 0.0,
    periods_per_year: float = 252.0,
) -> Any:
    """Annualised downside deviation below a per-period required return.

    Notes
    -----
    ``DD = sqrt(mean(min(r - MAR, 0)^2)) * sqrt(N)``, the mean taken over all
    non-NaN observations (Sortino & Price 1994; empyrical ``downside_risk``).
    """
    norm = normalise(returns)
    adj = norm.values - as_column_operand(required_return, norm)
    return norm.scalar(_downside_kernel(adj, periods_per_year))


def _downside_kernel(adj: FloatArray, periods_per_year: float) -> FloatArray:
    n = np.sum(~np.isnan(adj), axis=0)
    sq = np.nansum(np.minimum(adj, 0.0) ** 2, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.sqrt(sq / n) * np.sqrt(periods_per_year)
    return np.where(n > 0, out, np.nan)


def sortino_ratio(
    returns: ReturnsLike,
    required_return: float | ReturnsLike = 0.0,
    periods_per_year: float = 252.0,
) -> Any:
    """Annualised Sortino ratio.

    Notes
    -----
    ``Sortino = mean(r - MAR) * N / DD`` with ``DD`` from :func:`downside_risk`
    (empyrical ``sortino_ratio``); ``+inf`` when no return falls below ``MAR``,
    NaN with fewer than two observations.
    """
    norm = normalise(returns)
    adj = norm.values - as_column_operand(required_return, norm)
    return norm.scalar(_sortino_kernel(adj, periods_per_year))


def _sortino_kernel(adj: FloatArray, periods_per_year: float) -> FloatArray:
    n = np.sum(~np.isnan(adj), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(adj, axis=0) / n
        out = mean * periods_per_year / _downside_kernel(adj, periods_per_year)
    return np.where(n > 1, out, np.nan)


def calmar_ratio(returns: ReturnsLike, periods_per_year: float = 252.0) -> Any:
    """Calmar ratio: annualised return over the absolute maximum drawdown.

    Notes
    -----
    ``CAGR / |MDD|``; NaN when there is no drawdown (Young 1991; empyrical).
    """
    norm = normalise(returns)
    return norm.scalar(_calmar_kernel(norm.values, periods_per_year))


def _calmar_kernel(
    r: FloatArray, periods_per_year: float, n_periods: FloatArray | None = None
) -> FloatArray:
    mdd = _max_drawdown_kernel(r)
    ann = _annual_return_kernel(r, periods_per_year, n_periods)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = ann / np.abs(mdd)
    valid = (mdd < 0) & (np.sum(~np.isnan(r), axis=0) > 1)
    return np.where(valid, out, np.nan)


def omega_ratio(
    returns: ReturnsLike,
    risk_free: float | ReturnsLike = 0.0,
    required_return: float = 0.0,
    periods_per_year: float = 252.0,
) -> Any:
    """Omega ratio at an annual threshold return.

    Notes
    -----
    With the per-period threshold ``tau = (1 + required_return) ** (1/N) - 1`` and
    ``x = r - rf - tau``: ``Omega = sum(max(x, 0)) / sum(max(-x, 0))`` (Keating &
    Shadwick 2002; empyrical ``omega_ratio``). NaN when no return is below the
    threshold, when ``required_return <= -1`` or with fewer than two observations.
    """
    norm = normalise(returns)
    if required_return <= -1:
        return norm.scalar(np.full(norm.values.shape[1], np.nan))
    tau = (1.0 + required_return) ** (1.0 / periods_per_year) - 1.0
    x = norm.values - as_column_operand(risk_free, norm) - tau
    return norm.scalar(_omega_kernel(x))


def _omega_kernel(x: FloatArray) -> FloatArray:
    up = np.nansum(np.maximum(x, 0.0), axis=0)
    down = np.nansum(np.maximum(-x, 0.0), axis=0)
    n = np.sum(~np.isnan(x), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = up / down
    return np.where((down > 0) & (n > 1), out, np.nan)


def tail_ratio(returns: ReturnsLike) -> Any:
    """Tail ratio ``|q95(r)| / |q5(r)|`` (linear interpolation, NaN skipped; empyrical)."""
    norm = normalise(returns)
    return norm.scalar(_tail_kernel(norm.values))


def _tail_kernel(r: FloatArray) -> FloatArray:
    q = nan_quantile(r, np.array([0.05, 0.95]))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(q[1]) / np.abs(q[0])


def rolling_sharpe(
    returns: pd.Series | pd.DataFrame,
    window: int = 63,
    risk_free: float = 0.0,
    periods_per_year: float = 252.0,
) -> pd.Series | pd.DataFrame:
    """Compute the rolling annualised Sharpe ratio over ``window`` rows (pandas rolling moments).

    NaN inside a window is skipped (as empyrical's ``roll_sharpe_ratio``); the first
    ``window - 1`` rows are NaN.

    Raises
    ------
    ResearchInputError
        If ``window < 2`` or the input is not pandas.
    """
    if window < 2:
        raise ResearchInputError("rolling window must be >= 2 periods")
    if not isinstance(returns, pd.Series | pd.DataFrame):
        raise ResearchInputError("rolling_sharpe needs a pandas Series or DataFrame")
    excess = returns.astype(float) - risk_free
    roll = excess.rolling(window, min_periods=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = roll.mean() / roll.std(ddof=1) * np.sqrt(periods_per_year)
    out.iloc[: window - 1] = np.nan
    return out
