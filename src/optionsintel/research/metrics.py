"""Every performance and risk metric for many symbols at once (one row per symbol)."""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from optionsintel.research import _fused as fz
from optionsintel.research._common import (
    FloatArray,
    MetricsConfig,
    ResearchInputError,
    as_column_operand,
    moments_from_sums,
    normalise,
)
from optionsintel.research._fused import fused_column_stats
from optionsintel.research.benchmark import _ols_from_sums, _subset_cagr, annualise_alpha
from optionsintel.research.drawdown import _take
from optionsintel.research.performance import _sharpe_from_moments
from optionsintel.research.risk import _es_kernel, _var_kernel

BoolArray: TypeAlias = npt.NDArray[np.bool_]

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


def _raw_stats(r: FloatArray, b: FloatArray | None, cfg: MetricsConfig) -> FloatArray:
    """Run the fused kernel on symbol-major copies (each symbol's rows contiguous)."""
    rt = np.ascontiguousarray(r.T)
    st = np.sort(rt, axis=1)  # one sort per symbol serves tail ratio, VaR and ES (NaN last)
    bt = np.empty((0, r.shape[0])) if b is None else np.ascontiguousarray(b.T)
    rf, mar = cfg.risk_free_per_period, cfg.required_per_period
    return fused_column_stats(rt, st, bt, rf, mar, 1.0 - cfg.var_confidence)


def _ratio_metrics(raw: FloatArray, ann: FloatArray, N: float) -> dict[str, FloatArray]:
    """Sharpe, Sortino, downside risk, Calmar and omega from the raw sums."""
    n = raw[fz.N_OBS]
    with np.errstate(invalid="ignore", divide="ignore"):
        ex_std = np.where(n > 1, np.sqrt(raw[fz.EX_S2] / (n - 1)), np.nan)
        downside = np.where(n > 0, np.sqrt(raw[fz.DOWN_SQ] / n) * np.sqrt(N), np.nan)
        sortino = raw[fz.ADJ_SUM] / n * N / downside
        mdd = np.minimum(raw[fz.DEPTH], 0.0)
        calmar = ann / np.abs(mdd)
        omega = raw[fz.OMEGA_UP] / raw[fz.OMEGA_DOWN]
    return {
        "sharpe_ratio": _sharpe_from_moments(n, raw[fz.EX_MEAN], ex_std, N),
        "sortino_ratio": np.where(n > 1, sortino, np.nan),
        "calmar_ratio": np.where((mdd < 0) & (n > 1), calmar, np.nan),
        "omega_ratio": np.where((raw[fz.OMEGA_DOWN] > 0) & (n > 1), omega, np.nan),
        "downside_risk": downside,
    }


