"""Shared input handling, configuration and kernels for the research metrics.

Every public metric accepts a ``pd.Series`` (one symbol), a wide ``pd.DataFrame``
(index = dates, one column per symbol) or a 1-D/2-D ``np.ndarray``. Inputs are
normalised once to a float64 2-D array of shape ``(n_periods, n_symbols)``; the
kernels work on that array and the result is restored to the caller's type:

* Series or 1-D ndarray in -> ``float`` out (scalar metrics), same type out (paths);
* DataFrame in -> ``pd.Series`` indexed by the columns (scalar metrics), DataFrame out;
* 2-D ndarray in -> 1-D ndarray out.

Conventions (see :class:`MetricsConfig`)
----------------------------------------
* Returns are simple per-period returns (``0.01`` = 1 %).
* ``periods_per_year`` annualises: 252 (daily, NSE), 52, 12, or bars-per-year intraday.
* ``risk_free`` arguments of the functions are *per-period* returns (scalar or a
  series aligned with the returns), as in empyrical; :class:`MetricsConfig` holds an
  *annual* rate that is converted with ``(1 + r_annual) ** (1 / periods_per_year) - 1``.
* NaN is a missing observation: moments, quantiles and regressions skip it; when
  compounding (cumulative return, drawdown) a NaN period is a period without change.
  The annualised return counts every row of the sample (empyrical's convention), so
  trim leading NaN (before a listing) if that is not wanted (``compute_all_metrics``
  does this per symbol when ``MetricsConfig.trim_leading_nan`` is true).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numba
import numpy as np
import numpy.typing as npt
import pandas as pd

from optionsintel.errors import OptionsIntelError

FloatArray: TypeAlias = npt.NDArray[np.float64]
ReturnsLike: TypeAlias = pd.Series | pd.DataFrame | npt.NDArray[np.float64]
VarMethod: TypeAlias = Literal["historical", "parametric", "cornish_fisher"]
#: How a per-period alpha is annualised: ``a x N`` or ``(1 + a)^N - 1`` (empyrical).
AlphaAnnualisation: TypeAlias = Literal["arithmetic", "compounded"]
ALPHA_ANNUALISATIONS: tuple[str, ...] = ("arithmetic", "compounded")


class ResearchInputError(OptionsIntelError, ValueError):
    """Input handed to a research function is malformed (wrong shape, type or range)."""


@dataclass(frozen=True)
class MetricsConfig:
    """Conventions used by :func:`compute_all_metrics` and the report builder.

    Attributes
    ----------
    periods_per_year
        Annualisation factor (252 trading days on NSE for daily data).
    risk_free_rate
        Annual risk-free rate as a decimal (0.065 = 6.5 %); converted to a
        per-period rate geometrically.
    required_return
        Annual minimum acceptable return for Sortino, downside risk and omega.
    var_confidence
        Confidence level of Value-at-Risk and Expected Shortfall (0.95 = 95 %).
    var_method
        ``"historical"``, ``"parametric"`` (normal) or ``"cornish_fisher"``.
    rolling_window
        Window (periods) of rolling Sharpe / alpha-beta / correlation.
    min_periods
        Fewer non-NaN observations than this give NaN metrics for that symbol.
    trim_leading_nan
        Drop each symbol's leading NaN rows before counting periods for the
        annualised return (a symbol listed mid-sample is not penalised).
    alpha_annualisation
        ``"arithmetic"`` (default, ``alpha x N``) or ``"compounded"``
        (``(1 + alpha)^N - 1``, empyrical's convention); see
        :func:`optionsintel.research.alpha_beta`.
    """

    periods_per_year: float = 252.0
    risk_free_rate: float = 0.0
    required_return: float = 0.0
    var_confidence: float = 0.95
    var_method: VarMethod = "historical"
    rolling_window: int = 63
    min_periods: int = 2
    trim_leading_nan: bool = True
    alpha_annualisation: AlphaAnnualisation = "arithmetic"

    def __post_init__(self) -> None:
        if self.periods_per_year <= 0:
            raise ResearchInputError("periods_per_year must be > 0 (252 for daily NSE data)")
        check_confidence(self.var_confidence)
        if self.rolling_window < 2:
            raise ResearchInputError("rolling_window must be >= 2 periods")
        if self.alpha_annualisation not in ALPHA_ANNUALISATIONS:
            raise ResearchInputError(
                f"alpha_annualisation must be one of {ALPHA_ANNUALISATIONS}; "
                f"got {self.alpha_annualisation!r}"
            )
        if self.var_method not in ("historical", "parametric", "cornish_fisher"):
            raise ResearchInputError(
                "var_method must be historical, parametric or cornish_fisher; "
                f"got {self.var_method!r}"
            )

    @property
    def risk_free_per_period(self) -> float:
        """Per-period risk-free return equivalent to the annual rate."""
        return annual_to_period(self.risk_free_rate, self.periods_per_year)

    @property
    def required_per_period(self) -> float:
        """Per-period minimum acceptable return equivalent to the annual one."""
        return annual_to_period(self.required_return, self.periods_per_year)


def annual_to_period(rate: float, periods_per_year: float) -> float:
    """Convert an annual rate to a per-period one: ``(1 + r) ** (1 / N) - 1``."""
    if rate <= -1:
        raise ResearchInputError(f"an annual rate must be > -100 %; got {rate}")
    return float((1.0 + rate) ** (1.0 / periods_per_year) - 1.0)


def check_confidence(confidence: float) -> None:
    """Raise unless ``0 < confidence < 1``."""
    if not 0.0 < float(confidence) < 1.0:
        raise ResearchInputError(
            f"confidence must lie strictly between 0 and 1 (e.g. 0.95); got {confidence}"
        )


@dataclass(frozen=True)
class Normalised:
    """A 2-D float view of the input plus what is needed to restore its type."""

    values: FloatArray
    kind: Literal["series", "frame", "array1d", "array2d"]
    index: pd.Index | None
    columns: pd.Index | None
    name: Any = None

    def scalar(self, per_column: FloatArray) -> Any:
        """Restore a one-value-per-column result."""
        if self.kind in ("series", "array1d"):
            return float(per_column[0])
        if self.kind == "frame":
            return pd.Series(per_column, index=self.columns)
        return np.asarray(per_column, dtype=float)

    def path(self, values: FloatArray) -> Any:
        """Restore a result with the input's shape (a path over time)."""
        if self.kind == "series":
            return pd.Series(values[:, 0], index=self.index, name=self.name)
        if self.kind == "frame":
            return pd.DataFrame(values, index=self.index, columns=self.columns)
        if self.kind == "array1d":
            return values[:, 0]
        return values


def normalise(data: ReturnsLike | list[float], what: str = "returns") -> Normalised:
    """Turn a Series/DataFrame/ndarray/list into a float64 2-D array.

    Raises
    ------
    ResearchInputError
        If the data is not 1-D/2-D or not numeric.
    """
    if isinstance(data, pd.DataFrame):
        try:
            arr = data.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise ResearchInputError(f"{what} frame must be numeric: {exc}") from exc
        return Normalised(arr, "frame", data.index, data.columns)
    if isinstance(data, pd.Series):
        try:
            arr = data.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise ResearchInputError(f"{what} series must be numeric: {exc}") from exc
        return Normalised(arr[:, None], "series", data.index, None, data.name)
    try:
        arr = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ResearchInputError(f"{what} must be numeric: {exc}") from exc
    if arr.ndim == 1:
        return Normalised(arr[:, None], "array1d", None, None)
    if arr.ndim == 2:
        return Normalised(arr, "array2d", None, None)
    raise ResearchInputError(f"{what} must be 1-D or 2-D; got an array with shape {arr.shape}")


def as_column_operand(other: float | ReturnsLike | list[float], like: Normalised) -> FloatArray:
    """Broadcast a scalar / series / frame operand (risk-free, benchmark) against ``like``.

    Pandas operands are aligned on the index of ``like`` when it has one (missing
    dates become NaN); otherwise lengths must match.
    """
    if np.isscalar(other):
        return np.full((1, 1), float(other))  # type: ignore[arg-type]
    if isinstance(other, pd.Series | pd.DataFrame) and like.index is not None:
        other = other.reindex(like.index)
        if isinstance(other, pd.DataFrame) and like.columns is not None and other.shape[1] > 1:
            other = other.reindex(columns=like.columns)
    arr = normalise(other, "operand").values  # type: ignore[arg-type]
    if arr.shape[0] != like.values.shape[0]:
        raise ResearchInputError(
            f"operand has {arr.shape[0]} rows but the returns have {like.values.shape[0]}; "
            "pass pandas objects with a shared date index so they can be aligned"
        )
    if arr.shape[1] not in (1, like.values.shape[1]):
        raise ResearchInputError(
            f"operand has {arr.shape[1]} columns; expected 1 or {like.values.shape[1]}"
        )
    return arr


def nan_quantile(values: FloatArray, q: float | FloatArray) -> FloatArray:
    """Column-wise linear-interpolation quantile ignoring NaN (numpy's default method).

    Faster than ``np.nanquantile`` on wide arrays: one sort, then a gather.
    Returns shape ``(len(q), n_columns)`` for array ``q`` or ``(n_columns,)`` for scalar.
    """
    qs = np.atleast_1d(np.asarray(q, dtype=float))
    srt = np.sort(values, axis=0)  # NaN sort to the end
    n = np.sum(~np.isnan(values), axis=0)
    pos = qs[:, None] * np.maximum(n - 1, 0)[None, :]
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0)[None, :])
    frac = pos - lo
    cols = np.arange(values.shape[1])[None, :]
    a, b = srt[lo, cols], srt[hi, cols]
    # numpy's lerp: stays inside [a, b] and is exact when a == b (a * (1 - f) + b * f
    # is not, and a quantile just below every sample empties the expected-shortfall tail)
    diff = b - a
    out = np.where(frac >= 0.5, b - diff * (1 - frac), a + diff * frac)
    out = np.where(frac == 0, a, out)  # exact when q hits a sample point
    out[:, n == 0] = np.nan
    return out if np.ndim(q) else out[0]


