"""The user-drawn line operand ``LINE(t0, p0, t1, p1)``: values, no look-ahead, text form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.rules.rule_strategies import lines

from optionsintel.errors import RuleDataError, RuleSyntaxError, RuleValidationError
from optionsintel.rules import evaluate, parse_rule, print_rule, validate_rule
from optionsintel.rules.evaluate import line_values


def _line(text: str):
    return parse_rule(f"close > {text}").condition.right  # type: ignore[union-attr]


def test_values_hand_computed_and_unknown_before_second_point() -> None:
    idx = pd.date_range("2024-01-01", periods=8, freq="D")
    # 10 on Jan 2, 12 on Jan 4: slope 1 a calendar day, known from Jan 4
    got = line_values(_line("LINE(2024-01-02, 10, 2024-01-04, 12)"), idx)
    assert np.isnan(got[:3]).all()
    np.testing.assert_allclose(got[3:], [12, 13, 14, 15, 16])


def test_slope_is_in_calendar_time_not_bars() -> None:
    # a weekend gap: Fri 5 Jan -> Mon 8 Jan is 3 days on the line
    idx = pd.DatetimeIndex(["2024-01-04", "2024-01-05", "2024-01-08"])
    got = line_values(_line("LINE(2024-01-03, 100, 2024-01-04, 101)"), idx)
    np.testing.assert_allclose(got, [101, 102, 105])


def test_tz_aware_bars_are_read_in_exchange_time() -> None:
    # 04:15 UTC = 09:45 IST (the second point), 04:45 UTC = 10:15 IST; 1 INR a minute
    idx = pd.DatetimeIndex(["2024-01-02 04:15", "2024-01-02 04:45"], tz="UTC")
    got = line_values(_line("LINE(2024-01-02T09:15, 100, 2024-01-02T09:45, 130)"), idx)
    np.testing.assert_allclose(got, [130, 160])


def test_horizontal_level_and_cross_in_a_rule() -> None:
    idx = pd.date_range("2024-01-01", periods=6, freq="D")
    close = pd.DataFrame({"A": [1, 5, 9, 11, 9, 12.0], "B": [20.0] * 6}, index=idx)
    panel = {k: close for k in ("open", "high", "low", "close", "volume")}
    rule = parse_rule("close CROSSES ABOVE LINE(2023-12-01, 10, 2024-01-02, 10)")
    m = evaluate(rule, panel).matches
    assert m["A"].tolist() == [False, False, False, True, False, True]
    assert not m["B"].any()  # always above: never crosses


def test_a_panel_without_dates_is_refused() -> None:
    close = pd.DataFrame({"A": [1.0, 2.0]})
    panel = {k: close for k in ("open", "high", "low", "close", "volume")}
    with pytest.raises(RuleDataError, match="DatetimeIndex"):
        evaluate(parse_rule("close > LINE(2024-01-01, 1, 2024-01-02, 2)"), panel)


@pytest.mark.parametrize(
    "text",
    [
        "close > LINE(2024-02-30, 1, 2024-03-01, 2)",  # not a date
        "close > LINE(2024-03-01, 1, 2024-03-01, 2)",  # same instant
        "close > LINE(2024-03-02, 1, 2024-03-01, 2)",  # backwards
        "close > LINE(2024-03-01T24:00, 1, 2024-03-02, 2)",  # no such clock
    ],
)
def test_bad_lines_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(RuleValidationError):
        parse_rule(text)


@pytest.mark.parametrize(
    "text", ["close > LINE(2024-03-01, 1, 2024-03-02)", "close > LINE(1, 2, 3, 4)"]
)
def test_malformed_lines_are_syntax_errors(text: str) -> None:
    with pytest.raises(RuleSyntaxError):
        parse_rule(text)


def test_json_form_forbids_unknown_keys_and_non_numbers() -> None:
    base = {"kind": "line", "t0": "2024-01-01", "p0": 1, "t1": "2024-01-02", "p1": 2}
    for bad in ({**base, "code": "x"}, {**base, "p0": "1"}, {**base, "t0": 20240101}):
        cond = {"kind": "compare", "left": {"kind": "series", "name": "close"}, "op": ">",
                "right": bad}  # fmt: skip
        with pytest.raises(RuleValidationError):
            validate_rule({"schema_version": 1, "condition": cond})


@settings(max_examples=150, deadline=None)
@given(lines(), st.sampled_from(["CROSSES ABOVE", "CROSSES BELOW", ">", "<="]))
def test_text_round_trip(line: dict, relation: str) -> None:
    cond = {"kind": "compare", "left": {"kind": "series", "name": "close"}, "op": ">",
            "right": line}  # fmt: skip
    rule = validate_rule({"schema_version": 1, "condition": cond})
    text = print_rule(rule).replace(" > ", f" {relation} ", 1)
    again = parse_rule(text)
    assert parse_rule(print_rule(again)) == again
    assert again.condition.right == rule.condition.right  # type: ignore[union-attr]