def _core_metrics(raw: FloatArray, T: int, cfg: MetricsConfig) -> dict[str, FloatArray]:
    N = cfg.periods_per_year
    moments = moments_from_sums(*raw[fz.N_OBS : fz.S4 + 1])
    n, _, std, skew, kurt = moments
    n_per = T - raw[fz.FIRST_VALID] if cfg.trim_leading_nan and T else np.full(n.shape, T * 1.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ann = np.where(n_per > 0, raw[fz.GROWTH] ** (N / n_per) - 1.0, np.nan)
        tail = np.abs(raw[fz.Q95]) / np.abs(raw[fz.Q05])
        es_hist = np.where(raw[fz.ES_CNT] > 0, -raw[fz.ES_SUM] / raw[fz.ES_CNT], np.nan)
    out = {
        "n_obs": n,
        "total_return": np.where(T == 0, np.nan, raw[fz.GROWTH] - 1.0),
        "annual_return": ann,
        "annual_volatility": std * np.sqrt(N),
        **_ratio_metrics(raw, ann, N),
        "tail_ratio": tail,
        "skewness": skew,
        "excess_kurtosis": kurt,
        "var_historical": -raw[fz.Q_TAIL],
        "es_historical": es_hist,
    }
    for method in ("parametric", "cornish_fisher"):  # moment methods ignore the r argument
        out[f"var_{method}"] = _var_kernel(raw, cfg.var_confidence, method, moments)
        out[f"es_{method}"] = _es_kernel(raw, cfg.var_confidence, method, moments)
    return out


def _drawdown_columns(raw: FloatArray, index: pd.Index, hide: BoolArray) -> dict[str, Any]:
    """Deepest drawdown, its dates and duration as :func:`drawdown_details` reports them."""
    T = len(index)
    if T == 0:
        return {k: np.full(raw.shape[1], np.nan) for k in METRIC_COLUMNS[12:17]}
    depth = raw[fz.DEPTH]
    peak, trough, rec = (raw[k].astype(np.int64) for k in (fz.PEAK, fz.TROUGH, fz.RECOVERY))
    none = depth >= 0
    recovered = rec >= 0
    end = np.where(recovered, rec, T - 1)
    return {
        "max_drawdown": np.where(none, 0.0, depth),
        "drawdown_peak": _take(index, np.maximum(peak, 0), none | hide),
        "drawdown_trough": _take(index, trough, none | hide),
        "drawdown_recovery": _take(index, rec, none | ~recovered | hide),
        "drawdown_duration_periods": np.where(none, 0, end - peak).astype(float),
    }


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
    One fused numba pass per symbol (:mod:`optionsintel.research._fused`) collects
    the raw sums every metric needs, with one sort per symbol shared by the tail
    ratio, historical VaR and ES; the finishing formulas are vectorised over
    symbols and the frame is built once. Definitions and sources are in the
    individual metric functions, which this matches to 1e-12
    (``tests/research/test_metrics_fused.py``). An empty sample gives ``n_obs = 0``
    and NaN everywhere else.
    """
    cfg = config or MetricsConfig()
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    if not isinstance(frame, pd.DataFrame):
        raise ResearchInputError("compute_all_metrics needs a pandas DataFrame of returns")
    norm = normalise(frame)
    b = None if benchmark is None else as_column_operand(benchmark, norm)
    raw = _raw_stats(norm.values, b, cfg)
    res = _core_metrics(raw, len(frame), cfg)
    if b is not None:
        res |= _benchmark_metrics(raw, b, cfg)
    too_few = res["n_obs"] < cfg.min_periods
    res |= _drawdown_columns(raw, frame.index, too_few)
    cols = list(METRIC_COLUMNS) + (list(BENCHMARK_COLUMNS) if b is not None else [])
    for c in cols[1:]:
        if res[c].dtype.kind == "f":  # dates were hidden by _take already
            res[c] = np.where(too_few, np.nan, res[c])
    return pd.DataFrame({c: res[c] for c in cols}, index=frame.columns)


def _benchmark_metrics(raw: FloatArray, b: FloatArray, cfg: MetricsConfig) -> dict[str, FloatArray]:
    """Alpha/beta (closed-form OLS, annualised alpha) and capture ratios from the raw sums."""
    N = cfg.periods_per_year
    ols = _ols_from_sums(raw[fz.PAIR_N : fz.PAIR_SYY + 1], 0.95)
    annualise_alpha(ols, N, cfg.alpha_annualisation)
    out = {k: ols[k] for k in BENCHMARK_COLUMNS[:9]}
    with np.errstate(invalid="ignore"):
        masks = {"up": b > 0, "down": b < 0, "all": np.ones_like(b, dtype=bool)}
    for side, row, name in (
        ("up", fz.LOG_UP, "up_capture"),
        ("down", fz.LOG_DOWN, "down_capture"),
        ("all", fz.LOG_ALL, "capture"),
    ):
        periods = masks[side].sum(axis=0).astype(float)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            own = np.where(periods > 0, np.exp(raw[row]) ** (N / periods) - 1.0, np.nan)
            out[name] = own / _subset_cagr(b, masks[side], N)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["up_down_capture"] = out["up_capture"] / out["down_capture"]
    return out
