"""Property tests: fits recover exact lines; geometry is invariant to the price scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optionsintel.geometry import detect_patterns, fit_channel, fit_trendline, swing_points
from optionsintel.geometry.planted import TEMPLATES, planted_paths

slopes = st.floats(-2.0, 2.0, allow_nan=False)
bars = st.lists(st.integers(0, 500), min_size=2, max_size=12, unique=True)


@settings(deadline=None)  # the first call loads the compiled kernel
@given(bars=bars, slope=slopes, intercept=st.floats(1_500.0, 5_000.0))
def test_collinear_points_are_recovered_exactly(
    bars: list[int], slope: float, intercept: float
) -> None:
    x = np.array(bars, dtype=float)
    line = fit_trendline(x, slope * x + intercept)
    assert_allclose([line.slope, line.intercept], [slope, intercept], rtol=1e-9, atol=1e-9)
    assert line.touches == len(bars) and line.residual < 1e-12


@settings(deadline=None)
@given(hb=bars, lb=bars, slope=slopes, gap=st.floats(10.0, 500.0))
def test_parallel_points_give_the_channel(
    hb: list[int], lb: list[int], slope: float, gap: float
) -> None:
    xh, xl = np.array(hb, float), np.array(lb, float)
    ch = fit_channel(xh, slope * xh + 2_000 + gap, xl, slope * xl + 2_000)
    assert_allclose([ch.upper.slope, ch.lower.slope], [slope, slope], atol=1e-9)
    assert_allclose(ch.upper.intercept - ch.lower.intercept, gap, rtol=1e-9)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), scale=st.sampled_from([0.01, 3.0, 1000.0]))
def test_detections_do_not_depend_on_the_price_unit(seed: int, scale: float) -> None:
    frames, _ = planted_paths(list(TEMPLATES)[:6], seed=seed)
    cols = ["pattern", "start_bar", "end_bar", "known_bar", "breakout_bar", "breakout_direction"]
    base = detect_patterns(frames["high"], frames["low"], frames["close"])
    scaled = detect_patterns(*(frames[k] * scale for k in ("high", "low", "close")))
    pd.testing.assert_frame_equal(base[cols], scaled[cols])
    assert_allclose(scaled["breakout_level"], base["breakout_level"] * scale, rtol=1e-9)
    a = swing_points(frames["high"], frames["low"]).table()
    b = swing_points(frames["high"] * scale, frames["low"] * scale).table()
    pd.testing.assert_frame_equal(a.drop(columns="price"), b.drop(columns="price"))
