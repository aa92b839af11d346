"""The text form: grammar, syntax errors with positions, printer round trip."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from rule_strategies import rules

from optionsintel.errors import RuleSyntaxError, RuleValidationError
from optionsintel.rules import parse_rule, print_rule, validate_rule
from optionsintel.rules.model import And, Compare, Cross, Not, Number, Or, Series
from optionsintel.rules.validate import MAX_DEPTH


def test_the_issue_example_parses_into_the_tree() -> None:
    rule = parse_rule("RSI(14) < 30 AND close CROSSES ABOVE SMA(50) AND PCR_OI > 1.2")
    c = rule.condition
    assert isinstance(c, And) and len(c.conditions) == 3
    rsi, cross, pcr = c.conditions
    assert rsi == Compare(
        left=Series(name="rsi", params={"window": 14}), op="<", right=Number(value=30)
    )
    assert isinstance(cross, Cross) and cross.direction == "above" and cross.within == 1
    assert cross.right == Series(name="sma", params={"window": 50})
    assert pcr.left == Series(name="pcr_oi", params={"expiry": 0})
    assert print_rule(rule) == "RSI(14) < 30 AND close CROSSES ABOVE SMA(50) AND PCR_OI > 1.2"


def test_precedence_case_and_every_construct() -> None:
    text = (
        "rsi(14)[1] between 20 and 30 or not (close > 5 and volume in (1, 2.5)) "
        "AND TIME BETWEEN 09:15 AND 10:30 AND SIGNAL(CALL_BUILDUP, 0.7) AND ANOMALY "
        "AND PCT_CHANGE(close, 5) >= -3 AND close RISING FOR 3 BARS "
        "AND MACD(12, 26, 9) CROSSES BELOW MACD_SIGNAL(12, 26, 9) WITHIN 3 BARS "
        "AND IV_RANK(100, 1) != 50 AND DTE <= 7"
    )
    rule = parse_rule(text)
    assert isinstance(rule.condition, Or)  # AND binds tighter than OR
    left, right = rule.condition.conditions
    assert left.kind == "between" and left.operand.offset == 1
    assert isinstance(right, And) and isinstance(right.conditions[0], Not)
    assert parse_rule(print_rule(rule)) == rule


def test_signal_defaults_and_nesting_is_kept() -> None:
    assert parse_rule("SIGNAL").condition.type == "ANY"
    nested = parse_rule("ANOMALY AND (ANOMALY AND ANOMALY)")
    assert print_rule(nested) == "ANOMALY AND (ANOMALY AND ANOMALY)"
    assert len(nested.condition.conditions) == 2


@settings(max_examples=300, deadline=None)
@given(rules)
def test_print_then_parse_is_the_identity(data: dict) -> None:
    try:
        rule = validate_rule(data)
    except RuleValidationError:
        assume(False)
    text = print_rule(rule)
    assert parse_rule(text) == rule, text


@pytest.mark.parametrize(
    ("text", "line", "column", "expected"),
    [
        ("RSI(14) <", 1, 10, "number"),
        ("RSI(14) < 30 AND", 1, 17, "NOT"),
        ("RSI(14) < 30\nAND close >> 3", 2, 12, "number"),
        ("close CROSSES SIDEWAYS SMA(5)", 1, 15, "DIRECTION"),
        ("close ; DROP TABLE x", 1, 7, "AND"),
    ],
)
def test_syntax_errors_give_line_column_and_expected(
    text: str, line: int, column: int, expected: str
) -> None:
    with pytest.raises(RuleSyntaxError) as info:
        parse_rule(text)
    err = info.value
    assert (err.line, err.column) == (line, column), err
    assert expected in err.expected, err.expected
    assert f"line {line}, column {column}" in str(err)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("FOO(3) > 1", "unknown operand 'FOO'"),
        ("RSI(14, 3) > 1", "at most 1 parameter"),
        ("RSI(14.5) > 1", "whole number"),
        ("SMA(0) > 1", "[1, 1000]"),
        ("close > 1e999", "finite"),
        ("close[99999999999] > 1", "too large"),
        ("SIGNAL(NOT_A_SIGNAL)", "CALL_BUILDUP"),
        ("TIME BETWEEN 10:00 AND 09:00", "swap"),
        ("close BETWEEN 10 AND 1", "can never match; the low bound comes first: BETWEEN 1 AND 10"),
        ("NOT (volume BETWEEN 2e6 AND -1)", "BETWEEN 2e+06 AND -1 can never match"),
    ],
)
def test_semantic_errors_are_clear(text: str, fragment: str) -> None:
    with pytest.raises(RuleValidationError, match=None) as info:
        parse_rule(text)
    assert fragment in str(info.value)


def test_limits_on_text() -> None:
    with pytest.raises(RuleSyntaxError, match="longer than"):
        parse_rule("ANOMALY OR " * 2000 + "ANOMALY")
    with pytest.raises(RuleSyntaxError, match="nested deeper"):
        parse_rule("(" * 50 + "ANOMALY" + ")" * 50)
    deep = "NOT " * (MAX_DEPTH + 1) + "ANOMALY"
    with pytest.raises(RuleValidationError, match="nested deeper"):
        parse_rule(deep)


def test_validation_errors_in_text_point_at_the_line_and_column() -> None:
    with pytest.raises(RuleValidationError) as info:
        parse_rule("RSI(14) < 30 AND\n  SMA(0) > close")
    (path, message), *_ = info.value.errors
    assert path == "condition.conditions[1].left"
    assert message.endswith("(line 2, column 3)") and "[1, 1000]" in message


def test_a_leading_byte_order_mark_is_not_part_of_the_rule() -> None:
    # a rule file saved by an editor that writes a BOM; only a leading one is dropped
    assert parse_rule("\ufeffRSI(14) < 30") == parse_rule("RSI(14) < 30")
    with pytest.raises(RuleSyntaxError) as info:
        parse_rule("\ufeffRSI(14) < \ufeff30")
    assert info.value.line == 1 and info.value.column == 11
