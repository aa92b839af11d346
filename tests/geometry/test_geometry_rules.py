"""Chart-pattern operands of the rule language: text round trip, validation, evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optionsintel.errors import RuleValidationError
from optionsintel.geometry import (
    breakout_direction,
    detect_patterns,
    pattern_presence,
    swing_points,
    trendline_distance,
)
from optionsintel.geometry.patterns import PatternParams
from optionsintel.geometry.planted import planted_paths
from optionsintel.rules import evaluate, parse_rule, print_rule
from optionsintel.rules.validate import parse_rule_json, rule_json

ISSUE_RULE = (
    "PATTERN(ascending_triangle, 60) > 0 AND BREAKOUT(Ascending_Triangle, 1, 1.5) == 1 "
    "AND RSI(14) < 70"
)


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    frames, _ = planted_paths(["ascending_triangle", "double_top", "bull_flag"] * 3, seed=5)
    return frames


def test_text_and_json_round_trip() -> None:
    rule = parse_rule(ISSUE_RULE + " AND TRENDLINE_DIST(support) > -2")
    text = print_rule(rule)
    assert "BREAKOUT(ascending_triangle, 1, 1.5)" in text and "TRENDLINE_DIST(support, 3)" in text
    assert parse_rule(text) == rule
    assert parse_rule_json(rule_json(rule)) == rule
    assert rule.condition.conditions[0].left.params == {
        "pattern": "ascending_triangle",
        "lookback": 60,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("PATTERN(cup_and_handle, 20) > 0", "pattern must be a name"),
        ("TRENDLINE_DIST(resistanse) > 0", "did you mean 'resistance'"),
        ("PATTERN(20) > 0", "pattern must be a name"),
        ("RSI(fourteen) < 30", "window must be a whole number"),
        ("BREAKOUT(any, 1, 25) == 1", "volume_multiple must lie in [0, 20]"),
    ],
)
def test_bad_pattern_parameters_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(RuleValidationError) as info:
        parse_rule(text)
    assert message in str(info.value)


def test_operands_evaluate_to_the_geometry_frames(frames: dict[str, pd.DataFrame]) -> None:
    idx, cols = frames["close"].index, frames["close"].columns
    hlc = [frames[k] for k in ("high", "low", "close")]
    det = detect_patterns(*hlc)
    presence = pattern_presence(det, idx, cols, "double_top", 20)
    got = evaluate(parse_rule("PATTERN(double_top, 20) > 0"), frames).matches
    pd.testing.assert_frame_equal(got, presence, check_names=False)
    assert got.to_numpy().any()

    det_v = detect_patterns(*hlc, frames["volume"], params=PatternParams(volume_multiple=1.5))
    up = breakout_direction(det_v, idx, cols, "any", 3, volume_confirmed=True) == 1
    got = evaluate(parse_rule("BREAKOUT(any, 3, 1.5) == 1"), frames).matches
    pd.testing.assert_frame_equal(got, up, check_names=False)
    assert got.to_numpy().any()

    dist = trendline_distance(frames["close"], swing_points(hlc[0], hlc[1]), "resistance", 3)
    got = evaluate(parse_rule("TRENDLINE_DIST(resistance, 3) > -1"), frames).matches
    pd.testing.assert_frame_equal(got, dist > -1, check_names=False)


def test_issue_rule_matches_only_on_a_volume_confirmed_triangle_breakout(
    frames: dict[str, pd.DataFrame],
) -> None:
    matches = evaluate(parse_rule(ISSUE_RULE), frames).matches
    rows, cols = np.nonzero(matches.to_numpy())
    det = detect_patterns(*(frames[k] for k in ("high", "low", "close", "volume")),
                          params=PatternParams(volume_multiple=1.5))  # fmt: skip
    tri = det[(det["pattern"] == "ascending_triangle") & det["volume_confirmed"]]
    hits = set(zip(tri["symbol"], tri["breakout_bar"], strict=True))
    assert len(rows) >= 1
    assert all((matches.columns[c], r) in hits for r, c in zip(rows, cols, strict=True))
