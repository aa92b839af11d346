"""Every performance and risk metric for many symbols at once (one row per symbol)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optionsintel.research._common import (
    FloatArray,
    MetricsConfig,
    ResearchInputError,
    as_column_operand,
    nan_moments,
    normalise,
)
from optionsintel.research.benchmark import _capture, _ols_kernel
from optionsintel.research.drawdown import drawdown_details
from optionsintel.research.performance import (
    _calmar_kernel,
    _downside_kernel,
    _omega_kernel,
    _sharpe_kernel,
    _sortino_kernel,
    _tail_kernel,
)
from optionsintel.research.returns import _annual_return_kernel, _total_return_kernel
from optionsintel.research.risk import _es_kernel, _var_kernel

__all__ = ["METRIC_COLUMNS", "compute_all_metrics"]

METRIC_COLUMNS = (
    "n_obs", "total_return", "annual_return", "annual_volatility", "sharpe_ratio",
    "sortino_ratio", "calmar_ratio", "omega_ratio", "downside_risk", "tail_ratio",
    "skewness", "excess_kurtosis", "max_drawdown", "drawdown_peak", "drawdown_trough",
    "drawdown_recovery", "drawdown_duration_periods",
    "var_historical", "var_parametric", "var_cornish_fisher",
    "es_historical", "es_parametric", "es_cornish_fisher",
)  # fmt: skip
BENCHMARK_COLUMNS = (
    "alpha", "beta", "alpha_se", "beta_se", "alpha_ci_low", "alpha_ci_high",
    "beta_ci_low", "beta_ci_high", "r_squared", "up_capture", "down_capture",
    "up_down_capture", "capture",
)  # fmt: skip


def _periods_since_first_valid(r: FloatArray, trim: bool) -> FloatArray:
    T = r.shape[0]
    if not trim or T == 0:
        return np.full(r.shape[1], float(T))
    valid = ~np.isnan(r)
    first = np.where(valid.any(axis=0), np.argmax(valid, axis=0), T)
    return (T - first).astype(float)


def _core_metrics(r: FloatArray, cfg: MetricsConfig) -> dict[str, FloatArray]:
    N = cfg.periods_per_year
    n_per = _periods_since_first_valid(r, cfg.trim_leading_nan)
    moments = nan_moments(r)
    n, _, std, skew, kurt = moments
    out = {
        "n_obs": n,
        "total_return": _total_return_kernel(r),
        "annual_return": _annual_return_kernel(r, N, n_per),
        "annual_volatility": std * np.sqrt(N),
        "sharpe_ratio": _sharpe_kernel(r - cfg.risk_free_per_period, N),
        "sortino_ratio": _sortino_kernel(r - cfg.required_per_period, N),
        "calmar_ratio": _calmar_kernel(r, N, n_per),
        "omega_ratio": _omega_kernel(r - cfg.risk_free_per_period - cfg.required_per_period),
        "downside_risk": _downside_kernel(r - cfg.required_per_period, N),
        "tail_ratio": _tail_kernel(r),
        "skewness": skew,
        "excess_kurtosis": kurt,
    }
    c = cfg.var_confidence
    for method in ("historical", "parametric", "cornish_fisher"):
        out[f"var_{method}"] = _var_kernel(r, c, method, moments)
        out[f"es_{method}"] = _es_kernel(r, c, method, moments)
    return out


def compute_all_metrics(
    returns: pd.DataFrame | pd.Series,
    benchmark: pd.Series | None = None,
    config: MetricsConfig | None = None,
) -> pd.DataFrame:
    """Every metric of :mod:`optionsintel.research` for each symbol of a wide returns frame.

    Parameters
    ----------
    returns
        Simple returns, index = dates, one column per symbol (a Series is one symbol).
    benchmark
        Optional benchmark returns (aligned on the index); adds alpha/beta (OLS,
        annualised alpha, standard errors and confidence intervals) and capture ratios.
    config
        Conventions (:class:`MetricsConfig`): annualisation, annual risk-free rate,
        required return, VaR/ES confidence, minimum observations, leading-NaN trimming.

    Returns
    -------
    DataFrame
        One row per symbol, columns :data:`METRIC_COLUMNS` (plus
        ``BENCHMARK_COLUMNS`` with a benchmark). VaR/ES are positive per-period
        losses at ``config.var_confidence``; drawdown dates are index labels.
        Symbols with fewer than ``config.min_periods`` observations are all-NaN.

    Notes
    -----
    All kernels are column-vectorised NumPy (no loop over symbols); definitions
    and sources are in the individual metric functions.
    """
    cfg = config or MetricsConfig()
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    if not isinstance(frame, pd.DataFrame):
        raise ResearchInputError("compute_all_metrics needs a pandas DataFrame of returns")
    norm = normalise(frame)
    r = norm.values
    res = _core_metrics(r, cfg)
    if benchmark is not None:
        res |= _benchmark_metrics(norm, benchmark, cfg)
    table = pd.DataFrame(res, index=frame.columns)
    dd = drawdown_details(frame) if len(frame) else None
    if dd is not None:
        table["max_drawdown"] = dd["max_drawdown"]
        table["drawdown_peak"] = dd["peak_date"]
        table["drawdown_trough"] = dd["trough_date"]
        table["drawdown_recovery"] = dd["recovery_date"]
        table["drawdown_duration_periods"] = dd["duration_periods"]
    cols = list(METRIC_COLUMNS) + (list(BENCHMARK_COLUMNS) if benchmark is not None else [])
    table = table.reindex(columns=cols)
    too_few = table["n_obs"].fillna(0).to_numpy() < cfg.min_periods
    table.loc[too_few, [c for c in cols if c != "n_obs"]] = np.nan
    return table


def _benchmark_metrics(norm, benchmark: pd.Series, cfg: MetricsConfig) -> dict[str, FloatArray]:  # type: ignore[no-untyped-def]
    rf = cfg.risk_free_per_period
    x = as_column_operand(benchmark, norm) - rf
    ols = _ols_kernel(norm.values - rf, x, 0.95)
    for key in ("alpha", "alpha_se", "alpha_ci_low", "alpha_ci_high"):
        ols[key] = ols[key] * cfg.periods_per_year
    out = {k: ols[k] for k in BENCHMARK_COLUMNS[:9]}
    r, b, N = norm.values, as_column_operand(benchmark, norm), cfg.periods_per_year
    for side, name in (("up", "up_capture"), ("down", "down_capture"), ("all", "capture")):
        out[name] = np.atleast_1d(_capture(r, b, side, N))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["up_down_capture"] = out["up_capture"] / out["down_capture"]
    return out
