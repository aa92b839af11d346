"""Report builder for the dashboards: metrics, risk level and plotly figures for a timeframe.

The caller reads prices from the store and passes a wide frame (index = dates,
columns = symbols); this module never touches the database.

Timeframes: ``1D`` (last session; needs ``intraday_prices``), ``1W``, ``1M``,
``3M``, ``1Y`` (calendar offsets back from the last date) and ``ALL``.

Risk level (per symbol) is the higher of two grades:

============  ========================  ===========================================
level         annualised volatility     95 % one-day VaR (daily-equivalent loss)
============  ========================  ===========================================
LOW           < 15 %                    < 1.5 %
MEDIUM        15 % - 25 %               1.5 % - 2.5 %
HIGH          25 % - 40 %               2.5 % - 4 %
VERY_HIGH     >= 40 %                   >= 4 %
UNKNOWN       metrics not computable (too few observations)
============  ========================  ===========================================

The thresholds are :class:`ReportConfig` fields; the per-period VaR is scaled to one
trading day with the square-root-of-time rule ``VaR * sqrt(bars_per_day)``. The
band edges follow common practice (NIFTY 50's long-run volatility is ~17-20 %).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optionsintel.research._common import MetricsConfig, ProgressCallback, ResearchInputError
from optionsintel.research.correlation import correlation_matrix
from optionsintel.research.drawdown import drawdown
from optionsintel.research.metrics import compute_all_metrics
from optionsintel.research.performance import rolling_sharpe
from optionsintel.tz import EXCHANGE_TZ

__all__ = ["RISK_LEVELS", "TIMEFRAMES", "Report", "ReportConfig", "build_report", "risk_level"]

Timeframe = Literal["1D", "1W", "1M", "3M", "1Y", "ALL"]
TIMEFRAMES: tuple[str, ...] = ("1D", "1W", "1M", "3M", "1Y", "ALL")
RISK_LEVELS = ("LOW", "MEDIUM", "HIGH", "VERY_HIGH")
_OFFSETS = {
    "1W": pd.DateOffset(weeks=1), "1M": pd.DateOffset(months=1),
    "3M": pd.DateOffset(months=3), "1Y": pd.DateOffset(years=1),
}  # fmt: skip


@dataclass(frozen=True)
class ReportConfig:
    """Settings of :func:`build_report` (metric conventions and risk thresholds)."""

    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    vol_thresholds: tuple[float, float, float] = (0.15, 0.25, 0.40)
    var_thresholds: tuple[float, float, float] = (0.015, 0.025, 0.04)
    max_plot_symbols: int = 10
    histogram_bins: int = 60


@dataclass
class Report:
    """Structured result of :func:`build_report`."""

    symbols: list[str]
    timeframe: str
    start: Any
    end: Any
    periods_per_year: float
    metrics: pd.DataFrame
    risk_level: pd.Series
    correlation: pd.DataFrame
    figures: dict[str, go.Figure]
    notes: list[str] = field(default_factory=list)


def risk_level(
    annual_volatility: pd.Series,
    daily_var: pd.Series,
    vol_thresholds: tuple[float, float, float] = (0.15, 0.25, 0.40),
    var_thresholds: tuple[float, float, float] = (0.015, 0.025, 0.04),
) -> pd.Series:
    """Grade symbols LOW / MEDIUM / HIGH / VERY_HIGH (UNKNOWN when both inputs are NaN).

    Notes
    -----
    Each input is graded by how many thresholds it reaches (0-3); the level is the
    higher grade, so either a high volatility or a fat one-day tail raises it.
    """
    vol = np.searchsorted(
        np.asarray(vol_thresholds), annual_volatility.to_numpy(float), side="right"
    )
    var = np.searchsorted(np.asarray(var_thresholds), daily_var.to_numpy(float), side="right")
    vol = np.where(annual_volatility.isna(), -1, vol)
    var = np.where(daily_var.isna(), -1, var)
    grade = np.maximum(vol, var)
    names = np.array([*RISK_LEVELS, "UNKNOWN"])
    return pd.Series(
        names[np.where(grade < 0, 4, grade)], index=annual_volatility.index, name="risk_level"
    )


def _window(
    prices: pd.DataFrame, timeframe: str, intraday: pd.DataFrame | None, cfg: MetricsConfig
) -> tuple[pd.DataFrame, float, list[str]]:
    notes: list[str] = []
    if timeframe == "1D":
        if intraday is None or intraday.empty:
            notes.append(
                "1D on daily prices is a single return: volatility, ratios and VaR need "
                "intraday bars; pass intraday_prices to analyse the last session."
            )
            return prices.iloc[-2:], cfg.periods_per_year, notes
        idx = pd.DatetimeIndex(intraday.index)
        day = (idx.tz_convert(EXCHANGE_TZ) if idx.tz is not None else idx).normalize()
        per_day = float(pd.Series(1, index=day).groupby(level=0).size().median())
        last = intraday.loc[np.asarray(day == day.max())]
        notes.append(
            f"1D uses {len(last)} intraday bars; annualised with {per_day:.0f} bars/day x 252."
        )
        return last, cfg.periods_per_year * per_day, notes
    if timeframe == "ALL":
        return prices, cfg.periods_per_year, notes
    start = prices.index.max() - _OFFSETS[timeframe]
    return prices.loc[prices.index >= start], cfg.periods_per_year, notes


def build_report(
    prices: pd.DataFrame,
    symbols: list[str] | None = None,
    timeframe: Timeframe = "1Y",
    benchmark: pd.Series | None = None,
    config: ReportConfig | None = None,
    progress: ProgressCallback | None = None,
    intraday_prices: pd.DataFrame | None = None,
) -> Report:
    """Metrics, risk levels and figures for ``symbols`` over ``timeframe``.

    Parameters
    ----------
    prices
        Wide frame of prices (index = dates ascending, columns = symbols).
    symbols
        Columns to report (default: all).
    timeframe
        One of :data:`TIMEFRAMES`.
    benchmark
        Benchmark *prices* on the same calendar (adds alpha/beta and capture ratios).
    config
        :class:`ReportConfig`.
    progress
        Called as ``progress(fraction, message)`` while the report is built.
    intraday_prices
        Wide intraday prices for the ``1D`` timeframe.

    Returns
    -------
    Report
        ``metrics`` (one row per symbol, :func:`compute_all_metrics`), ``risk_level``,
        ``correlation`` (Pearson), ``figures`` (``equity``, ``drawdown``,
        ``rolling_sharpe``, ``correlation``, ``distribution``) and ``notes``.

    Raises
    ------
    ResearchInputError
        For an unknown timeframe or symbols absent from ``prices``.
    """
    cfg = config or ReportConfig()
    step = progress or (lambda _f, _m: None)
    if timeframe not in TIMEFRAMES:
        raise ResearchInputError(f"timeframe must be one of {TIMEFRAMES}; got {timeframe!r}")
    symbols = list(prices.columns) if symbols is None else list(symbols)
    absent = [s for s in symbols if s not in prices.columns]
    if absent:
        raise ResearchInputError(f"symbols {absent} are not columns of the price frame")
    step(0.05, "selecting window")
    source = (
        intraday_prices[symbols] if (timeframe == "1D" and intraday_prices is not None) else None
    )
    window, ppy, notes = _window(prices[symbols].sort_index(), timeframe, source, cfg.metrics)
    rets = window.pct_change(fill_method=None).iloc[1:]
    bench = None
    if benchmark is not None and timeframe != "1D":
        bench = benchmark.sort_index().pct_change(fill_method=None).reindex(rets.index)
    mcfg = replace(cfg.metrics, periods_per_year=ppy)
    step(0.25, f"computing metrics for {len(symbols)} symbols")
    metrics = compute_all_metrics(rets, bench, mcfg)
    var_col = f"var_{mcfg.var_method}"
    daily_var = metrics[var_col] * np.sqrt(ppy / cfg.metrics.periods_per_year)
    levels = risk_level(
        metrics["annual_volatility"], daily_var, cfg.vol_thresholds, cfg.var_thresholds
    )
    step(0.5, "correlations")
    corr = correlation_matrix(rets) if rets.shape[1] > 1 else pd.DataFrame(1.0, symbols, symbols)
    step(0.6, "figures")
    figures = _figures(rets, bench, metrics, corr, cfg, mcfg, var_col)
    step(1.0, "done")
    start = window.index.min() if len(window) else None
    return Report(symbols, timeframe, start, window.index.max() if len(window) else None,
                  ppy, metrics, levels, corr, figures, notes)  # fmt: skip


def _figures(
    rets: pd.DataFrame,
    bench: pd.Series | None,
    metrics: pd.DataFrame,
    corr: pd.DataFrame,
    cfg: ReportConfig,
    mcfg: MetricsConfig,
    var_col: str,
) -> dict[str, go.Figure]:
    shown = list(rets.columns[: cfg.max_plot_symbols])
    r = rets[shown]
    wealth = (1.0 + r.fillna(0.0)).cumprod()
    eq = go.Figure([go.Scatter(x=wealth.index, y=wealth[c], name=str(c)) for c in shown])
    if bench is not None:
        bw = (1.0 + bench.fillna(0.0)).cumprod()
        eq.add_scatter(x=bw.index, y=bw, name="benchmark", line={"dash": "dash"})
    eq.update_layout(title="Equity curve (growth of 1)", yaxis_title="wealth")
    dd = drawdown(r)
    ddf = go.Figure([go.Scatter(x=dd.index, y=dd[c], name=str(c), fill="tozeroy") for c in shown])
    ddf.update_layout(title="Drawdown", yaxis_tickformat=".0%")
    win = max(2, min(mcfg.rolling_window, len(r) // 2))
    rs = rolling_sharpe(r, win, mcfg.risk_free_per_period, mcfg.periods_per_year)
    rsf = go.Figure([go.Scatter(x=rs.index, y=rs[c], name=str(c)) for c in shown])
    rsf.update_layout(title=f"Rolling Sharpe ({win} periods)")
    labels = [str(c) for c in corr.columns]
    heat = go.Figure(
        go.Heatmap(z=corr.to_numpy(), x=labels, y=labels, zmin=-1, zmax=1, colorscale="RdBu")
    )
    heat.update_layout(title="Correlation (Pearson)")
    dist = go.Figure()
    for c in shown:
        dist.add_histogram(x=r[c].dropna(), name=str(c), nbinsx=cfg.histogram_bins, opacity=0.6)
        var = metrics.loc[c, var_col]
        if np.isfinite(var):
            dist.add_vline(x=-var, line_dash="dash", annotation_text=f"VaR {c}")
    conf = round(mcfg.var_confidence * 100)
    dist.update_layout(
        title=f"Return distribution with {conf}% VaR ({mcfg.var_method})", barmode="overlay"
    )
    return {
        "equity": eq,
        "drawdown": ddf,
        "rolling_sharpe": rsf,
        "correlation": heat,
        "distribution": dist,
    }
