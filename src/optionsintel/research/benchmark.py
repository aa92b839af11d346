"""Performance relative to a benchmark: alpha and beta (OLS), rolling alpha/beta, capture ratios.

Glossary: ``y = r - rf`` excess return of the asset, ``x = b - rf`` excess return
of the benchmark, regression ``y_t = alpha + beta x_t + e_t`` on the dates where
both are present. ``N`` periods per year.
"""

from __future__ import annotations

from typing import Any, Literal

import numba
import numpy as np
import pandas as pd
from scipy import stats

from optionsintel.research._common import (
    ALPHA_ANNUALISATIONS,
    AlphaAnnualisation,
    FloatArray,
    ResearchInputError,
    ReturnsLike,
    as_column_operand,
    normalise,
)

__all__ = [
    "ALPHA_BETA_FIELDS",
    "alpha_beta",
    "annualise_alpha",
    "capture",
    "down_capture",
    "rolling_alpha_beta",
    "up_capture",
    "up_down_capture",
]

CovType = Literal["nonrobust", "HC1", "HAC"]
ALPHA_BETA_FIELDS = (
    "alpha", "beta", "alpha_se", "beta_se", "alpha_ci_low", "alpha_ci_high",
    "beta_ci_low", "beta_ci_high", "alpha_tstat", "beta_tstat", "alpha_pvalue",
    "beta_pvalue", "r_squared", "n_obs",
)  # fmt: skip


@numba.njit(cache=True)
def _pair_sums(y: FloatArray, x: FloatArray) -> FloatArray:  # pragma: no cover - numba
    # per column over rows where both are present: n, means, centred cross-products
    T, m = y.shape
    out = np.zeros((6, m))
    for j in range(m):
        jx = j if x.shape[1] > 1 else 0
        n, sx, sy = 0, 0.0, 0.0
        for t in range(T):
            if not (np.isnan(y[t, j]) or np.isnan(x[t, jx])):
                n += 1
                sx += x[t, jx]
                sy += y[t, j]
        xb, yb = (sx / n, sy / n) if n > 0 else (np.nan, np.nan)
        sxx = sxy = syy = 0.0
        for t in range(T):
            if not (np.isnan(y[t, j]) or np.isnan(x[t, jx])):
                dx, dy = x[t, jx] - xb, y[t, j] - yb
                sxx += dx * dx
                sxy += dx * dy
                syy += dy * dy
        out[0, j], out[1, j], out[2, j] = n, xb, yb
        out[3, j], out[4, j], out[5, j] = sxx, sxy, syy
    return out


def _ols_kernel(y: FloatArray, x: FloatArray, level: float) -> dict[str, FloatArray]:
    """Column-wise simple OLS with classical standard errors (closed form)."""
    sums = _pair_sums(
        np.ascontiguousarray(y, dtype=np.float64), np.ascontiguousarray(x, dtype=np.float64)
    )
    return _ols_from_sums(sums, level)


def _ols_from_sums(sums: FloatArray, level: float) -> dict[str, FloatArray]:
    """Finish :func:`_ols_kernel` from the rows of :func:`_pair_sums`."""
    n, x_bar, y_bar, sxx, sxy, syy = sums
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = sxy / sxx
        alpha = y_bar - beta * x_bar
        ssr = np.maximum(syy - beta * sxy, 0.0)
        s2 = ssr / (n - 2)
        se_b = np.sqrt(s2 / sxx)
        se_a = np.sqrt(s2 * (1.0 / n + x_bar**2 / sxx))
        r2 = 1.0 - ssr / syy
    ok = (n >= 3) & (sxx > 0)
    out = {"alpha": alpha, "beta": beta, "alpha_se": se_a, "beta_se": se_b, "r_squared": r2}
    out = {k: np.where(ok, v, np.nan) for k, v in out.items()}
    dof = np.where(n > 2, n - 2, np.nan)
    tcrit = stats.t.ppf(0.5 + level / 2.0, dof)
    for name in ("alpha", "beta"):
        est, se = out[name], out[f"{name}_se"]
        with np.errstate(invalid="ignore", divide="ignore"):
            t = est / se
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = est - tcrit * se, est + tcrit * se
        out[f"{name}_tstat"] = t
        out[f"{name}_pvalue"] = 2.0 * stats.t.sf(np.abs(t), dof)
    out["n_obs"] = n
    return out


