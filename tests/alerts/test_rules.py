"""The alert rule model: valid rules round-trip, invalid ones fail with one clear line."""

from __future__ import annotations

import datetime as dt

import pytest

from optionsintel.alerts import AlertRule, parse_rule, rule_document
from optionsintel.errors import AlertRuleError

CH = [{"kind": "in_app"}]


def _rule(**kw) -> dict:
    base = {"owner": "asha", "name": "nifty-break", "symbols": ["NIFTY"],
            "condition": {"type": "PRICE", "op": "above", "value": 25000},
            "channels": CH}  # fmt: skip
    return base | kw


@pytest.mark.parametrize(
    "condition",
    [
        {"type": "PRICE", "op": "crosses", "value": 25000},
        {"type": "PRICE", "op": "pct_change", "value": 1.5, "window_minutes": 15,
         "direction": "down"},
        {"type": "OI_CHANGE", "scope": "strike", "strike": 25000, "expiry": "2025-07-17",
         "measure": "pct", "threshold": 20, "side": "CE"},
        {"type": "OI_CHANGE", "scope": "expiry", "expiry": "2025-07-17", "measure": "absolute",
         "threshold": 1e6},
        {"type": "OI_CHANGE", "scope": "total", "measure": "absolute", "threshold": 1e6},
        {"type": "VOLUME_SPIKE", "multiple": 3, "window": 20},
        {"type": "VOLATILITY", "metric": "atm_iv", "op": "above", "value": 18},
        {"type": "VOLATILITY", "metric": "atm_iv_change", "op": "below", "value": -2,
         "window_minutes": 30},
        {"type": "VOLATILITY", "metric": "iv_rank", "op": "above", "value": 80},
        {"type": "SIGNAL", "signal_types": ["GAMMA_SQUEEZE"], "min_confidence": 70,
         "min_strength": "STRONG"},
        {"type": "PATTERN", "pattern": "bull-flag", "version": 3},
        {"type": "SCAN", "scan_id": "oi-breakouts"},
    ],
)  # fmt: skip
def test_every_condition_type_round_trips(condition) -> None:
    rule = parse_rule(_rule(condition=condition))
    assert rule.condition.type == condition["type"]
    assert parse_rule(rule_document(rule)) == rule


def test_channels_schedule_and_caps() -> None:
    rule = parse_rule(
        _rule(
            channels=[
                {"kind": "webhook", "url": "https://desk.example/hook",
                 "secret_env": "OPTIONSINTEL_WEBHOOK_SECRET_DESK"},
                {"kind": "email", "to": ["a@example.com"]},
                {"kind": "telegram", "chat_id": "-1001234"},
                {"kind": "sms", "to": "+919800000001"},
                {"kind": "in_app"},
            ],
            active_from="10:00", active_until="14:00", active_days="weekdays",
            expires_at="2025-12-31 15:30", max_triggers_per_day=3, cooldown_seconds=60,
            hysteresis=False,
        )
    )  # fmt: skip
    assert [c.kind for c in rule.channels] == ["webhook", "email", "telegram", "sms", "in_app"]
    assert rule.active_from == dt.time(10) and rule.max_triggers_per_day == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"active_from": "00:00:00Z"}, "without an offset"),  # found by the API fuzzer
        ({"symbols": []}, "exactly one of symbols"),
        ({"watchlist": "fno"}, "exactly one of symbols"),
        ({"symbols": ["NIFTY", "NIFTY"]}, "repeat"),
        ({"channels": []}, "channels"),
        ({"condition": {"type": "PRICE", "op": "above", "value": -1}}, "greater than 0"),
        ({"condition": {"type": "PRICE", "op": "pct_change", "value": 1}}, "window_minutes"),
        ({"condition": {"type": "PRICE", "op": "above", "value": 1, "window_minutes": 5}},
         "window_minutes"),
        ({"condition": {"type": "OI_CHANGE", "scope": "strike", "measure": "pct", "threshold": 5}},
         "strike and expiry"),
        ({"condition": {"type": "SIGNAL", "signal_types": ["MOON"]}}, "signal_types"),
        ({"condition": {"type": "WEATHER"}}, "does not match any of the expected tags"),
        ({"condition": {"type": "VOLATILITY", "metric": "iv_rank", "op": "above", "value": 120}},
         "[0, 100]"),
        ({"channels": [{"kind": "webhook", "url": "https://x.example",
                        "secret_env": "AWS_SECRET_ACCESS_KEY"}]}, "secret_env"),
        ({"channels": [{"kind": "webhook", "url": "https://x.example", "secret": "whsec_abc",
                        "secret_env": "OPTIONSINTEL_WEBHOOK_SECRET_X"}]}, "Extra inputs"),
        ({"channels": [{"kind": "sms", "to": "98000"}]}, "channels.0.sms.to"),
        ({"channels": [{"kind": "pager"}]}, "does not match any of the expected tags"),
        ({"active_from": "15:00", "active_until": "10:00"}, "active_from must be before"),
        ({"max_triggers_per_day": 0}, "max_triggers_per_day"),
        ({"name": "a/b; DROP TABLE"}, "name"),
    ],
)  # fmt: skip
def test_invalid_rules_fail_with_one_clear_line(change, message) -> None:
    with pytest.raises(AlertRuleError) as info:
        parse_rule(_rule(**change))
    text = str(info.value)
    assert "\n" not in text and text.startswith("alert rule")
    assert message in text


def test_parse_accepts_a_rule_and_rules_are_frozen() -> None:
    rule = parse_rule(_rule())
    assert parse_rule(rule) is rule
    with pytest.raises(Exception, match="frozen"):
        rule.cooldown_seconds = 5  # type: ignore[misc]
    assert isinstance(rule, AlertRule)
