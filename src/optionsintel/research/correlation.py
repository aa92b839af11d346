"""Correlation matrices (Pearson, Spearman) and rolling correlations of returns."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from optionsintel.research._common import ResearchInputError

__all__ = ["correlation_matrix", "rolling_correlation"]


def correlation_matrix(
    returns: pd.DataFrame,
    method: Literal["pearson", "spearman"] = "pearson",
    min_periods: int = 2,
) -> pd.DataFrame:
    """Pairwise correlation matrix of a wide returns frame.

    Parameters
    ----------
    returns
        Wide frame, one column per symbol.
    method
        ``"pearson"`` (linear) or ``"spearman"`` (rank correlation, robust to fat tails).
    min_periods
        Minimum number of jointly observed rows per pair; fewer gives NaN.

    Returns
    -------
    DataFrame
        Symmetric, unit diagonal (NaN for columns without enough data).

    Notes
    -----
    Pairwise deletion of NaN (each pair uses the dates both symbols traded), as
    ``pandas.DataFrame.corr``. Spearman is Pearson on within-column average ranks.
    """
    if method not in ("pearson", "spearman"):
        raise ResearchInputError(f"method must be 'pearson' or 'spearman'; got {method!r}")
    if not isinstance(returns, pd.DataFrame):
        raise ResearchInputError("correlation_matrix needs a wide DataFrame (columns = symbols)")
    data = returns.astype(float)
    if method == "spearman":
        data = data.rank(method="average")
    if not data.isna().to_numpy().any() and len(data) >= min_periods:
        return pd.DataFrame(
            np.corrcoef(data.to_numpy(), rowvar=False).reshape(data.shape[1], data.shape[1]),
            index=data.columns,
            columns=data.columns,
        )
    return data.corr(method="pearson", min_periods=min_periods)


def rolling_correlation(
    returns: pd.Series | pd.DataFrame,
    window: int = 63,
    other: pd.Series | None = None,
) -> pd.DataFrame | pd.Series:
    """Compute rolling Pearson correlations.

    Parameters
    ----------
    returns
        Returns (Series or wide frame).
    window
        Rows per window (all must be present).
    other
        A benchmark series: the result is each column's rolling correlation with it
        (same shape as ``returns``). Without it, ``returns`` must be a frame and the
        result is the pairwise rolling matrix (index ``(date, symbol)``).
    """
    if window < 2:
        raise ResearchInputError("rolling window must be >= 2 periods")
    if other is not None:
        return returns.rolling(window).corr(other.reindex(returns.index))
    if not isinstance(returns, pd.DataFrame):
        raise ResearchInputError("pairwise rolling correlation needs a DataFrame or `other`")
    return returns.rolling(window).corr()