def annualise_alpha(
    res: dict[str, FloatArray], periods_per_year: float, method: AlphaAnnualisation
) -> None:
    """Annualise the per-period ``alpha`` (and its SE and interval) of ``res`` in place.

    ``"arithmetic"``: ``alpha x N`` (SE and bounds scale alike). ``"compounded"``:
    ``(1 + alpha)^N - 1`` as empyrical; the interval bounds go through the same monotone
    map and the SE through the delta method, ``N (1 + alpha)^(N - 1) se``.
    """
    n = periods_per_year
    if method == "arithmetic":
        for key in ("alpha", "alpha_se", "alpha_ci_low", "alpha_ci_high"):
            res[key] = res[key] * n
        return
    if method != "compounded":
        raise ResearchInputError(
            f"alpha_annualisation must be one of {ALPHA_ANNUALISATIONS}; got {method!r}"
        )
    a = res["alpha"]
    with np.errstate(invalid="ignore", over="ignore"):
        res["alpha_se"] = res["alpha_se"] * n * np.power(1.0 + a, n - 1.0)
        for key in ("alpha", "alpha_ci_low", "alpha_ci_high"):
            res[key] = np.power(1.0 + res[key], n) - 1.0


def _statsmodels_one(
    y: FloatArray, x: FloatArray, level: float, cov_type: CovType
) -> dict[str, float]:
    mask = ~np.isnan(y) & ~np.isnan(x)
    if mask.sum() < 3 or np.ptp(x[mask]) == 0:
        return {k: np.nan for k in ALPHA_BETA_FIELDS} | {"n_obs": float(mask.sum())}
    kwargs = (
        {"maxlags": int(np.floor(4 * (mask.sum() / 100) ** (2 / 9)))} if cov_type == "HAC" else {}
    )
    import statsmodels.api as sm  # seconds to import: only when a regression is fitted

    fit = sm.OLS(y[mask], sm.add_constant(x[mask])).fit(cov_type=cov_type, cov_kwds=kwargs or None)
    ci = np.asarray(fit.conf_int(alpha=1 - level))
    se, t, p, prm = (np.asarray(v) for v in (fit.bse, fit.tvalues, fit.pvalues, fit.params))
    return {
        "alpha": prm[0], "beta": prm[1], "alpha_se": se[0], "beta_se": se[1],
        "alpha_ci_low": ci[0, 0], "alpha_ci_high": ci[0, 1], "beta_ci_low": ci[1, 0],
        "beta_ci_high": ci[1, 1], "alpha_tstat": t[0], "beta_tstat": t[1],
        "alpha_pvalue": p[0], "beta_pvalue": p[1], "r_squared": fit.rsquared,
        "n_obs": float(mask.sum()),
    }  # fmt: skip


