"""The OI chart's vertical-line labels do not print over each other."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optionsintel.ui.figures import oi_figure, update_oi_figure


def _table() -> pd.DataFrame:
    strikes = np.arange(25000.0, 27001.0, 50.0)
    return pd.DataFrame({"strike": strikes, "ce_oi": 1.0, "pe_oi": 2.0, "ce_oi_change": 0.0,
                         "pe_oi_change": 0.0})  # fmt: skip


def test_close_marks_step_down_a_row_and_far_ones_stay_on_top() -> None:
    fig = oi_figure("oi", "Open interest")
    update_oi_figure(fig, _table(), {"spot": 26037.0, "max pain": 26000.0, "move -1σ": 25400.0})
    notes = {a.text: a for a in fig.layout.annotations}
    assert set(notes) == {"spot", "max pain", "move -1σ"}
    assert notes["move -1σ"].y == 1 and notes["max pain"].y == 1  # leftmost of its cluster
    assert notes["spot"].y < 1 and notes["spot"].yanchor == "top"  # 37 points from max pain
    assert len(fig.layout.shapes) == 3


def test_missing_marks_draw_nothing() -> None:
    fig = oi_figure("oi", "Open interest")
    update_oi_figure(fig, _table(), {"spot": float("nan"), "max pain": None})  # type: ignore[dict-item]
    assert fig.layout.annotations == () and fig.layout.shapes == ()
