"""Candlestick figures with indicators and detected chart patterns drawn on them.

Shared by the pattern builder's drawing canvas and the analytics report's Technical tab.
Detected patterns (:func:`optionsintel.geometry.detect_patterns`) become plotly shapes
named ``pattern:<name>:<k>`` that are not editable: the canvas tells them apart from the
user's own drawings by that name. Every figure names the provider of its bars.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optionsintel import geometry as geo
from optionsintel.research import indicators as ind

INDICATORS: dict[str, str] = {
    "SMA(20)": "overlay",
    "SMA(50)": "overlay",
    "EMA(20)": "overlay",
    "Bollinger(20, 2)": "overlay",
    "Volume": "panel",
    "RSI(14)": "panel",
}
"""Indicators a chart may show: ``overlay`` on the price axis or its own ``panel`` below."""
PATTERN_PREFIX = "pattern:"
_UP, _DOWN = "#2e7d32", "#c62828"


def _overlays(fig: go.Figure, bars: pd.DataFrame, chosen: list[str]) -> None:
    close, x = bars["close"], bars.index
    lines = {
        "SMA(20)": lambda: ind.sma(close, 20),
        "SMA(50)": lambda: ind.sma(close, 50),
        "EMA(20)": lambda: ind.ema(close, 20),
    }
    for name in chosen:
        if name in lines:
            fig.add_trace(go.Scatter(x=x, y=lines[name](), name=name, mode="lines",
                                     line={"width": 1.2}), row=1, col=1)  # fmt: skip
        elif name == "Bollinger(20, 2)":
            bands = ind.bollinger_bands(close, 20, 2.0, extras=False)
            for part in ("upper", "lower"):
                fig.add_trace(go.Scatter(x=x, y=bands[part], name=f"BB {part}", mode="lines",
                                         line={"width": 1, "dash": "dot", "color": "#888"}),
                              row=1, col=1)  # fmt: skip


def candle_figure(
    bars: pd.DataFrame,
    title: str,
    *,
    indicators: list[str] | tuple[str, ...] = (),
    detected: pd.DataFrame | None = None,
    provider: str = "",
) -> go.Figure:
    """A candlestick chart of ``bars`` (``open high low close [volume]``, date index).

    Parameters
    ----------
    bars
        One symbol's daily bars, ascending.
    title
        Shown above the chart (the provider is appended when given).
    indicators
        Names of :data:`INDICATORS`; panels (volume, RSI) go in rows under the price.
    detected
        Rows of :func:`~optionsintel.geometry.detect_patterns` on exactly these bars
        (their ``*_bar`` columns index ``bars``); drawn as shapes by :func:`pattern_shapes`.
    provider
        The provider the bars came from.
    """
    unknown = [i for i in indicators if i not in INDICATORS]
    if unknown:
        raise ValueError(f"unknown indicator {unknown[0]!r}; choose from {', '.join(INDICATORS)}")
    panels = [i for i in indicators if INDICATORS[i] == "panel"]
    rows = 1 + len(panels)
    heights = [0.7] + [0.3 / len(panels)] * len(panels) if panels else [1.0]
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, row_heights=heights,
                        vertical_spacing=0.03)  # fmt: skip
    fig.add_trace(go.Candlestick(x=bars.index, open=bars["open"], high=bars["high"],
                                 low=bars["low"], close=bars["close"], name="price",
                                 increasing_line_color=_UP, decreasing_line_color=_DOWN),
                  row=1, col=1)  # fmt: skip
    _overlays(fig, bars, list(indicators))
    for r, name in enumerate(panels, start=2):
        if name == "Volume" and "volume" in bars:
            fig.add_trace(go.Bar(x=bars.index, y=bars["volume"], name="volume",
                                 marker_color="#90a4ae"), row=r, col=1)  # fmt: skip
        elif name == "RSI(14)":
            rsi = ind.rsi(bars["close"], 14)
            fig.add_trace(go.Scatter(x=bars.index, y=rsi, name="RSI(14)", mode="lines",
                                     line={"color": "#6a1b9a"}), row=r, col=1)  # fmt: skip
            fig.add_hline(y=70, line_dash="dot", line_color="#aaa", row=r, col=1)  # type: ignore[arg-type]
            fig.add_hline(y=30, line_dash="dot", line_color="#aaa", row=r, col=1)  # type: ignore[arg-type]
    head = f"{title} · provider {provider}" if provider else title
    fig.update_layout(title={"text": head, "font": {"size": 14}}, template="plotly_white",
                      xaxis_rangeslider_visible=False, showlegend=True,
                      legend={"orientation": "h", "y": -0.08}, height=360 + 110 * len(panels),
                      margin={"l": 48, "r": 16, "t": 40, "b": 36})  # fmt: skip
    if detected is not None and len(detected):
        shapes, notes = pattern_shapes(detected, bars.index)
        kept = [sh.to_plotly_json() for sh in fig.layout.shapes]  # e.g. RSI's 30/70 lines
        fig.update_layout(shapes=[*kept, *shapes])
        for note in notes:
            fig.add_annotation(note)
    return fig


def _segment(d: geo.Detection, side: str, index: pd.Index, stop: int, k: int) -> dict[str, Any]:
    at = d.upper_at if side == "upper" else d.lower_at
    color = _UP if d.breakout_direction > 0 else _DOWN if d.breakout_direction < 0 else "#1565c0"
    return {
        "type": "line", "xref": "x", "yref": "y", "editable": False,
        "name": f"{PATTERN_PREFIX}{d.pattern}:{k}:{side}",
        "x0": index[d.start_bar].isoformat(), "y0": float(at(d.start_bar)),
        "x1": index[stop].isoformat(), "y1": float(at(stop)),
        "line": {"color": color, "width": 2, "dash": "dash"},
    }  # fmt: skip


def pattern_shapes(
    detected: pd.DataFrame, index: pd.Index, *, limit: int = 8
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Plotly shapes (upper and lower lines) and labels of the newest ``limit`` detections.

    Each line runs from the pattern's first bar to its breakout bar (or to its last pivot
    when it has not broken out), extended by its slope; a label at the start names the
    pattern. Double tops/bottoms and head and shoulders draw their two lines the same way
    (the detector states them as lines: tops/neckline).
    """
    rows = detected.sort_values("known_bar").tail(limit)
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for k, d in enumerate(geo.detections(rows)):
        stop = d.breakout_bar if d.breakout_bar >= 0 else d.end_bar
        stop = int(min(max(stop, d.end_bar), len(index) - 1))
        shapes += [_segment(d, side, index, stop, k) for side in ("upper", "lower")]
        top = float(np.nanmax([d.upper_at(d.start_bar), d.upper_at(stop)]))
        notes.append({"x": index[d.start_bar].isoformat(), "y": top, "yref": "y",
                      "text": d.pattern.replace("_", " "), "showarrow": False,
                      "yshift": 10, "font": {"size": 10, "color": "#1565c0"},
                      "hovertext": d.explain()})  # fmt: skip
    return shapes, notes


def detect_for_chart(bars: pd.DataFrame, symbol: str = "") -> pd.DataFrame:
    """Every detector on one symbol's bars (``volume`` used when present), named ``symbol``."""
    cols = [c for c in ("high", "low", "close", "volume") if c in bars.columns]
    one = {c: bars[[c]].set_axis([symbol or "symbol"], axis=1) for c in cols}
    return geo.detect_patterns(one["high"], one["low"], one["close"], one.get("volume"))