def alpha_beta(
    returns: ReturnsLike,
    benchmark: ReturnsLike,
    risk_free: float | ReturnsLike = 0.0,
    periods_per_year: float = 252.0,
    confidence_level: float = 0.95,
    cov_type: CovType = "nonrobust",
    engine: Literal["auto", "statsmodels", "closed_form"] = "auto",
    alpha_annualisation: AlphaAnnualisation = "arithmetic",
) -> pd.Series | pd.DataFrame:
    """Jensen's alpha and beta against a benchmark, with standard errors and intervals.

    Parameters
    ----------
    returns
        Asset returns: a Series (one symbol) or wide DataFrame (many symbols).
    benchmark
        Benchmark returns; pandas inputs are aligned on the date index.
    risk_free
        Per-period risk-free return (scalar or aligned series).
    periods_per_year
        ``N``, the periods per year that annualise ``alpha`` (and its SE and interval).
    confidence_level
        Level of the confidence intervals (t distribution, ``n - 2`` dof).
    cov_type
        ``"nonrobust"`` (classical), ``"HC1"`` (White) or ``"HAC"`` (Newey-West with
        ``floor(4 (n/100)^(2/9))`` lags); the robust ones always use statsmodels.
    engine
        ``"auto"``: statsmodels for a single series or a robust ``cov_type``, the
        vectorised closed form (identical numbers, tested) for wide frames.
    alpha_annualisation
        ``"arithmetic"`` (**default**): ``alpha x N``, Jensen's alpha scaled linearly,
        whose SE and interval scale alike. ``"compounded"``: ``(1 + alpha)^N - 1``, the
        convention of empyrical's ``alpha_beta`` (since 0.3); interval bounds are
        mapped the same way and the SE by the delta method.

    Returns
    -------
    Series (one symbol) or DataFrame (one row per symbol)
        Fields :data:`ALPHA_BETA_FIELDS`. NaN with fewer than 3 paired observations
        or a constant benchmark.

    Notes
    -----
    OLS ``r - rf = alpha + beta (b - rf) + e``: ``beta = cov(x, y) / var(x)``,
    ``alpha = mean(y) - beta mean(x)`` per period (statsmodels ``OLS``). ``beta`` equals
    empyrical's; ``alpha`` equals empyrical's only with
    ``alpha_annualisation="compounded"`` (empyrical compounds, ``(1 + a)^N - 1``; the
    default here multiplies, ``a N``; issue 11.5).
    """
    norm = normalise(returns)
    x = as_column_operand(benchmark, norm)
    rf = as_column_operand(risk_free, norm)
    y = norm.values - rf
    x = np.broadcast_to(x - rf, y.shape)
    use_sm = engine == "statsmodels" or (
        engine == "auto" and (cov_type != "nonrobust" or y.shape[1] == 1)
    )
    if use_sm:
        rows = [
            _statsmodels_one(y[:, j], x[:, j], confidence_level, cov_type)
            for j in range(y.shape[1])
        ]
        res = {k: np.array([row[k] for row in rows], dtype=float) for k in ALPHA_BETA_FIELDS}
    else:
        if cov_type != "nonrobust":
            raise ResearchInputError("the closed-form engine only supports cov_type='nonrobust'")
        res = _ols_kernel(y, x, confidence_level)
    annualise_alpha(res, periods_per_year, alpha_annualisation)
    table = pd.DataFrame({k: res[k] for k in ALPHA_BETA_FIELDS})
    if norm.kind == "frame":
        table.index = norm.columns
        return table
    if norm.kind in ("series", "array1d"):
        return table.iloc[0].rename(norm.name)
    return table


def rolling_alpha_beta(
    returns: pd.Series | pd.DataFrame,
    benchmark: pd.Series,
    window: int = 63,
    risk_free: float = 0.0,
    periods_per_year: float = 252.0,
    min_obs: int = 3,
    alpha_annualisation: AlphaAnnualisation = "arithmetic",
) -> pd.DataFrame:
    """Compute rolling OLS alpha (annualised), beta and beta standard error.

    Parameters
    ----------
    returns, benchmark
        Pandas returns aligned on the date index.
    window
        Rows per window (a NaN inside a window is skipped, as in empyrical).
    min_obs
        Windows with fewer paired observations give NaN.
    alpha_annualisation
        ``"arithmetic"`` (**default**, ``alpha x N``) or ``"compounded"``
        (``(1 + alpha)^N - 1``, empyrical); see :func:`alpha_beta`.

    Returns
    -------
    DataFrame
        For a Series: columns ``alpha``, ``beta``, ``beta_se``. For a DataFrame:
        two-level columns ``(field, symbol)``. Rows before the first full window are NaN.

    Notes
    -----
    Windowed sums by cumulative sums (O(T n)); same estimator as :func:`alpha_beta`.
    """
    if window < 2:
        raise ResearchInputError("rolling window must be >= 2 periods")
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    norm = normalise(frame)
    x = np.broadcast_to(as_column_operand(benchmark, norm) - risk_free, norm.values.shape)
    y = norm.values - risk_free
    mask = ~np.isnan(x) & ~np.isnan(y)
    x0, y0 = np.where(mask, x, 0.0), np.where(mask, y, 0.0)
    sums = [_window_sum(a, window) for a in (mask.astype(float), x0, y0, x0 * x0, x0 * y0, y0 * y0)]
    n, sx, sy, sxx, sxy, syy = sums
    with np.errstate(invalid="ignore", divide="ignore"):
        vxx, vxy, vyy = sxx - sx * sx / n, sxy - sx * sy / n, syy - sy * sy / n
        beta = vxy / vxx
        alpha = (sy - beta * sx) / n
        se = np.sqrt(np.maximum(vyy - beta * vxy, 0.0) / (n - 2) / vxx)
    ok = (n >= min_obs) & (vxx > 1e-300)
    fields = {
        "alpha": np.where(ok, _annual(alpha, periods_per_year, alpha_annualisation), np.nan),
        "beta": np.where(ok, beta, np.nan),
        "beta_se": np.where(ok & (n > 2), se, np.nan),
    }
    if isinstance(returns, pd.Series):
        return pd.DataFrame({k: v[:, 0] for k, v in fields.items()}, index=frame.index)
    parts = {
        k: pd.DataFrame(v, index=frame.index, columns=frame.columns) for k, v in fields.items()
    }
    return pd.concat(parts, axis=1)


