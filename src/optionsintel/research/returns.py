"""Returns: simple and log returns from prices, cumulative and annualised return, volatility.

Glossary: ``r`` simple per-period return, ``N`` periods per year, ``T`` number of
periods in the sample. Input/output conventions are described in
:mod:`optionsintel.research._common`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from optionsintel.research._common import (
    FloatArray,
    ResearchInputError,
    ReturnsLike,
    nan_moments,
    normalise,
)
from optionsintel.research.series import find_gaps

__all__ = [
    "annual_return",
    "annual_volatility",
    "cumulative_returns",
    "log_returns",
    "simple_returns",
    "total_return",
]


def _price_ratio(prices: ReturnsLike) -> tuple[Any, FloatArray]:
    norm = normalise(prices, "prices")
    p = norm.values
    if np.any(p[~np.isnan(p)] <= 0):
        raise ResearchInputError("prices must be strictly positive to form returns")
    ratio = np.full_like(p, np.nan)
    ratio[1:] = p[1:] / p[:-1]
    if isinstance(prices, pd.Series | pd.DataFrame):
        ratio[_after_gap(prices.index)] = np.nan
    return norm, ratio


def _after_gap(index: pd.Index) -> np.ndarray:
    """Rows whose date follows a gap in the trading calendar (daily indexes only)."""
    gaps = find_gaps(index)
    if gaps.empty:
        return np.zeros(len(index), dtype=bool)
    days = pd.DatetimeIndex(index)
    days = (days.tz_localize(None) if days.tz is not None else days).normalize()
    return np.asarray(np.isin(days, gaps["first_after"]))


def simple_returns(prices: ReturnsLike) -> Any:
    """Compute simple returns ``r_t = P_t / P_{t-1} - 1`` (first row NaN).

    Parameters
    ----------
    prices
        Price path(s): Series, wide DataFrame (columns = symbols) or ndarray.

    Returns
    -------
    Series, DataFrame or ndarray
        Same shape and type as ``prices``; the first row is NaN. A NaN price gives
        NaN returns on both sides of it (no forward filling is done here). For a
        daily Series/DataFrame the return spanning a gap in the NSE trading calendar
        (:func:`optionsintel.research.series.find_gaps`) is NaN, never one period.

    Raises
    ------
    ResearchInputError
        If a price is zero or negative.

    Examples
    --------
    >>> simple_returns([100.0, 110.0, 99.0]).round(4).tolist()
    [nan, 0.1, -0.1]
    """
    norm, ratio = _price_ratio(prices)
    return norm.path(ratio - 1.0)


def log_returns(prices: ReturnsLike) -> Any:
    """Log returns ``ln(P_t / P_{t-1})`` (first row NaN); see :func:`simple_returns`."""
    norm, ratio = _price_ratio(prices)
    return norm.path(np.log(ratio))


def _wealth(r: FloatArray) -> FloatArray:
    return np.cumprod(1.0 + np.nan_to_num(r, nan=0.0), axis=0, dtype=np.float64)


def cumulative_returns(returns: ReturnsLike, starting_value: float = 0.0) -> Any:
    """Compounded cumulative return path ``prod(1 + r) - 1`` (NaN counts as 0 %).

    Parameters
    ----------
    returns
        Simple returns.
    starting_value
        0 gives the cumulative return; a positive value gives the wealth path
        ``starting_value * prod(1 + r)`` (empyrical's ``cum_returns`` convention).

    Returns
    -------
    Same type and shape as ``returns``.
    """
    norm = normalise(returns)
    w = _wealth(norm.values)
    return norm.path(w - 1.0 if starting_value == 0 else w * starting_value)


def total_return(returns: ReturnsLike) -> Any:
    """Total compounded return over the sample ``prod(1 + r) - 1`` (NaN if empty)."""
    norm = normalise(returns)
    return norm.scalar(_total_return_kernel(norm.values))


def _total_return_kernel(r: FloatArray) -> FloatArray:
    out = np.prod(1.0 + np.nan_to_num(r, nan=0.0), axis=0) - 1.0
    return np.where(r.shape[0] == 0, np.nan, out)


def annual_return(returns: ReturnsLike, periods_per_year: float = 252.0) -> Any:
    """Compound annual growth rate (CAGR) of a return series.

    Notes
    -----
    ``(prod(1 + r)) ** (N / T) - 1`` where ``T`` counts every row of the sample, NaN
    rows included (empyrical's ``annual_return``; its test value for
    ``mixed_returns`` is 1.9135925373194231).
    """
    norm = normalise(returns)
    return norm.scalar(_annual_return_kernel(norm.values, periods_per_year))


def _annual_return_kernel(
    r: FloatArray, periods_per_year: float, n_periods: FloatArray | None = None
) -> FloatArray:
    T = np.full(r.shape[1], float(r.shape[0])) if n_periods is None else n_periods
    growth = np.prod(1.0 + np.nan_to_num(r, nan=0.0), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = growth ** (periods_per_year / T) - 1.0
    return np.where(T > 0, out, np.nan)


def annual_volatility(returns: ReturnsLike, periods_per_year: float = 252.0) -> Any:
    """Annualised volatility ``std(r, ddof=1) * sqrt(N)`` (NaN skipped, NaN if < 2 values).

    Notes
    -----
    Sample standard deviation as in empyrical (its ``mixed_returns`` value is
    0.9136465399704637 for daily data).
    """
    norm = normalise(returns)
    std = nan_moments(norm.values)[2]
    return norm.scalar(std * np.sqrt(periods_per_year))
