"""Report builder for the dashboards: metrics, risk level and coverage for a timeframe.

The caller reads prices from the store and passes a wide frame (index = dates,
columns = symbols); this module never touches the database and draws nothing (the
figures are built from the :class:`Report` by :func:`optionsintel.ui.figures.report_figures`).

Daily series are calendar-aware (:mod:`optionsintel.research.series`): the report finds
the gaps of each symbol against the NSE trading calendar, never computes a one-period
return across one, states the coverage and gaps in ``notes``, and refuses
(:class:`InsufficientCoverageError`) a ``1W``..``1Y`` timeframe whose window holds fewer
than ``ReportConfig.min_coverage`` (90 %) of the expected sessions.

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

from optionsintel.research._common import MetricsConfig, ProgressCallback, ResearchInputError
from optionsintel.research.correlation import correlation_matrix
from optionsintel.research.metrics import compute_all_metrics
from optionsintel.research.series import (
    SeriesCoverage,
    gap_aware_returns,
    is_daily_index,
    series_coverage,
)
from optionsintel.tz import EXCHANGE_TZ

__all__ = [
    "RISK_LEVELS",
    "TIMEFRAMES",
    "InsufficientCoverageError",
    "Report",
    "ReportConfig",
    "build_report",
    "risk_level",
]


class InsufficientCoverageError(ResearchInputError):
    """The prices do not cover the requested timeframe well enough to report on it."""


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
    min_coverage: float = 0.9


@dataclass
class Report:
    """Structured result of :func:`build_report`.

    ``returns`` (NaN across gaps) and ``benchmark_returns`` are the series the metrics
    were computed on; ``coverage`` holds each symbol's :class:`SeriesCoverage` of the
    window (its ``gaps`` frame lists the holes found).
    """

    symbols: list[str]
    timeframe: str
    start: Any
    end: Any
    periods_per_year: float
    metrics: pd.DataFrame
    risk_level: pd.Series
    correlation: pd.DataFrame
    returns: pd.DataFrame
    benchmark_returns: pd.Series | None
    var_column: str
    config: ReportConfig
    coverage: dict[str, SeriesCoverage] = field(default_factory=dict)
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
        ``correlation`` (Pearson), ``returns`` (gap-aware), ``coverage`` per symbol
        and ``notes`` (coverage and gaps found); figures come from
        :func:`optionsintel.ui.figures.report_figures`.

    Raises
    ------
    ResearchInputError
        For an unknown timeframe or symbols absent from ``prices``.
    InsufficientCoverageError
        When a ``1W``..``1Y`` window holds fewer than ``config.min_coverage`` of the
        NSE trading sessions it spans (the message says what the prices cover).
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
    coverage = _coverage(prices[symbols].sort_index(), window, timeframe, cfg, notes)
    rets = gap_aware_returns(window).iloc[1:]
    bench = None
    if benchmark is not None and timeframe != "1D":
        bench = gap_aware_returns(benchmark.sort_index()).reindex(rets.index)
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
    step(1.0, "done")
    start = window.index.min() if len(window) else None
    return Report(symbols, timeframe, start, window.index.max() if len(window) else None,
                  ppy, metrics, levels, corr, rets, bench, var_col, cfg, coverage,
                  notes)  # fmt: skip


def _coverage(
    prices: pd.DataFrame, window: pd.DataFrame, timeframe: str, cfg: ReportConfig, notes: list[str]
) -> dict[str, SeriesCoverage]:
    """Coverage of each symbol over the timeframe; refuse a window it cannot cover."""
    if timeframe == "1D" or not is_daily_index(prices.index) or prices.empty:
        return {}
    end = prices.index.max()
    start = prices.index.min() if timeframe == "ALL" else end - _OFFSETS[timeframe]
    out = {}
    for sym in prices.columns:
        cov = series_coverage(prices[sym].dropna().index, start, end)
        out[str(sym)] = cov
        if timeframe != "ALL" and cov.ratio < cfg.min_coverage:
            raise InsufficientCoverageError(
                f"{timeframe} cannot be reported honestly for {sym}: the prices hold "
                f"{cov.describe()}, under the {cfg.min_coverage:.0%} needed; choose a "
                "timeframe the data covers or ALL (returns across gaps are left out)"
            )
        if len(cov.gaps) or cov.ratio < 1.0:
            notes.append(f"{sym}: {cov.describe()}; no return is computed across a gap.")
    return out