def _annual(alpha: FloatArray, n: float, method: AlphaAnnualisation) -> FloatArray:
    res = {"alpha": alpha, "alpha_se": np.zeros_like(alpha)}
    res |= {"alpha_ci_low": alpha, "alpha_ci_high": alpha}
    annualise_alpha(res, n, method)
    return res["alpha"]


def _window_sum(a: FloatArray, window: int) -> FloatArray:
    cs = np.vstack([np.zeros((1, a.shape[1])), np.cumsum(a, axis=0)])
    out = np.full(a.shape, np.nan)
    if a.shape[0] >= window:
        out[window - 1 :] = cs[window:] - cs[:-window]
    return out


def _subset_cagr(r: FloatArray, mask: FloatArray, periods_per_year: float) -> FloatArray:
    T = mask.sum(axis=0).astype(float)
    growth = np.exp(np.sum(np.where(mask, np.log1p(np.nan_to_num(r, nan=0.0)), 0.0), axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = growth ** (periods_per_year / T) - 1.0
    return np.where(T > 0, out, np.nan)


def _capture(
    returns: ReturnsLike, benchmark: ReturnsLike, side: str, periods_per_year: float
) -> Any:
    norm = normalise(returns)
    b = np.broadcast_to(as_column_operand(benchmark, norm), norm.values.shape)
    with np.errstate(invalid="ignore"):
        mask = {"up": b > 0, "down": b < 0, "all": np.ones_like(b, dtype=bool)}[side]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = _subset_cagr(norm.values, mask, periods_per_year) / _subset_cagr(
            b, mask, periods_per_year
        )
    return norm.scalar(out)


def capture(returns: ReturnsLike, benchmark: ReturnsLike, periods_per_year: float = 252.0) -> Any:
    """Capture ratio: CAGR of the asset over CAGR of the benchmark (empyrical ``capture``)."""
    return _capture(returns, benchmark, "all", periods_per_year)


def up_capture(
    returns: ReturnsLike, benchmark: ReturnsLike, periods_per_year: float = 252.0
) -> Any:
    """Up-market capture: the capture ratio over the periods when the benchmark rose.

    Notes
    -----
    ``CAGR(r | b > 0) / CAGR(b | b > 0)``, each CAGR annualised over the number of
    up periods (empyrical ``up_capture``). NaN when the benchmark never rose.
    """
    return _capture(returns, benchmark, "up", periods_per_year)


def down_capture(
    returns: ReturnsLike, benchmark: ReturnsLike, periods_per_year: float = 252.0
) -> Any:
    """Down-market capture ``CAGR(r | b < 0) / CAGR(b | b < 0)`` (empyrical ``down_capture``)."""
    return _capture(returns, benchmark, "down", periods_per_year)


def up_down_capture(
    returns: ReturnsLike, benchmark: ReturnsLike, periods_per_year: float = 252.0
) -> Any:
    """Ratio of up capture to down capture (empyrical ``up_down_capture``)."""
    up = up_capture(returns, benchmark, periods_per_year)
    down = down_capture(returns, benchmark, periods_per_year)
    with np.errstate(invalid="ignore", divide="ignore"):
        return up / down
