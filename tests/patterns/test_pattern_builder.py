"""The pattern builder, headless: construct, click, set traits, assert on state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optionsintel.rules import TEMPLATES, parse_rule
from optionsintel.store import Store
from optionsintel.ui import PatternBuilder, build_pattern_builder
from optionsintel.ui.pattern_data import PatternSource
from optionsintel.ui.pattern_rows import ConditionGroup, ConditionRow, TextRow

DAYS = pd.bdate_range("2025-01-01", periods=40).date


def _offline() -> PatternBuilder:
    def unused(*_a, **_k):
        raise AssertionError("no data call expected")

    source = PatternSource(
        providers=lambda: ["synthetic"],
        symbols=lambda _p: ["AAA", "BBB"],
        evaluate=unused,
        save=unused,
        patterns=lambda: [],
        versions=lambda _p: [],
        load=unused,
        diff=unused,
    )
    return PatternBuilder(source)


def test_rows_built_by_clicks_write_the_text_form() -> None:
    b = _offline()
    assert b.rule_text == "close > SMA(20)" and b.valid and b.provider == "synthetic"
    b.root.add_row.click()
    row = b.root.members[-1]
    row.left.name.value = "rsi"
    row.left.params["window"].value = 10
    row.op.value = "<"
    row.value.value = 30
    assert b.rule_text == "close > SMA(20) AND RSI(10) < 30"
    row.op.value = "crosses above"
    row.mode.value = "operand"
    row.right.name.value = "ema"
    row.bars.value = 3
    assert b.rule_text == "close > SMA(20) AND RSI(10) CROSSES ABOVE EMA(20) WITHIN 3 BARS"
    b.root.join.value = "or"
    assert b.rule_text.startswith("close > SMA(20) OR RSI(10)")


def test_nested_groups_signal_anomaly_and_reordering() -> None:
    b = _offline()
    b.root.add_group.click()
    group = b.root.members[-1]
    assert isinstance(group, ConditionGroup) and not b.valid  # an empty group
    assert "empty" in group.message.value
    group.add_row.click()
    group.add_row.click()
    group.members[0].left.name.value = "__signal"
    group.members[0].signal.value = "CALL_BUILDUP"
    group.members[0].confidence.value = 0.6
    group.members[1].left.name.value = "__anomaly"
    group.join.value = "or"
    assert b.valid and b.rule_text == "close > SMA(20) AND (SIGNAL(CALL_BUILDUP, 0.6) OR ANOMALY)"
    up = b.root.body.children[1].children[1].children[0]  # the group's "move up" button
    up.click()
    assert b.rule_text == "(SIGNAL(CALL_BUILDUP, 0.6) OR ANOMALY) AND close > SMA(20)"
    trash = b.root.body.children[0].children[1].children[2]
    trash.click()
    assert b.rule_text == "close > SMA(20)"


def test_validation_message_sits_next_to_the_offending_row() -> None:
    b = _offline()
    b.root.add_row.click()
    bad = b.root.members[1]
    bad.left.name.value = "rsi"
    text_before = b.rule_text
    bad.left.params["window"].value = 1
    assert not b.valid
    assert b.errors == [
        ["condition.conditions[1].left", "rsi parameter window must lie in [2, 1000]"]
    ]
    assert "must lie in [2, 1000]" in bad.message.value
    assert b.root.members[0].message.value == "" and b.root.message.value == ""
    assert b.rule_text == text_before  # the text keeps the last valid rule
    bad.left.params["window"].value = 14
    assert b.valid and bad.message.value == ""


def test_text_form_rebuilds_the_rows() -> None:
    b = _offline()
    b.rule_text = (
        "RSI(14)[1] BETWEEN 20 AND 30 AND (close CROSSES BELOW SMA(50) WITHIN 2 BARS "
        "OR NOT ANOMALY) AND TIME BETWEEN 09:15 AND 10:00"
    )
    kinds = [type(m) for m in b.root.members]
    assert kinds == [ConditionRow, ConditionGroup, TextRow]
    assert b.root.members[0].left.offset.value == 1 and b.root.members[0].op.value == "between"
    assert b.valid and parse_rule(b.rule_text) == parse_rule(b.rule_text.lower())
    b.root.members[2].text.value = "TIME BETWEEN 09:15 AND 11:00"  # a text row stays editable
    assert b.rule_text.endswith("TIME BETWEEN 09:15 AND 11:00")
    b.root.members[2].text.value = "TIME BETWEEN"
    assert not b.valid and "line 1" in b.root.members[2].message.value
    b.rule_text = "RSI(14) <"
    assert not b.valid and "line 1, column 10" in b.text_message.value


def test_every_template_round_trips_through_the_rows() -> None:
    b = _offline()
    for name, tpl in TEMPLATES.items():
        b.template.value = name
        assert b.valid and parse_rule(b.rule_text) == tpl.rule(), name
        assert tpl.explanation[:20] in b.template_note.value
    b.reset()
    assert b.rule_text == "close > SMA(20)" and b.template.value == "" and b.matches == []


@pytest.fixture
def bars_store(clean_store: Store) -> Store:
    up, down = 100 + np.arange(40.0), 200 - np.arange(40.0)
    rows = [
        {
            "symbol": s,
            "trade_date": d,
            "open": c,
            "high": c + 1,
            "low": c - 1,
            "close": c,
            "volume": 1e3,
            "provider": "synthetic",
        }
        for s, cl in (("AAA", up), ("BBB", down))
        for d, c in zip(DAYS, cl, strict=True)
    ]
    clean_store.write("daily_ohlc", pd.DataFrame(rows))
    return clean_store


def test_preview_names_the_provider_and_explains(bars_store: Store) -> None:
    b = build_pattern_builder(bars_store)
    assert b.provider_select.options == ("synthetic",)
    b.rule_text = "close > SMA(5) AND RSI(14) > 50"
    b.preview_button.click()
    assert b.state == "ok" and b.matches == ["AAA"] and b.progress == 1.0
    assert "synthetic" in b.results.value and "AAA" in b.results.value
    assert "RSI(14) &gt; 50: RSI(14) = 100" in b.results.value
    b.why_symbol.value = "BBB"
    assert "Why <b>BBB</b>" in b.why_not.value and "close &gt; SMA(5)" in b.why_not.value
    b.universe.value = ("BBB",)
    b.preview_button.click()
    assert b.matches == [] and "0</b> of 1 symbols" in b.results.value


def test_save_versions_history_diff_and_load(bars_store: Store) -> None:
    b = build_pattern_builder(bars_store, user="alice")
    b.rule_text = "close > SMA(5)"
    b.id_input.value, b.name_input.value = "trend", "Trend"
    b.save_button.click()
    assert b.pin == "trend@1" and "Saved trend@1" in b.store_message.value
    b.save_button.click()
    assert "Unchanged" in b.store_message.value and b.pin == "trend@1"
    b.rule_text = "close > SMA(10)"
    b.note_input.value = "slower"
    b.save_button.click()
    assert b.pin == "trend@2" and "slower" in b.history.value and "alice" in b.history.value
    b.diff_a.value, b.diff_b.value = 1, 2
    b.diff_button.click()
    assert "condition.right.params.window" in b.diff_view.value
    assert "-close &gt; SMA(5)" in b.diff_view.value
    b.version_select.value = "trend@1"
    b.load_button.click()
    assert b.rule_text == "close > SMA(5)" and b.pin == "trend@1"
    b.id_input.value = "Bad Id"
    b.save_button.click()
    assert "pattern id" in b.store_message.value and b.pin == "trend@1"


def test_a_loaded_operand_shows_its_own_label_on_the_page():
    """Loading 'close > SMA(20)' showed 'close (INR)' in the right dropdown: the page draws
    the Dropdown's index, which lost its sync with the value (walk2, 2026-11-30)."""
    from optionsintel.ui.pattern_rows import OperandEditor

    editor = OperandEditor(lambda: None)
    editor.load({"name": "sma", "params": {"window": 20}, "offset": 0})
    assert editor.name.value == "sma" and editor.name.label.startswith("SMA")
    editor.name.value = "rsi"  # and it keeps following the value afterwards
    assert editor.name.label.startswith("RSI") and "window" in editor.params
