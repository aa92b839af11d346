"""Detections as causal wide frames (what rule operands consume)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from optionsintel.errors import GeometryError
from optionsintel.geometry import detect_patterns, swing_points
from optionsintel.geometry.planted import planted_paths
from optionsintel.geometry.signals import breakout_direction, pattern_presence, trendline_distance


def _hand() -> tuple[pd.DataFrame, pd.Index, pd.Index]:
    idx = pd.bdate_range("2024-01-01", periods=10)
    cols = pd.Index(["A", "B"])
    det = pd.DataFrame({
        "symbol": ["A", "A", "B"],
        "pattern": ["double_top", "rectangle", "double_top"],
        "known_bar": [2, 3, 8],
        "breakout_bar": [5, -1, 9],
        "breakout_direction": [-1, 0, 1],
        "volume_confirmed": [True, False, False],
    })  # fmt: skip
    return det, idx, cols


def test_presence_windows_start_at_known_bar() -> None:
    det, idx, cols = _hand()
    got = pattern_presence(det, idx, cols, "double_top", lookback=3)
    assert np.flatnonzero(got["A"]).tolist() == [2, 3, 4]
    assert np.flatnonzero(got["B"]).tolist() == [8, 9]
    assert np.flatnonzero(pattern_presence(det, idx, cols, "any", 1)["A"]).tolist() == [2, 3]


def test_breakout_direction_and_volume_filter() -> None:
    det, idx, cols = _hand()
    got = breakout_direction(det, idx, cols, "double_top", lookback=2)
    assert got["A"].tolist() == [0, 0, 0, 0, 0, -1, -1, 0, 0, 0]
    assert got["B"].tolist() == [0] * 9 + [1]
    confirmed = breakout_direction(det, idx, cols, "double_top", 2, volume_confirmed=True)
    assert confirmed["B"].eq(0).all() and confirmed["A"].min() == -1


def test_frames_from_real_detections_are_causal() -> None:
    frames, _ = planted_paths(["ascending_triangle", "double_top"] * 3, seed=5)
    det = detect_patterns(frames["high"], frames["low"], frames["close"], frames["volume"])
    idx, cols = frames["close"].index, frames["close"].columns
    full = breakout_direction(det, idx, cols, "any", 5)
    cut = 180
    part_det = detect_patterns(
        *(frames[k].iloc[: cut + 1] for k in ("high", "low", "close", "volume"))
    )
    part = breakout_direction(part_det, idx[: cut + 1], cols, "any", 5)
    pd.testing.assert_frame_equal(part, full.iloc[: cut + 1])


def test_trendline_distance_matches_the_line() -> None:
    frames, _ = planted_paths(["channel_up"], seed=2)
    sw = swing_points(frames["high"], frames["low"])
    dist = trendline_distance(frames["close"], sw, "support", points=2)
    table = sw.table()
    t = 200
    lows = table[(table.kind == -1) & (table.known_bar <= t)].tail(2)
    slope = np.diff(lows["price"].to_numpy())[0] / np.diff(lows["bar"].to_numpy())[0]
    line = lows["price"].iloc[-1] + slope * (t - lows["bar"].iloc[-1])
    assert_allclose(dist.iloc[t, 0], 100 * (frames["close"].iloc[t, 0] / line - 1), rtol=1e-9)


def test_signal_errors() -> None:
    det, idx, cols = _hand()
    with pytest.raises(GeometryError, match="unknown pattern"):
        pattern_presence(det, idx, cols, "cup_and_handle")
    with pytest.raises(GeometryError, match="lookback"):
        breakout_direction(det, idx, cols, "any", 0)
