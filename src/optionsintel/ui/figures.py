"""Plotly figures of the market monitor (created once, updated in place) and the report.

The figures are plain ``go.Figure`` objects (the data model); the page draws them through
one :class:`~optionsintel.ui.plotly_grid.PlotlyGrid`, whose ``Plotly.react`` updates keep
the live refresh free of flicker and the user's zoom where it was.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optionsintel.research.drawdown import drawdown
from optionsintel.research.performance import rolling_sharpe
from optionsintel.tz import EXCHANGE_TZ

if TYPE_CHECKING:  # the report stack (statsmodels...) is not a market monitor's import
    from optionsintel.research import Report

IST = EXCHANGE_TZ
CALL, PUT = "#d9534f", "#2e8b57"
_LAYOUT = {"height": 300, "margin": {"l": 48, "r": 16, "t": 40, "b": 36}, "autosize": True,
           "legend": {"orientation": "h", "y": -0.2}, "template": "plotly_white"}  # fmt: skip


def _figure(title: str, traces: list[go.BaseTraceType], **layout: object) -> go.Figure:
    fig = go.Figure(data=traces)
    fig.update_layout(title={"text": title, "font": {"size": 14}}, **_LAYOUT, **layout)
    return fig


def oi_figure(field: str, title: str) -> go.Figure:
    """Calls/puts bar chart of ``field`` (``oi`` or ``oi_change``) by strike."""
    bars = [go.Bar(name="Calls", marker_color=CALL, meta=f"ce_{field}"),
            go.Bar(name="Puts", marker_color=PUT, meta=f"pe_{field}")]  # fmt: skip
    return _figure(title, bars, barmode="group", xaxis_title="strike")


def update_oi_figure(fig: go.Figure, table: pd.DataFrame, marks: dict[str, float]) -> None:
    """Set the bars from a :func:`~optionsintel.ui.chain_view.trader_chain` frame.

    ``marks`` are vertical lines by label (spot, max pain, expected-move bounds).
    """
    x = table["strike"].to_numpy(float)
    shapes, notes = [], []
    shown = sorted((v, k) for k, v in marks.items() if v is not None and np.isfinite(v))
    # labels closer than 8 % of the strike range step down a row (spot and max pain a
    # strike apart printed over each other)
    near = 0.08 * (float(np.nanmax(x) - np.nanmin(x)) if len(x) else 0.0)
    row, last = 0, None
    for value, label in shown:
        row = row + 1 if last is not None and value - last < near else 0
        last = value
        dash = "dot" if label.startswith("move") else "dash"
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": value, "x1": value,
                       "y0": 0, "y1": 1, "line": {"dash": dash, "width": 1}})  # fmt: skip
        notes.append({"x": value, "y": 1 - 0.07 * row, "xref": "x", "yref": "paper",
                      "text": label, "showarrow": False, "font": {"size": 10},
                      "yanchor": "bottom" if row == 0 else "top"})  # fmt: skip
    with fig.batch_update():
        for trace in fig.data:
            trace.x, trace.y = x, table[trace.meta].to_numpy(float)
        fig.layout.shapes, fig.layout.annotations = shapes, notes


def intraday_figure() -> go.Figure:
    """PCR (left axis) and max pain with spot (right axis) through the day."""
    traces = [
        go.Scatter(name="PCR (OI)", mode="lines+markers", line={"color": "#5b6abf"}),
        go.Scatter(name="Max pain", mode="lines", yaxis="y2", line={"shape": "hv"}),
        go.Scatter(name="Spot", mode="lines", yaxis="y2", line={"color": "#888", "dash": "dot"}),
    ]
    return _figure("PCR and max pain through the day (IST)", traces,
                   yaxis={"title": "PCR"},
                   # max pain and spot in index points: 26,037, not plotly's SI '26.037k'
                   yaxis2={"title": "points", "overlaying": "y", "side": "right",
                           "tickformat": ",.0f"})  # fmt: skip


def update_intraday_figure(fig: go.Figure, series: pd.DataFrame) -> None:
    """Set the PCR / max pain / spot lines from :func:`~optionsintel.ui.data.intraday_series`."""
    x = pd.DatetimeIndex(pd.to_datetime(series["snapshot_ts"], utc=True)).tz_convert(IST)
    x = x.tz_localize(None)  # plotly shows naive times as-is: wall-clock IST
    with fig.batch_update():
        for trace, col in zip(fig.data, ("pcr_oi", "max_pain", "spot"), strict=True):
            trace.x, trace.y = x, series[col].to_numpy(float)


def smile_figure() -> go.Figure:
    """IV against strike: out-of-the-money IV with the call and put IVs."""
    traces = [
        go.Scatter(name="OTM IV", mode="lines+markers", line={"color": "#5b6abf"}),
        go.Scatter(name="Call IV", mode="markers", marker={"color": CALL, "size": 5}),
        go.Scatter(name="Put IV", mode="markers", marker={"color": PUT, "size": 5}),
    ]
    return _figure("IV smile", traces, xaxis_title="strike", yaxis_title="IV %")


def update_smile_figure(fig: go.Figure, smile: pd.DataFrame, spot: float) -> None:
    """Set the smile from :func:`optionsintel.chain.iv_smile` rows of one expiry."""
    x = smile["strike"].to_numpy(float)
    line = {"type": "line", "xref": "x", "yref": "paper", "x0": spot, "x1": spot, "y0": 0,
            "y1": 1, "line": {"dash": "dash", "width": 1}}  # fmt: skip
    with fig.batch_update():
        for trace, col in zip(fig.data, ("iv", "call_iv", "put_iv"), strict=True):
            trace.x, trace.y = x, smile[col].to_numpy(float)
        fig.layout.shapes = [line] if np.isfinite(spot) else []


def clear(fig: go.Figure) -> None:
    """Empty every trace (used by ``reset()`` and empty states)."""
    with fig.batch_update():
        for trace in fig.data:
            trace.x, trace.y = [], []
        fig.layout.shapes, fig.layout.annotations = [], []


# -- analytics report ----------------------------------------------------------------------
REPORT_FIGURES = ("equity", "drawdown", "rolling_sharpe", "correlation", "distribution")


def _break_at_gaps(frame: pd.DataFrame, report: Report) -> pd.DataFrame:
    """Insert a NaN row inside every gap so lines are not drawn across it."""
    cuts = [
        g.last_before + pd.Timedelta(days=1)
        for cov in report.coverage.values()
        for g in cov.gaps.itertuples()
    ]
    if not cuts:
        return frame
    blank = pd.DataFrame(np.nan, index=pd.DatetimeIndex(sorted(set(cuts))), columns=frame.columns)
    return pd.concat([frame, blank]).sort_index()


def report_figures(report: Report) -> dict[str, go.Figure]:
    """Equity, drawdown, rolling Sharpe, correlation and distribution figures of a report.

    Lines break at the gaps the report found (no straight line across missing sessions).
    """
    cfg = report.config
    mcfg = replace(cfg.metrics, periods_per_year=report.periods_per_year)
    shown = list(report.returns.columns[: cfg.max_plot_symbols])
    r = report.returns[shown]
    wealth = _break_at_gaps((1.0 + r.fillna(0.0)).cumprod(), report)
    eq = go.Figure([go.Scatter(x=wealth.index, y=wealth[c], name=str(c)) for c in shown])
    if report.benchmark_returns is not None:
        bw = (1.0 + report.benchmark_returns.fillna(0.0)).cumprod()
        eq.add_scatter(x=bw.index, y=bw, name="benchmark", line={"dash": "dash"})
    # legend below the plot: on a phone a legend at the side took a third of the chart
    eq.update_layout(title="Equity curve (growth of 1)", yaxis_title="wealth",
                     legend={"orientation": "h", "y": -0.2})  # fmt: skip
    dd = _break_at_gaps(drawdown(r), report)
    ddf = go.Figure([go.Scatter(x=dd.index, y=dd[c], name=str(c), fill="tozeroy") for c in shown])
    ddf.update_layout(title="Drawdown", yaxis_tickformat=".0%")
    win = max(2, min(mcfg.rolling_window, len(r) // 2))
    rs = rolling_sharpe(r, win, mcfg.risk_free_per_period, mcfg.periods_per_year)
    rsf = go.Figure([go.Scatter(x=rs.index, y=rs[c], name=str(c)) for c in shown])
    rsf.update_layout(title=f"Rolling Sharpe ({win} periods)")
    corr = report.correlation
    labels = [str(c) for c in corr.columns]
    heat = go.Figure(
        go.Heatmap(z=corr.to_numpy(), x=labels, y=labels, zmin=-1, zmax=1, colorscale="RdBu")
    )
    heat.update_layout(title="Correlation (Pearson)")
    return {"equity": eq, "drawdown": ddf, "rolling_sharpe": rsf, "correlation": heat,
            "distribution": _distribution(report, r, shown)}  # fmt: skip


def _distribution(report: Report, r: pd.DataFrame, shown: list[Any]) -> go.Figure:
    cfg, mcfg = report.config, report.config.metrics
    dist = go.Figure()  # VaR lines at the report's per-period VaR
    for c in shown:
        dist.add_histogram(x=r[c].dropna(), name=str(c), nbinsx=cfg.histogram_bins, opacity=0.6)
        var = report.metrics.loc[c, report.var_column]
        if np.isfinite(var):
            dist.add_vline(x=-var, line_dash="dash", annotation_text=f"VaR {c}")
    conf = round(mcfg.var_confidence * 100)
    dist.update_layout(
        title=f"Return distribution with {conf}% VaR ({mcfg.var_method})",
        barmode="overlay",
        xaxis_tickformat=".1%",  # returns as the VaR card shows them: -1.0%, not -0.01
    )
    return dist
