"""HTML fragments and plotly figures of the backtest app.

Pure builders (no widgets); every value shown in HTML is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optionsintel.ui import theme

STYLE = """
<style>
.oi-bt-table { overflow-x: auto; max-width: 100%; }
.oi-bt-table table { border-collapse: collapse; font-size: 12px;
  font-variant-numeric: tabular-nums; }
.oi-bt-table th, .oi-bt-table td { padding: 2px 8px; border-bottom: 1px solid #eee;
  text-align: right; white-space: nowrap; }
.oi-bt-table th { background: #f3f3f3; }
.oi-bt-warn { color: #8a6d00; font-size: 12px; }
</style>
"""
PERCENT = {"total_return", "annual_return", "annual_volatility", "max_drawdown", "win_rate",
           "exposure"}  # fmt: skip
CARDS = (
    ("total_return", "Total return"), ("annual_return", "Annual return"),
    ("annual_volatility", "Volatility"), ("sharpe_ratio", "Sharpe"),
    ("sortino_ratio", "Sortino"), ("calmar_ratio", "Calmar"), ("max_drawdown", "Max drawdown"),
    ("drawdown_duration_periods", "DD duration (bars)"), ("n_trades", "Trades"),
    ("win_rate", "Win rate"), ("average_win", "Avg win (Rs)"),
    ("average_loss", "Avg loss (Rs)"), ("profit_factor", "Profit factor"),
    ("expectancy", "Expectancy (Rs)"), ("exposure", "Exposure"), ("costs_paid", "Costs (Rs)"),
    ("final_equity", "Final equity (Rs)"),
)  # fmt: skip
_LAYOUT = {"margin": {"l": 48, "r": 16, "t": 40, "b": 36}, "autosize": True,
           "template": "plotly_white", "legend": {"orientation": "h", "y": -0.2}}  # fmt: skip


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def fmt(name: str, value: Any) -> str:
    """A metric value for display (percent where it is a share; '–' when missing)."""
    if value is None:
        return "–"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return _e(value)
    if not math.isfinite(v):
        return "–"
    if name in PERCENT:
        return f"{v:.2%}"
    return theme.fmt(v, 0) if abs(v) >= 1000 else f"{v:,.3f}".rstrip("0").rstrip(".")


def metric_cards(metrics: Mapping[str, Any], costs: Mapping[str, Any], caption: str) -> str:
    """Metric cards, the cost breakdown and a caption naming run, provider and period."""
    cards = "".join(
        f'<div class="oi-card"><div class="label">{_e(label)}</div>'
        f'<div class="value">{fmt(name, metrics.get(name))}</div></div>'
        for name, label in CARDS
    )
    order = ["brokerage", "stt", "exchange", "ipft", "sebi", "stamp", "gst"]
    names = [k for k in order if k in costs] + [k for k in costs if k not in {*order, "total"}]
    parts = [f"{_e(k)} {fmt(k, costs[k])}" for k in names]
    cost_line = (
        f'<p class="sub">Costs (Rs): {", ".join(parts)}; total '
        f"{fmt('total', costs.get('total'))}</p>"
        if costs
        else '<p class="sub">Frictionless (no costs)</p>'
    )
    return f'<p class="sub">{_e(caption)}</p><div class="oi-cards">{cards}</div>{cost_line}'


def table_html(frame: pd.DataFrame, cls: str, limit: int = 200, index: bool = False) -> str:
    """A scrollable HTML table of the first ``limit`` rows (values escaped)."""
    shown = frame.head(limit)
    cols = ([shown.index.name or ""] if index else []) + [str(c) for c in shown.columns]
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    rows = []
    for label, row in zip(shown.index, shown.itertuples(index=False, name=None), strict=True):
        cells = ([_e(label)] if index else []) + [
            _cell(c, v) for c, v in zip(cols[index:], row, strict=True)
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    more = f"<p class='sub'>first {limit} of {len(frame)}</p>" if len(frame) > limit else ""
    return (
        f'<div class="oi-bt-table"><table class="{cls}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{more}"
    )


def _cell(col: str, value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return _e(value.strftime("%Y-%m-%d"))
    if isinstance(value, float | int) and not isinstance(value, bool):
        return fmt(col, value)
    return _e("" if value is None else value)


def sweep_html(best: pd.DataFrame, warning: str) -> str:
    """The best-by-metric table with the overfitting caution above it."""
    return f'<p class="oi-bt-warn">{_e(warning)}</p>' + table_html(best, "oi-bt-sweep", 20)


def comparison_html(metrics: pd.DataFrame, inputs: pd.DataFrame) -> str:
    """Two runs' metrics side by side and the inputs that differ."""
    out = table_html(metrics.rename_axis("metric"), "oi-bt-compare", 50, index=True)
    if len(inputs):
        out += "<h5>Inputs that differ</h5>" + table_html(
            inputs.rename_axis("input"), "oi-bt-inputs", 50, index=True
        )
    else:
        out += "<p class='sub'>Same inputs.</p>"
    return out


def walk_forward_html(
    side: pd.DataFrame, windows: pd.DataFrame, n_combinations: int, metric: str
) -> str:
    """In- vs out-of-sample metrics side by side (mean over windows) and one row per window."""
    note = (f'<p class="oi-bt-warn">Each window: best {_e(metric)} of {n_combinations} '
            "combinations on the training bars (in-sample), then that combination on the "
            "next bars (out-of-sample).</p>")  # fmt: skip
    table = side.assign(difference=side["out_of_sample"] - side["in_sample"])
    return (note + table_html(table.rename_axis("metric"), "oi-bt-wf", 20, index=True)
            + "<h5>Windows</h5>" + table_html(windows, "oi-bt-wf-windows", 100))  # fmt: skip


def walk_forward_figure(windows: pd.DataFrame, metric: str) -> go.Figure:
    """The ranking metric per window, in-sample next to out-of-sample."""
    x = [f"{pd.Timestamp(t):%Y-%m-%d}" for t in windows["test_start"]]
    fig = go.Figure([
        go.Bar(x=x, y=windows[f"is_{metric}"], name="in-sample"),
        go.Bar(x=x, y=windows[f"oos_{metric}"], name="out-of-sample"),
    ])  # fmt: skip
    fig.update_layout(title={"text": f"Walk-forward {metric} by test window", "font": {"size": 14}},
                      barmode="group", xaxis_title="test window start", height=320,
                      **_LAYOUT)  # fmt: skip
    return fig


def equity_figure(equity: pd.DataFrame, title: str) -> go.Figure:
    """Equity (top) and drawdown (bottom) of a run."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35],
                        vertical_spacing=0.06)  # fmt: skip
    fig.add_trace(go.Scatter(x=equity.index, y=equity["equity"], name="equity"), 1, 1)
    fig.add_trace(go.Scatter(x=equity.index, y=equity["drawdown"], name="drawdown",
                             fill="tozeroy", line={"color": "#b3261e"}), 2, 1)  # fmt: skip
    fig.update_layout(title={"text": title, "font": {"size": 14}}, height=380, **_LAYOUT)
    fig.update_yaxes(tickformat=".0%", row=2, col=1)
    # rupees as 1,000,000, not plotly's SI '1.0000005M'; a flat curve (no trade) gets a
    # +-1 % range instead of ticks a rupee apart
    fig.update_yaxes(tickformat=",.0f", row=1, col=1)
    lo, hi = equity["equity"].min(), equity["equity"].max()
    if math.isfinite(lo) and math.isfinite(hi) and hi - lo < 1e-6 * max(abs(hi), 1.0):
        fig.update_yaxes(range=[lo - 0.01 * abs(lo) - 1, hi + 0.01 * abs(hi) + 1], row=1, col=1)
    return fig


def equities_figure(curves: pd.DataFrame, title: str) -> go.Figure:
    """Several equity curves on one chart (run comparison)."""
    fig = go.Figure([go.Scatter(x=curves.index, y=curves[c], name=str(c)) for c in curves])
    fig.update_layout(title={"text": title, "font": {"size": 14}}, height=320, **_LAYOUT)
    return fig


def heatmap_figure(grid: pd.DataFrame, metric: str, x: str, y: str) -> go.Figure:
    """The sweep metric over two parameters."""
    fig = go.Figure(go.Heatmap(z=grid.to_numpy(), x=[str(v) for v in grid.columns],
                               y=[str(v) for v in grid.index], colorscale="RdYlGn",
                               colorbar={"title": metric}))  # fmt: skip
    fig.update_layout(title={"text": f"{metric} by {x} and {y}", "font": {"size": 14}},
                      xaxis_title=x, yaxis_title=y, height=320, **_LAYOUT)  # fmt: skip
    return fig


def sweep_line_figure(table: pd.DataFrame, metric: str, x: str) -> go.Figure:
    """The sweep metric over one parameter (a one-dimensional grid)."""
    line = table.groupby(x)[metric].mean()
    fig = go.Figure(go.Scatter(x=line.index, y=line.to_numpy(), mode="lines+markers"))
    fig.update_layout(title={"text": f"{metric} by {x}", "font": {"size": 14}},
                      xaxis_title=x, height=320, **_LAYOUT)  # fmt: skip
    return fig


def monte_carlo_figure(bands: pd.DataFrame, quantiles: Sequence[float], title: str) -> go.Figure:
    """Quantile bands of the bootstrapped equity paths (outer band shaded)."""
    lo, hi = min(quantiles), max(quantiles)
    x = bands.index
    traces = [
        go.Scatter(x=x, y=bands[hi], line={"width": 0}, showlegend=False, name=f"q{hi:.0%}"),
        go.Scatter(x=x, y=bands[lo], fill="tonexty", line={"width": 0},
                   name=f"{lo:.0%}-{hi:.0%}", fillcolor="rgba(66,133,244,0.2)"),
    ]  # fmt: skip
    traces += [go.Scatter(x=x, y=bands[q], name=f"q{q:.0%}", line={"dash": "dot"})
               for q in quantiles if q not in (lo, hi)]  # fmt: skip
    fig = go.Figure(traces)
    fig.update_layout(title={"text": title, "font": {"size": 14}}, height=320,
                      xaxis_title=bands.index.name, **_LAYOUT)  # fmt: skip
    return fig
