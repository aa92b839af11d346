"""Trendlines, channels, levels: exact fits on hand-made points, and per-bar lines causal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from optionsintel.errors import GeometryError
from optionsintel.geometry import (
    fit_channel,
    fit_trendline,
    horizontal_levels,
    swing_points,
    trendlines,
)


def test_trendline_reference_values() -> None:
    # y = 2 x + 100 with one point 1 % off: least squares by hand
    x = np.array([0.0, 10.0, 20.0, 30.0])
    y = 2 * x + 100
    y[3] *= 1.01  # 160 -> 161.6
    line = fit_trendline(x, y, touch_tol=0.005)
    # slope = Sxy / Sxx with x mean 15, Sxx = 500, Sxy = 1000 + 1.6 * 15 = 1024
    assert_allclose(line.slope, 1024 / 500, rtol=1e-12)
    assert_allclose(line.intercept, y.mean() - 1024 / 500 * 15, rtol=1e-12)
    assert line.touches == 4 and line.start_bar == 0 and line.end_bar == 30
    fitted = line.slope * x + line.intercept
    assert_allclose(line.residual, np.sqrt(np.mean((y / fitted - 1) ** 2)), rtol=1e-12)
    assert_allclose(line.at(40), line.slope * 40 + line.intercept)


def test_channel_shares_one_slope() -> None:
    hx, lx = np.array([5.0, 25.0, 45.0]), np.array([15.0, 35.0])
    ch = fit_channel(hx, 0.5 * hx + 110, lx, 0.5 * lx + 100)
    assert_allclose([ch.upper.slope, ch.lower.slope], [0.5, 0.5], rtol=1e-12)
    assert_allclose([ch.upper.intercept, ch.lower.intercept], [110.0, 100.0], rtol=1e-12)
    assert ch.upper.residual < 1e-12 and ch.lower.touches == 2
    assert_allclose(ch.width_pct(), 10 / (0.5 * 45 + 100), rtol=1e-12)


def test_horizontal_levels_cluster_swing_prices() -> None:
    # three tops near 110 and two bottoms near 100
    high = pd.Series([100, 105, 110, 105, 101, 105, 110.5, 105, 100.5, 105, 109.8, 104, 103.0])
    low = high - 0.2
    sw = swing_points(high.rename("X"), low.rename("X"), left=1, right=1)
    levels = horizontal_levels(sw, "X", tol=0.01)
    assert [lv.touches for lv in levels] == [3, 2]
    assert_allclose(levels[0].price, (110 + 110.5 + 109.8) / 3)
    assert (levels[0].first_bar, levels[0].last_bar) == (2, 10)


def test_per_bar_trendlines_use_only_known_pivots() -> None:
    rng = np.random.default_rng(3)
    close = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.01, (150, 2)), axis=0)))
    high, low = close * 1.004, close * 0.996
    full = trendlines(swing_points(high, low, left=3, right=3), points=3)
    cut = 90
    part = trendlines(swing_points(high.iloc[: cut + 1], low.iloc[: cut + 1]), points=3)
    for key in ("resistance", "support", "support_slope", "resistance_residual"):
        pd.testing.assert_frame_equal(part[key], full[key].iloc[: cut + 1])
    # at the cut, the resistance is the fit through the last three highs known by then
    table = swing_points(high, low).table()
    last = table[(table.symbol == 0) & (table.kind == 1) & (table.known_bar <= cut)].tail(3)
    ref = fit_trendline(last["bar"], last["price"])
    assert_allclose(full["resistance_slope"].iloc[cut, 0], ref.slope, rtol=1e-10)
    assert_allclose(full["resistance"].iloc[cut, 0], ref.at(cut), rtol=1e-10)


def test_line_errors() -> None:
    with pytest.raises(GeometryError, match="two points"):
        fit_trendline([1.0], [2.0])
    with pytest.raises(GeometryError, match="positive"):
        fit_trendline([1.0, 2.0], [2.0, -1.0])
    with pytest.raises(GeometryError, match="points >= 2"):
        trendlines(swing_points(pd.Series([1.0, 2.0, 1.0]), pd.Series([1.0, 2.0, 1.0])), points=1)
