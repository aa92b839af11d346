"""The rule model: validation, canonical form, limits and error paths."""

from __future__ import annotations

import json
import typing

import pytest
from hypothesis import given, settings
from rule_strategies import rules

from optionsintel.errors import RuleValidationError
from optionsintel.rules import CATALOGUE, SIGNAL_TYPES, Rule, catalogue_rows, validate_rule
from optionsintel.rules.model import SignalName
from optionsintel.rules.validate import MAX_DEPTH, MAX_NODES, parse_rule_json, rule_json
from optionsintel.signals.config import SignalType


def _cmp(left: dict, op: str = "<", value: float = 30.0) -> dict:
    return {"kind": "compare", "left": left, "op": op, "right": {"kind": "number", "value": value}}


def _rsi(**params: int) -> dict:
    return {"kind": "series", "name": "rsi", "params": params}


def _errors(data: object) -> list[tuple[str, str]]:
    with pytest.raises(RuleValidationError) as info:
        validate_rule(data)
    return info.value.errors


def test_defaults_are_filled_in_so_the_canonical_form_is_unique() -> None:
    a = validate_rule({"condition": _cmp(_rsi())})
    b = validate_rule({"schema_version": 1, "condition": _cmp(_rsi(window=14))})
    assert a == b
    assert rule_json(a) == rule_json(b)
    assert a.condition.left.params == {"window": 14}


def test_json_round_trip() -> None:
    rule = validate_rule(
        {"condition": {"kind": "and", "conditions": [_cmp(_rsi()), {"kind": "anomaly"}]}}
    )
    assert parse_rule_json(rule_json(rule)) == rule


@settings(max_examples=150, deadline=None)
@given(rules)
def test_random_valid_trees_survive_json(data: dict) -> None:
    try:
        rule = validate_rule(data)
    except RuleValidationError as exc:  # only the depth limit may refuse a generated tree
        assert all("nested deeper" in m for _, m in exc.errors)
        return
    assert parse_rule_json(rule_json(rule)) == rule
    assert validate_rule(json.loads(rule_json(rule))) == rule


def test_error_paths_point_at_the_offending_node() -> None:
    bad = {
        "condition": {
            "kind": "and",
            "conditions": [
                _cmp({"kind": "series", "name": "rsx"}),
                _cmp(_rsi(window=5000)),
                {"kind": "cross", "left": _rsi(), "direction": "sideways", "right": _rsi()},
                {"kind": "nope"},
            ],
        }
    }
    errors = dict(_errors(bad))
    assert "did you mean 'rsi'" in errors["condition.conditions[0].left.name"]
    assert "window must lie in [2, 1000]" in errors["condition.conditions[1].left"]
    assert "condition.conditions[2].direction" in errors
    assert "use one of" in errors["condition.conditions[3]"]


@pytest.mark.parametrize(
    ("condition", "path", "fragment"),
    [
        (_cmp(_rsi(), value=float("nan")), "condition.right.value", "finite"),
        (_cmp(_rsi(), value=1e300), "condition.right.value", "finite"),
        (
            _cmp({"kind": "series", "name": "macd", "params": {"fast": 30, "slow": 20}}),
            "condition.left",
            "shorter",
        ),
        (
            _cmp({"kind": "series", "name": "rsi", "params": {"length": 3}}),
            "condition.left",
            "no parameter 'length'",
        ),
        (
            _cmp({"kind": "series", "name": "rsi", "params": {"window": True}}),
            "condition.left",
            "whole number",
        ),
        (_cmp({"kind": "series", "name": "rsi", "offset": 251}), "condition.left.offset", "250"),
        ({"kind": "time_window", "start": "15:00", "end": "09:15"}, "condition", "swap"),
        ({"kind": "time_window", "start": "25:00", "end": "26:00"}, "condition.start", "pattern"),
        ({"kind": "signal", "type": "__import__"}, "condition.type", "CALL_BUILDUP"),
        ({"kind": "signal", "min_confidence": 2}, "condition.min_confidence", "1"),
        (
            {"kind": "and", "conditions": [{"kind": "anomaly"}]},
            "condition.conditions",
            "at least 2",
        ),
        ({"kind": "in", "operand": _rsi(), "values": []}, "condition.values", "at least 1"),
        ({"kind": "anomaly", "code": "os.system('x')"}, "condition.code", "unknown key"),
    ],
)
def test_each_violation_names_its_path(condition: dict, path: str, fragment: str) -> None:
    errors = _errors({"condition": condition})
    assert any(p == path and fragment in m for p, m in errors), errors


def test_limits_on_depth_nodes_and_shape() -> None:
    deep: dict = {"kind": "anomaly"}
    for _ in range(MAX_DEPTH + 1):
        deep = {"kind": "not", "condition": deep}
    assert "nested deeper" in _errors({"condition": deep})[0][1]
    wide = {"kind": "or", "conditions": [{"kind": "and", "conditions": [_cmp(_rsi())] * 60}] * 4}
    assert f"more than {MAX_NODES} nodes" in _errors({"condition": wide})[0][1]
    assert _errors([1, 2])[0] == ("", "a rule must be a JSON object with 'condition'")
    assert (
        "schema_version" in _errors({"schema_version": 2, "condition": {"kind": "anomaly"}})[0][0]
    )


def test_json_text_refuses_nan_huge_and_deep_input() -> None:
    for text in (
        '{"condition": {"kind": "compare", "left": NaN}}',
        "[" * 100_000,
        "{" * 5000,
        "1" * 200_000,
    ):
        with pytest.raises(RuleValidationError):
            parse_rule_json(text)


def test_catalogue_is_closed_documented_data() -> None:
    rows = catalogue_rows()
    assert len(rows) == len(CATALOGUE) > 40
    for row in rows:
        assert row["unit"] and row["datasets"] and row["description"]
    families = {r["family"] for r in rows}
    assert families == {"price", "indicator", "chain", "fundamental"}
    for needed in (
        "sma",
        "ema",
        "rsi",
        "macd",
        "macd_signal",
        "macd_histogram",
        "bb_upper",
        "bb_percent_b",
        "atr",
        "vwap",
        "pivot",
        "high_52w",
        "low_52w",
        "rvol",
        "pcr_oi",
        "pcr_volume",
        "max_pain",
        "max_pain_distance",
        "atm_iv",
        "iv_rank",
        "iv_percentile",
        "expected_move",
        "gex",
        "gamma_flip",
        "atm_oi",
        "atm_oi_change",
        "call_wall",
        "put_wall",
        "dte",
        "eps_growth",
        "revenue_growth",
        "margin",
        "debt_equity",
    ):
        assert needed in CATALOGUE


def test_signal_names_match_the_signals_package() -> None:
    assert set(SIGNAL_TYPES) == {s.value for s in SignalType}
    assert set(typing.get_args(SignalName)) == {"ANY", *SIGNAL_TYPES}


def test_json_schema_lists_operands_for_a_ui() -> None:
    schema = json.dumps(Rule.model_json_schema())
    assert '"rsi"' in schema and "additionalProperties" in schema


def test_docs_list_every_operand() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "patterns.md").read_text()
    for row in catalogue_rows():
        assert f"| `{row['token']}` | {row['name']} |" in doc, row["token"]