Moments = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]


@numba.njit(cache=True)
def _moments_kernel(values: FloatArray) -> FloatArray:  # pragma: no cover - numba
    # two passes per column (mean, then central moments): stable and no temporaries
    T, m = values.shape
    out = np.zeros((5, m))
    for j in range(m):
        n, s = 0, 0.0
        for t in range(T):
            v = values[t, j]
            if not np.isnan(v):
                n += 1
                s += v
        mean = s / n if n > 0 else np.nan
        m2 = m3 = m4 = 0.0
        for t in range(T):
            v = values[t, j]
            if not np.isnan(v):
                d = v - mean
                d2 = d * d
                m2 += d2
                m3 += d2 * d
                m4 += d2 * d2
        out[0, j], out[1, j], out[2, j], out[3, j], out[4, j] = n, mean, m2, m3, m4
    return out


def nan_moments(values: FloatArray) -> Moments:
    """Count, mean, sample standard deviation (ddof=1), population skew and excess kurtosis."""
    n, mean, s2, s3, s4 = _moments_kernel(np.asarray(values, dtype=np.float64))
    return moments_from_sums(n, mean, s2, s3, s4)


def moments_from_sums(
    n: FloatArray, mean: FloatArray, s2: FloatArray, s3: FloatArray, s4: FloatArray
) -> Moments:
    """Finish :func:`nan_moments` from counts, means and central power sums."""
    with np.errstate(invalid="ignore", divide="ignore"):
        m2, m3, m4 = s2 / n, s3 / n, s4 / n
        std = np.sqrt(s2 / (n - 1))
        skew = m3 / m2**1.5
        kurt = m4 / m2**2 - 3.0
    std = np.where(n > 1, std, np.nan)
    return n, mean, std, skew, kurt


ProgressCallback: TypeAlias = Callable[[float, str], None]
