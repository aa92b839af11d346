"""Swing points: hand cases, and no look-ahead proved by truncation (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optionsintel.errors import GeometryError
from optionsintel.geometry import swing_points, zigzag


def _walk(seed: int, n: int = 200, m: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (n, m)), axis=0))
    index = pd.bdate_range("2021-01-01", periods=n)
    cols = [f"S{i}" for i in range(m)]
    high = pd.DataFrame(close * (1 + rng.uniform(0, 0.01, (n, m))), index, cols)
    low = pd.DataFrame(close * (1 - rng.uniform(0, 0.01, (n, m))), index, cols)
    return high, low


def test_fractal_hand_case() -> None:
    high = pd.Series([1, 2, 3, 5, 4, 3, 2, 3, 4, 4, 3, 2, 1.0], name="X")
    low = high - 0.5
    sw = swing_points(high, low, left=2, right=2)
    # 5 at bar 3 beats the 2 bars before and after: a swing high known at bar 5.
    # bars 8 and 9 tie at 4: the earlier bar wins, so only bar 8 is a high (9 is not > 8).
    assert list(np.flatnonzero(sw.highs["X"])) == [3, 8]
    assert list(np.flatnonzero(sw.lows["X"])) == [6]
    table = sw.table()
    assert table[["bar", "known_bar", "kind"]].values.tolist() == [
        [3, 5, 1],
        [6, 8, -1],
        [8, 10, 1],
    ]
    assert table["price"].tolist() == [5.0, 1.5, 4.0]
    assert sw.definition == "fractal(left=2, right=2)"


def test_zigzag_hand_case() -> None:
    # up 100 -> 110, down to 99 (-10 %), up to 109 (+10 %): pivots confirmed by 5 % reversals
    close = pd.Series([100, 105, 110, 107, 104, 99, 103, 109, 108.0], name="X")
    sw = zigzag(close, close, pct=0.05)
    table = sw.table()
    # bar 0 (100) is a low once bar 1 reaches 105 = 100 * 1.05; the high at bar 2 (110) is
    # known at bar 4 (104 <= 110 * 0.95 = 104.5; 107 at bar 3 is not); the low at bar 5 (99)
    # is not known at bar 6 (103 < 99 * 1.05 = 103.95) but at bar 7 (109)
    expected = [[0, 1, -1], [2, 4, 1], [5, 7, -1]]
    assert table[["bar", "known_bar", "kind"]].values.tolist() == expected


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cut=st.integers(20, 199), right=st.integers(1, 6))
def test_fractal_pivots_never_look_ahead(seed: int, cut: int, right: int) -> None:
    high, low = _walk(seed)
    full = swing_points(high, low, left=3, right=right).table()
    part = swing_points(high.iloc[: cut + 1], low.iloc[: cut + 1], left=3, right=right).table()
    # appending bars after `cut` never changes what was known at `cut` ...
    known = full[full["known_bar"] <= cut].reset_index(drop=True)
    pd.testing.assert_frame_equal(part.drop(columns="known"), known.drop(columns="known"))
    # ... and a pivot at bar i is never reported before bar i + right
    assert (full["known_bar"] == full["bar"] + right).all()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cut=st.integers(20, 199), pct=st.sampled_from([0.02, 0.04]))
def test_zigzag_never_looks_ahead(seed: int, cut: int, pct: float) -> None:
    high, low = _walk(seed)
    full = zigzag(high, low, pct=pct).table()
    part = zigzag(high.iloc[: cut + 1], low.iloc[: cut + 1], pct=pct).table()
    known = full[full["known_bar"] <= cut].reset_index(drop=True)
    pd.testing.assert_frame_equal(part.drop(columns="known"), known.drop(columns="known"))
    assert (full["known_bar"] > full["bar"]).all()
    kinds = full.sort_values(["symbol", "bar"]).groupby("symbol")["kind"].apply(list)
    assert all(np.all(np.diff(k) != 0) for k in kinds)  # highs and lows alternate


def test_known_by_filters_on_known_bar() -> None:
    high, low = _walk(1)
    sw = swing_points(high, low, left=2, right=4)
    assert (sw.known_by(50)["known_bar"] <= 50).all()
    assert len(sw.known_by(50)) == (sw.table()["known_bar"] <= 50).sum()


def test_nan_bar_disqualifies_its_window() -> None:
    high = pd.Series([1, 2, 3, 5, 4, 3, 2.0])
    low = high - 0.5
    high.iloc[4] = np.nan
    assert not swing_points(high, low, left=2, right=2).highs.any().any()


def test_bad_input_is_a_geometry_error() -> None:
    high, low = _walk(2)
    with pytest.raises(GeometryError, match="left and right"):
        swing_points(high, low, left=0)
    with pytest.raises(GeometryError, match="same index and columns"):
        swing_points(high, low.iloc[:-1])
    with pytest.raises(GeometryError, match="pct"):
        zigzag(high, low, pct=1.5)
    with pytest.raises(GeometryError, match="Series or DataFrame"):
        swing_points([1, 2, 3], low)  # type: ignore[arg-type]
