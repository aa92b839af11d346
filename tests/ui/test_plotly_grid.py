"""The plotly grid widget: one model, plotly.js once, figures as responsive JSON."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs_version

from optionsintel.ui.plotly_grid import PlotlyGrid, figure_json


def _fig(width=None):
    return go.Figure(go.Bar(x=np.arange(3.0), y=[1.0, np.nan, 3.0]),
                     layout={"width": width, "height": 300})  # fmt: skip


def test_figure_json_leaves_the_width_to_the_container():
    spec = figure_json(_fig(width=900), uirevision="NIFTY|2025-07-24")
    assert "width" not in spec["layout"] and spec["layout"]["autosize"] is True
    assert spec["layout"]["height"] == 300
    assert spec["layout"]["uirevision"] == "NIFTY|2025-07-24"
    assert spec["data"][0]["type"] == "bar"
    assert "uirevision" not in figure_json(_fig())["layout"]


def test_grid_carries_plotly_js_once_and_a_small_module():
    grid = PlotlyGrid(column_min_width="340px")
    assert grid._plotly_version == get_plotlyjs_version()
    assert len(grid._plotly_js) > 1_000_000  # the bundle, evaluated lazily in render()
    assert "export default" in grid._esm and len(grid._esm) < 10_000  # loads within 2 s
    state = grid.get_state()
    assert state["column_min_width"] == "340px" and state["figures"] == []


def test_show_replaces_figures_in_synced_state():
    grid = PlotlyGrid()
    grid.show([_fig(), _fig(width=700)], uirevision="a")
    assert len(grid.get_state()["figures"]) == 2
    assert all("width" not in f["layout"] for f in grid.figures)
    grid.show([_fig()])
    assert len(grid.figures) == 1
