"""Drawdowns: underwater path, maximum drawdown and its dates and duration.

Glossary: ``W_t = prod_{s<=t}(1 + r_s)`` wealth (NaN return = no change, starting
at 1 before the first row), ``M_t = max(1, max_{s<=t} W_s)`` running peak,
``DD_t = W_t / M_t - 1 <= 0``.
"""

from __future__ import annotations

from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt
import pandas as pd

from optionsintel.research._common import FloatArray, ReturnsLike, normalise

__all__ = ["drawdown", "drawdown_details", "max_drawdown"]


def _drawdown_kernel(r: FloatArray) -> FloatArray:
    wealth = np.cumprod(1.0 + np.nan_to_num(r, nan=0.0), axis=0)
    peak = np.maximum(np.maximum.accumulate(wealth, axis=0), 1.0)
    return wealth / peak - 1.0


def _max_drawdown_kernel(r: FloatArray) -> FloatArray:
    if r.shape[0] == 0:
        return np.full(r.shape[1], np.nan)
    out = np.min(_drawdown_kernel(r), axis=0)
    return np.minimum(out, 0.0)


def drawdown(returns: ReturnsLike) -> Any:
    """Underwater curve ``W_t / M_t - 1`` (never positive), same shape as ``returns``.

    Notes
    -----
    The running peak starts at the initial wealth 1, so a first-period loss is a
    drawdown (empyrical ``max_drawdown`` convention).
    """
    norm = normalise(returns)
    return norm.path(_drawdown_kernel(norm.values))


def max_drawdown(returns: ReturnsLike) -> Any:
    """Maximum drawdown ``min_t DD_t`` as a negative fraction (0 if none, NaN if empty).

    Examples
    --------
    >>> round(max_drawdown([0.10, -0.10, 0.10]), 10)
    -0.1
    """
    norm = normalise(returns)
    return norm.scalar(_max_drawdown_kernel(norm.values))


class _Details(TypedDict):
    """Per-symbol output of :func:`_details_kernel` (positions are row numbers)."""

    depth: FloatArray
    peak: npt.NDArray[np.int64]
    trough: npt.NDArray[np.int64]
    recovery: npt.NDArray[np.int64]
    no_drawdown: npt.NDArray[np.bool_]


def _details_kernel(r: FloatArray) -> _Details:
    """Positions (row numbers) of peak, trough and recovery of the deepest drawdown.

    Peak ``-1`` means the initial wealth before the first row; recovery ``-1`` means
    not recovered by the end of the sample.
    """
    T, n = r.shape
    wealth = np.vstack([np.ones((1, n)), np.cumprod(1.0 + np.nan_to_num(r, nan=0.0), axis=0)])
    peak = np.maximum.accumulate(wealth, axis=0)
    dd = wealth / peak - 1.0
    trough = np.argmin(dd, axis=0)
    rows = np.arange(T + 1)[:, None]
    at_peak = np.where(wealth >= peak, rows, 0)
    peak_pos = np.maximum.accumulate(at_peak, axis=0)[trough, np.arange(n)]
    peak_val = wealth[peak_pos, np.arange(n)]
    recovered = (rows > trough[None, :]) & (wealth >= peak_val[None, :])
    rec_any = recovered.any(axis=0)
    rec_pos = np.where(rec_any, np.argmax(recovered, axis=0), -1)
    depth = dd[trough, np.arange(n)]
    return {
        "depth": depth,
        "peak": peak_pos - 1,
        "trough": trough - 1,
        "recovery": np.where(rec_any, rec_pos - 1, -1),
        "no_drawdown": depth >= 0,
    }


def drawdown_details(returns: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Deepest drawdown per symbol with its dates and duration.

    Parameters
    ----------
    returns
        Simple returns indexed by date (Series or wide DataFrame).

    Returns
    -------
    DataFrame
        One row per symbol: ``max_drawdown`` (negative fraction), ``peak_date``
        (last high before the trough; the first date when the peak is the starting
        wealth), ``trough_date``, ``recovery_date`` (first date back at the peak,
        NaT if not recovered), ``drawdown_periods`` (peak to trough, rows),
        ``recovery_periods`` (trough to recovery, NaN if not recovered),
        ``duration_periods`` (peak to recovery, or to the end of the sample when not
        recovered), ``duration_days`` (calendar days of the same span when the index
        is made of dates) and ``recovered`` (bool). A symbol without any drawdown has
        ``max_drawdown = 0`` and NaT dates.
    """
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    norm = normalise(frame)
    if norm.values.shape[0] == 0:
        raise_empty = pd.DataFrame(index=frame.columns, columns=["max_drawdown"], dtype=float)
        return raise_empty
    d = _details_kernel(norm.values)
    idx = frame.index
    T = len(idx)
    peak_i = np.maximum(d["peak"], 0)
    trough_i = d["trough"]
    rec_i = d["recovery"]
    recovered = rec_i >= 0
    end_i = np.where(recovered, rec_i, T - 1)
    none = d["no_drawdown"]
    out = pd.DataFrame(index=frame.columns)
    out["max_drawdown"] = np.where(none, 0.0, d["depth"])
    out["peak_date"] = _take(idx, peak_i, none)
    out["trough_date"] = _take(idx, trough_i, none)
    out["recovery_date"] = _take(idx, rec_i, none | ~recovered)
    out["drawdown_periods"] = np.where(none, 0, trough_i - d["peak"]).astype(float)
    out["recovery_periods"] = np.where(recovered & ~none, rec_i - trough_i, np.nan)
    out["duration_periods"] = np.where(none, 0, end_i - d["peak"]).astype(float)
    if isinstance(idx, pd.DatetimeIndex):
        span = idx[end_i] - idx[peak_i]
        out["duration_days"] = np.where(none, 0.0, span.days.to_numpy(dtype=float))
    out["recovered"] = recovered | none
    return out


def _take(index: pd.Index, pos: np.ndarray, missing: np.ndarray) -> np.ndarray:
    values = pd.Series(index[np.clip(pos, 0, len(index) - 1)])
    return values.where(~missing).to_numpy()
