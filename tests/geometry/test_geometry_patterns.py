"""Pattern detectors: an exact hand-built triangle, no look-ahead, errors, records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from optionsintel.errors import GeometryError
from optionsintel.geometry import (
    COLUMNS,
    PATTERNS,
    PatternParams,
    detect_patterns,
    detection_dict,
    detections,
    swing_points,
)
from optionsintel.geometry.planted import TEMPLATES, planted_paths

GEOMETRY = [
    "symbol",
    "pattern",
    "start_bar",
    "end_bar",
    "known_bar",
    "upper_slope",
    "upper_intercept",
    "lower_slope",
    "lower_intercept",
    "upper_touches",
    "lower_touches",
]
BREAKOUT = ["breakout_bar", "breakout_direction", "breakout_level", "volume_ratio"]


def _triangle(spike: float = 3.0) -> dict[str, pd.Series]:
    """Ascending triangle, exact: highs 110 at bars 40, 60; lows 100, 103.5, 107 at 30, 50, 70.

    A wiggling 104 lead-in (bars 0-19) lets the 14-bar ATR warm up; the breakout leg from
    bar 70 climbs 0.4 a bar, so the first close above 110 x 1.005 = 110.55 is bar 79
    (107 + 9 x 0.4 = 110.6; bar 78 is 110.2). Volume is 1,000 a bar and ``spike`` x that on
    bar 79.
    """
    verts_x = [0, 20, 30, 40, 50, 60, 70, 90]
    verts_y = [104, 104, 100, 110, 103.5, 110, 107, 115]
    x = np.arange(100)
    close = np.interp(x, verts_x, verts_y) + np.where(x < 20, np.sin(x) * 0.8, 0.0)
    volume = np.full(100, 1000.0)
    volume[79] *= spike
    idx = pd.bdate_range("2024-01-01", periods=100, name="time")
    s = {k: pd.Series(v, idx, name="ABC") for k, v in (("close", close), ("volume", volume))}
    s["high"], s["low"] = s["close"] * 1.0, s["close"] * 1.0
    return s


def test_exact_ascending_triangle_lines_and_breakout() -> None:
    s = _triangle()
    det = detect_patterns(s["high"], s["low"], s["close"], s["volume"])
    tri = det[det["pattern"] == "ascending_triangle"]
    assert len(tri) >= 1
    row = tri.iloc[0]
    # five pivots are needed (min_touches): the snapshot at the third low (bar 70, known at
    # 73 with right=3) fits lows 50, 70 and finds the low at 30 on the same line
    assert (row.start_bar, row.end_bar, row.known_bar) == (30, 70, 73)
    assert_allclose([row.upper_slope, row.upper_intercept], [0.0, 110.0], atol=1e-9)
    assert_allclose([row.lower_slope, row.lower_intercept], [0.175, 100 - 0.175 * 30], rtol=1e-9)
    assert (row.upper_touches, row.lower_touches) == (2, 3)
    assert row.residual < 1e-12
    assert (row.breakout_bar, row.breakout_direction) == (79, 1)
    assert_allclose(row.breakout_level, 110.0)
    assert_allclose(row.volume_ratio, 3.0)  # 3,000 against the 20-bar mean of 1,000
    assert bool(row.volume_confirmed)
    quiet = detect_patterns(*(_triangle(1.2)[k] for k in ("high", "low", "close", "volume")))
    assert not quiet[quiet["pattern"] == "ascending_triangle"]["volume_confirmed"].any()


def test_record_and_explanation() -> None:
    s = _triangle()
    det = detect_patterns(s["high"], s["low"], s["close"], s["volume"])
    rec = detections(det[det["pattern"] == "ascending_triangle"])[0]
    assert rec.pattern == "ascending_triangle" and rec.symbol == "ABC"
    assert_allclose(rec.upper_at(80), 110.0)
    text = rec.explain()
    assert "ascending triangle" in text and "breakout above 110.00" in text and "3.0x" in text
    assert detection_dict(rec)["known"] == rec.known.isoformat()


@pytest.mark.parametrize("cut", [120, 170, 230])
def test_detections_never_look_ahead(cut: int) -> None:
    frames, _ = planted_paths(list(TEMPLATES), seed=7)
    full = detect_patterns(frames["high"], frames["low"], frames["close"], frames["volume"])
    part = detect_patterns(*(frames[k].iloc[: cut + 1] for k in ("high", "low", "close", "volume")))
    known = full[full["known_bar"] <= cut].reset_index(drop=True)
    pd.testing.assert_frame_equal(part[GEOMETRY], known[GEOMETRY])
    # a breakout seen by `cut` is the same one; a later one is not yet visible
    seen = known["breakout_bar"].between(0, cut)
    pd.testing.assert_frame_equal(part.loc[seen, BREAKOUT], known.loc[seen, BREAKOUT])
    assert (part.loc[~seen, "breakout_bar"] == -1).all()


def test_frame_shape_and_names() -> None:
    frames, _ = planted_paths(["double_top", "rectangle"], seed=3)
    det = detect_patterns(frames["high"], frames["low"], frames["close"])
    assert set(det["pattern"]) <= set(PATTERNS)
    assert det["volume_ratio"].isna().all() and not det["volume_confirmed"].any()
    assert (det["start_bar"] < det["end_bar"]).all() and (det["end_bar"] < det["known_bar"]).all()
    assert det["breakout"].isna().eq(det["breakout_bar"] < 0).all()


def test_pattern_errors() -> None:
    s = _triangle()
    with pytest.raises(GeometryError, match="max_bars"):
        PatternParams(min_bars=50, max_bars=20)
    with pytest.raises(GeometryError, match="flat_tol"):
        PatternParams(flat_tol=-1)
    other = swing_points(s["high"].iloc[:-1], s["low"].iloc[:-1])
    with pytest.raises(GeometryError, match="same high/low frames"):
        detect_patterns(s["high"], s["low"], s["close"], swings=other)
    with pytest.raises(GeometryError, match="unknown planted"):
        planted_paths(["cup_and_handle"])


def test_short_empty_and_all_nan_inputs_give_no_detections() -> None:
    short = pd.Series([1.0, 2, 3, 2, 1], name="X")
    assert detect_patterns(short, short, short).empty
    frame = pd.DataFrame({"A": np.nan, "B": np.linspace(1, 2, 50)})
    assert detect_patterns(frame, frame, frame).empty
    assert swing_points(frame, frame).table().empty  # a straight line has no swings
    empty = pd.DataFrame(index=pd.RangeIndex(10), columns=pd.Index([], dtype=object), dtype=float)
    assert list(detect_patterns(empty, empty, empty).columns) == list(COLUMNS)
