"""One widget model that draws a responsive grid of plotly figures with plotly.js.

Why not one ``go.FigureWidget`` per chart: plotly 7's FigureWidget is an anywidget whose
``_esm`` is the whole plotly.js bundle (about 5 MB). Every figure model carries its own
copy, which the browser evaluates again from a fresh blob URL, and anywidget 0.11 rejects
a model whose module has not loaded and initialised within 2 s ("[anywidget] Failed to
initialize model."). With four charts created together on a busy page the last one
misses that deadline although it draws later. Here the module is a few kilobytes,
plotly.js travels once per grid as a trait and is evaluated once per page, lazily, in
``render`` (outside the deadline); figure updates are ``Plotly.react`` calls on the same
``<div>`` (no flicker), and charts follow their grid cell (``responsive`` plus a
``ResizeObserver``), so they are never wider than the cell.

>>> grid = PlotlyGrid(column_min_width="520px")    # doctest: +SKIP
>>> grid.show([fig_a, fig_b], uirevision="NIFTY")  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import anywidget
import plotly.graph_objects as go
import traitlets as t
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from optionsintel.ui import theme

_ESM = Path(__file__).with_name("plotly_grid.js")


@cache
def _plotly_js() -> str:
    return get_plotlyjs()


def figure_json(fig: go.Figure, uirevision: str | None = None) -> dict:
    """Return ``fig`` as plain JSON (``data``/``layout``) ready for ``Plotly.react``.

    Numeric arrays stay plotly's base64 typed arrays, NaN becomes ``null``; the width is
    left to the container. ``uirevision`` keeps the user's zoom and legend clicks across
    updates with the same value (pass e.g. the underlying and expiry shown).
    """
    prefs = theme.active()  # the viewer's colour scheme, once an app has read the settings
    if prefs is not None:
        theme.apply_figure(fig, prefs)
    spec = json.loads(fig.to_json())
    layout = {**spec.get("layout", {}), "autosize": True}
    layout.pop("width", None)  # a fixed width would overflow narrow cells
    if uirevision is not None:
        layout["uirevision"] = uirevision
    return {"data": spec.get("data", []), "layout": layout}


class PlotlyGrid(anywidget.AnyWidget):
    """Grid of plotly charts in one widget model (see the module docstring).

    Traits: ``figures`` (list of :func:`figure_json` dicts, synced) and
    ``column_min_width`` (CSS length; columns are at least this wide, or the full width
    of a narrow screen).
    """

    _esm = _ESM
    _plotly_js = t.Unicode().tag(sync=True)
    _plotly_version = t.Unicode().tag(sync=True)
    figures = t.List(t.Dict()).tag(sync=True)
    column_min_width = t.Unicode("520px").tag(sync=True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(_plotly_js=_plotly_js(), _plotly_version=get_plotlyjs_version(),
                         **kwargs)  # fmt: skip

    def show(self, figs: Sequence[go.Figure], uirevision: str | None = None) -> None:
        """Draw ``figs`` (replacing the current ones); unchanged charts are not redrawn."""
        self.figures = [figure_json(f, uirevision) for f in figs]
