"""Pattern storage: immutable versions, content hashes, pins, history and diffs (PostgreSQL)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from optionsintel.errors import (
    DuplicateRecordError,
    InvalidArgumentError,
    PatternConflictError,
    PatternNotFoundError,
    RuleSyntaxError,
    RuleValidationError,
)
from optionsintel.rules import parse_rule, rule_json
from optionsintel.services import patterns as svc
from optionsintel.store import Store
from optionsintel.store import patterns as repo


def test_every_save_is_a_new_immutable_version(clean_store: Store) -> None:
    first = svc.save_pattern(
        clean_store, "rsi_dip", "RSI(14) < 30", user="alice", name="RSI dip", note="first cut"
    )
    second = svc.save_pattern(
        clean_store, "rsi_dip", "RSI(14) < 25 AND close > SMA(50)", user="bob", note="stricter"
    )
    assert (first.created, second.created) == (True, True)
    assert (first.version.pin, second.version.pin) == ("rsi_dip@1", "rsi_dip@2")
    history = svc.version_history(clean_store, "rsi_dip")
    assert [v.version for v in history] == [1, 2]
    assert [v.created_by for v in history] == ["alice", "bob"]
    assert history[0].text == "RSI(14) < 30" and history[0].note == "first cut"
    assert history[1].schema_version == 1 and len(history[1].content_hash) == 64
    head = repo.read_pattern(clean_store, "rsi_dip")
    assert (head.name, head.owner, head.latest_version, head.archived) == (
        "RSI dip",
        "alice",
        2,
        False,
    )
    version, rule = svc.load_pinned(clean_store, "rsi_dip@1")  # old versions stay readable
    assert rule == parse_rule("RSI(14) < 30") and version.created_by == "alice"


def test_saving_the_same_definition_again_is_not_a_new_version(clean_store: Store) -> None:
    svc.save_pattern(clean_store, "p", "close > SMA(20)", user="alice", name="P")
    # same rule, written differently (default parameter, case, JSON): same content hash
    again = svc.save_pattern(clean_store, "p", "CLOSE > sma(20)", user="bob")
    as_json = svc.save_pattern(clean_store, "p", rule_json(parse_rule("close > SMA")), user="bob")
    assert not again.created and not as_json.created
    assert again.version.version == 1 and again.version.created_by == "alice"
    assert len(svc.version_history(clean_store, "p")) == 1
    # back to an older definition after a change is a new version (history is linear)
    svc.save_pattern(clean_store, "p", "close > SMA(30)", user="alice")
    back = svc.save_pattern(clean_store, "p", "close > SMA(20)", user="alice")
    assert back.created and back.version.version == 3


def test_versions_are_insert_only(clean_store: Store) -> None:
    saved = svc.save_pattern(clean_store, "p", "close > 1", user="alice", name="P").version
    row = {
        "pattern_id": "p",
        "version": 1,
        "definition": {"tampered": True},
        "text": "x",
        "content_hash": "0" * 64,
        "schema_version": 1,
        "created_by": "mallory",
    }
    with pytest.raises(DuplicateRecordError):
        clean_store.append("pattern_versions", pd.DataFrame([row]))
    assert repo.read_version(clean_store, "p", 1) == saved


def test_invalid_rules_and_ids_store_nothing(clean_store: Store) -> None:
    with pytest.raises(RuleSyntaxError, match="line 1, column"):
        svc.save_pattern(clean_store, "p", "RSI(14) <", user="alice", name="P")
    with pytest.raises(RuleValidationError, match=r"window must lie in \[2, 1000\]"):
        svc.save_pattern(
            clean_store,
            "p",
            {
                "condition": {
                    "kind": "compare",
                    "op": "<",
                    "left": {"kind": "series", "name": "rsi", "params": {"window": 1}},
                    "right": {"kind": "number", "value": 30},
                }
            },
            user="alice",
            name="P",
        )
    for bad in ("Has Space", "../etc", "x" * 65, "__import__('os')"):
        with pytest.raises(InvalidArgumentError, match="pattern id"):
            svc.save_pattern(clean_store, bad, "close > 1", user="alice", name="P")
    with pytest.raises(InvalidArgumentError, match="needs a name"):
        svc.save_pattern(clean_store, "p", "close > 1", user="alice")
    assert svc.list_patterns(clean_store) == []
    assert clean_store.count("pattern_versions") == 0


def test_a_between_that_can_never_match_is_refused_and_a_stored_one_still_loads(
    clean_store: Store,
) -> None:
    inverted = {
        "condition": {
            "kind": "between",
            "operand": {"kind": "series", "name": "close"},
            "low": {"kind": "number", "value": 10},
            "high": {"kind": "number", "value": 1},
        }
    }
    for rule in (inverted, "close BETWEEN 10 AND 1", json.dumps(inverted)):
        with pytest.raises(RuleValidationError, match="can never match"):
            svc.save_pattern(clean_store, "p", rule, user="alice", name="P")
    assert clean_store.count("pattern_versions") == 0
    svc.save_pattern(clean_store, "p", "close BETWEEN 1 AND 10", user="alice", name="P")
    # a version saved before the check (written here as it would have been) loads as saved
    repo.save_version(clean_store, "p", definition={"schema_version": 1, **inverted},
                      text="close BETWEEN 10 AND 1", content_hash="0" * 64, schema_version=1,
                      created_by="alice")  # fmt: skip
    old = svc.version_history(clean_store, "p")[-1]
    assert svc.load_rule(old).condition.low.value == 10


def test_pins_and_missing_versions(clean_store: Store) -> None:
    svc.save_pattern(clean_store, "p", "close > 1", user="alice", name="P")
    assert svc.parse_pin("p@1") == ("p", 1)
    for bad in ("p", "p@0", "p@x", "P@1", "p@1@2"):
        with pytest.raises(InvalidArgumentError, match="pattern_id@version"):
            svc.parse_pin(bad)
    with pytest.raises(PatternNotFoundError, match="no version 2"):
        svc.load_pinned(clean_store, "p@2")
    with pytest.raises(PatternNotFoundError, match="no pattern 'q'"):
        repo.read_version(clean_store, "q")


def test_a_stale_head_loses_and_stores_nothing(clean_store: Store) -> None:
    """Compare-and-set on the head: a save computed against an old head is refused."""
    svc.save_pattern(clean_store, "p", "close > 1", user="alice", name="P")
    with clean_store.transaction() as tx, pytest.raises(PatternConflictError):
        head = {"latest_version": 5}  # what a concurrent writer saw before ours moved on
        repo._move_head(tx, head, "p", 6, None, None, "bob")
    assert repo.read_pattern(clean_store, "p").latest_version == 1


def test_list_and_archive(clean_store: Store) -> None:
    svc.save_pattern(clean_store, "b", "close > 1", user="alice", name="Beta")
    svc.save_pattern(clean_store, "a", "close > 2", user="bob", name="Alpha")
    assert [h.pattern_id for h in svc.list_patterns(clean_store)] == ["a", "b"]
    assert [h.pattern_id for h in svc.list_patterns(clean_store, owner="alice")] == ["b"]
    repo.set_archived(clean_store, "a")
    assert [h.pattern_id for h in svc.list_patterns(clean_store)] == ["b"]
    assert svc.load_pinned(clean_store, "a@1")[1] == parse_rule("close > 2")  # still readable


def test_diff_of_two_versions_is_structural_and_textual(clean_store: Store) -> None:
    svc.save_pattern(
        clean_store,
        "p",
        "RSI(14) < 30 AND close > SMA(50) AND volume > 1000",
        user="alice",
        name="P",
    )
    svc.save_pattern(
        clean_store,
        "p",
        "RSI(10) < 30 AND close > EMA(50) AND volume > 1000 AND ANOMALY",
        user="alice",
    )
    diff = svc.diff_versions(clean_store, "p", 1, 2)
    got = {(c.path, c.kind, str(c.before), str(c.after)) for c in diff.changes}
    assert got == {
        ("condition.conditions[0].left.params.window", "changed", "14", "10"),
        ("condition.conditions[1].right", "changed", "SMA(50)", "EMA(50)"),
        ("condition.conditions[3]", "added", "None", "ANOMALY"),
    }
    assert "-RSI(14) < 30" in diff.text_diff and "+RSI(10) < 30" in diff.text_diff
    assert "+AND ANOMALY" in diff.text_diff and "--- p@1" in diff.text_diff
    assert " AND volume > 1000" in diff.text_diff  # unchanged line kept as context
    assert svc.diff_versions(clean_store, "p", 2, 2).same


def test_diff_reports_a_changed_node_kind_whole() -> None:
    diff = svc.diff_rules(
        parse_rule("close > 1 AND RSI(14) < 30"),
        parse_rule("close > 1 AND RSI(14) CROSSES BELOW 30"),
    )
    assert [(c.path, c.before, c.after) for c in diff.changes] == [
        ("condition.conditions[1]", "RSI(14) < 30", "RSI(14) CROSSES BELOW 30")
    ]
