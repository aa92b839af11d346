"""Append-only records, compare-and-set transitions and SKIP LOCKED claims on real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optionsintel.errors import (
    DuplicateRecordError,
    InvalidStateError,
    RecordNotFoundError,
    StoreError,
    StoreWriteError,
)
from optionsintel.store import Increment, Now, Store
from optionsintel.store.records import state_values
from optionsintel.store.schema import alert_notifications, bulk_operations


def _audit(*event_ids: str, actor: str = "alice") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": list(event_ids),
            "ts": pd.Timestamp("2025-07-16 10:00:00+00:00"),
            "actor": actor,
            "action": "pattern.create",
            "target": [f"pattern/{e}" for e in event_ids],
            "details": [{"version": i + 1, "fields": ["a", "b"]} for i in range(len(event_ids))],
        }
    )


def _quotes(n: int = 3) -> pd.DataFrame:
    t0 = pd.Timestamp("2025-07-16 09:15:00+05:30").tz_convert("UTC")
    return pd.DataFrame(
        {
            "underlying": "NIFTY",
            "snapshot_ts": [t0 + pd.Timedelta(seconds=15 * k) for k in range(n)],
            "ltp": [25000.0 + k for k in range(n)],
            "provider": "replay",
        }
    )


def _notifications(store: Store, n: int) -> list[str]:
    store.write(
        "alert_rules",
        pd.DataFrame({"owner": ["alice"], "name": ["nifty-up"], "condition": [{"above": 1}]}),
    )
    keys = [f"nifty-up:{k:04d}" for k in range(n)]
    frame = pd.DataFrame(
        {
            "dedupe_key": keys,
            "owner": "alice",
            "rule_name": "nifty-up",
            "channel": "webhook",
            "payload": [{"n": k} for k in range(n)],
        }
    )
    store.append("alert_notifications", frame)
    return keys


def _operation(store: Store, operation_id: str) -> None:
    store.append(
        "bulk_operations",
        pd.DataFrame(
            {
                "operation_id": [operation_id],
                "kind": ["scan"],
                "status": ["PENDING"],
                "total_items": [10],
            }
        ),
    )


# -- append -----------------------------------------------------------------------------------


def test_append_inserts_new_records(clean_store: Store) -> None:
    result = clean_store.append("audit_log", _audit("e1", "e2", "e3"))
    assert (result.rows, result.inserted, result.updated) == (3, 3, 0)
    single = clean_store.append("audit_log", _audit("e4"))
    assert single.inserted == 1
    got = clean_store.read("audit_log", order_by=["event_id"])
    assert list(got["event_id"]) == ["e1", "e2", "e3", "e4"]
    assert got["details"].iloc[1] == {"version": 2, "fields": ["a", "b"]}


def test_append_of_a_stored_key_raises_and_stores_nothing(clean_store: Store) -> None:
    clean_store.append("audit_log", _audit("e1", "e2"))
    with pytest.raises(DuplicateRecordError, match=r"audit_log.*1 of 3.*'event_id': 'e2'") as err:
        clean_store.append("audit_log", _audit("e3", "e2", "e4", actor="mallory"))
    assert err.value.table == "audit_log"
    assert err.value.keys == [{"event_id": "e2"}]
    got = clean_store.read("audit_log", order_by=["event_id"])
    assert list(got["event_id"]) == ["e1", "e2"]  # neither e3 nor e4 was kept
    assert set(got["actor"]) == {"alice"}  # and e2 was not updated


def test_append_with_composite_key_names_every_key_column(clean_store: Store) -> None:
    head = {"pattern_id": ["squeeze"], "name": ["Squeeze"], "owner": ["alice"]}
    clean_store.append("custom_patterns", pd.DataFrame({**head, "latest_version": [1]}))
    pattern = pd.DataFrame({"pattern_id": ["squeeze"], "version": [1], "definition": [{"all": []}],
                            "text": ["x"], "content_hash": ["h"], "schema_version": [1],
                            "created_by": ["alice"]})  # fmt: skip
    clean_store.append("pattern_versions", pattern)
    with pytest.raises(DuplicateRecordError) as err:
        clean_store.append("pattern_versions", pattern.assign(definition=[{"any": []}]))
    assert err.value.keys == [{"pattern_id": "squeeze", "version": 1}]
    assert clean_store.read("pattern_versions")["definition"].iloc[0] == {"all": []}


def test_append_rejected_by_the_database_stores_nothing(clean_store: Store) -> None:
    with pytest.raises(StoreWriteError, match=r"alert_notifications.*foreign key") as err:
        _notifications_without_rule(clean_store)
    assert not isinstance(err.value, DuplicateRecordError)
    assert clean_store.count("alert_notifications") == 0


def _notifications_without_rule(store: Store) -> None:
    store.append(
        "alert_notifications",
        pd.DataFrame(
            {
                "dedupe_key": ["k"],
                "owner": ["bob"],
                "rule_name": ["none"],
                "channel": ["email"],
                "payload": [{}],
            }
        ),
    )


def test_append_can_skip_stored_idempotency_keys(clean_store: Store) -> None:
    clean_store.append("audit_log", _audit("e1"))
    result = clean_store.append("audit_log", _audit("e1", "e2", actor="bob"), on_duplicate="skip")
    assert (result.inserted, result.unchanged) == (1, 1)
    got = clean_store.read("audit_log", order_by=["event_id"])
    assert list(got["actor"]) == ["alice", "bob"]


def test_append_rolls_back_with_the_market_write_of_its_transaction(clean_store: Store) -> None:
    clean_store.append("audit_log", _audit("e1"))
    with pytest.raises(DuplicateRecordError), clean_store.transaction() as writer:
        writer.write("underlying_quotes", _quotes())
        writer.append("audit_log", _audit("e1"))
    assert clean_store.count("underlying_quotes") == 0
    with clean_store.transaction() as writer:
        writer.write("underlying_quotes", _quotes())
        writer.append("audit_log", _audit("e2"))
    assert clean_store.count("underlying_quotes") == 3
    assert clean_store.count("audit_log") == 2


def test_a_caught_duplicate_leaves_the_transaction_usable(clean_store: Store) -> None:
    clean_store.append("audit_log", _audit("e1"))
    with clean_store.transaction() as writer:
        writer.write("underlying_quotes", _quotes())
        with pytest.raises(DuplicateRecordError):
            writer.append("audit_log", _audit("e2", "e1"))
        writer.append("audit_log", _audit("e3"))
    assert clean_store.count("underlying_quotes") == 3
    assert sorted(clean_store.read("audit_log")["event_id"]) == ["e1", "e3"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.sets(st.integers(0, 12), min_size=1, max_size=6), max_size=6))
def test_append_keeps_exactly_the_disjoint_batches(clean_store: Store, batches) -> None:
    """An append succeeds iff its keys are new; the store holds the union of the successes."""
    with clean_store.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE audit_log")
    stored: set[int] = set()
    for batch in batches:
        frame = _audit(*(f"e{k:02d}" for k in sorted(batch)))
        if batch & stored:
            clash = sorted(f"e{k:02d}" for k in batch & stored)
            with pytest.raises(
                DuplicateRecordError, match=f" {len(clash)} of {len(batch)} "
            ) as err:
                clean_store.append("audit_log", frame)
            # the message quotes the first five clashing keys
            assert [k["event_id"] for k in err.value.keys] == clash[:5]
        else:
            assert clean_store.append("audit_log", frame).inserted == len(batch)
            stored |= batch
    assert set(clean_store.read("audit_log")["event_id"]) == {f"e{k:02d}" for k in stored}


# -- transitions ----------------------------------------------------------------------------


def test_states_come_from_the_schema() -> None:
    assert state_values(bulk_operations, "status") == (
        "PENDING",
        "RUNNING",
        "SUCCEEDED",
        "FAILED",
        "PARTIAL",
        "CANCELLED",
    )
    assert state_values(alert_notifications, "status") == ("PENDING", "SENDING", "SENT", "FAILED")
    with pytest.raises(InvalidStateError, match="not a state column"):
        state_values(bulk_operations, "kind")


def test_transition_wins_once_then_loses(clean_store: Store) -> None:
    _operation(clean_store, "op1")
    before = clean_store.read("bulk_operations")["updated_at"].iloc[0]
    assert clean_store.transition("bulk_operations", "op1", "PENDING", "RUNNING", done_items=4)
    assert not clean_store.transition("bulk_operations", "op1", "PENDING", "RUNNING", done_items=9)
    row = clean_store.read("bulk_operations").iloc[0]
    assert (row["status"], row["done_items"]) == ("RUNNING", 4)
    assert row["updated_at"] > before
    assert clean_store.transition(
        "bulk_operations", {"operation_id": "op1"}, ["PENDING", "RUNNING"], "CANCELLED"
    )


def test_transition_counts_attempts_with_the_database_clock(clean_store: Store) -> None:
    (key,) = _notifications(clean_store, 1)
    for attempt in (1, 2):
        assert clean_store.transition(
            "alert_notifications", key, "PENDING", "SENDING", attempts=Increment(1)
        )
        assert clean_store.transition(
            "alert_notifications",
            key,
            "SENDING",
            "PENDING",
            last_error="HTTP 503",
            next_attempt_at=Now(dt.timedelta(minutes=5)),
        )
        assert clean_store.read("alert_notifications")["attempts"].iloc[0] == attempt
    assert clean_store.transition("alert_notifications", key, "PENDING", "SENT", sent_at=Now())
    row = clean_store.read("alert_notifications").iloc[0]
    assert row["status"] == "SENT" and row["last_error"] == "HTTP 503"
    assert row["next_attempt_at"] - row["sent_at"] > pd.Timedelta(minutes=4)


def test_transition_many_moves_only_rows_still_held(clean_store: Store) -> None:
    k0, k1, k2, k3 = _notifications(clean_store, 4)
    claimed = clean_store.claim(
        "alert_notifications", state="PENDING", to_state="SENDING", limit=4,
        attempts=Increment(1), claimed_by="d1",
    )  # fmt: skip
    assert set(claimed["attempts"]) == {1}
    held = [
        {"dedupe_key": k0, "claimed_by": "d1", "attempts": 1},
        {"dedupe_key": k1, "claimed_by": "d1", "attempts": 1},
        {"dedupe_key": k2, "claimed_by": "d2", "attempts": 1},  # another holder
        {"dedupe_key": k3, "claimed_by": "d1", "attempts": 2},  # another attempt
    ]
    with clean_store.transaction() as w:
        moved = w.transition_many("alert_notifications", held, "SENDING", "SENT", sent_at=Now())
        assert w.transition_many("alert_notifications", [], "SENDING", "SENT") == []
    assert sorted(m["dedupe_key"] for m in moved) == [k0, k1]
    got = clean_store.read("alert_notifications", order_by=["dedupe_key"])
    assert list(got["status"]) == ["SENT", "SENT", "SENDING", "SENDING"]
    assert got["sent_at"].iloc[:2].notna().all() and got["sent_at"].iloc[2:].isna().all()
    with clean_store.transaction() as w, pytest.raises(StoreError, match="every row names"):
        w.transition_many("alert_notifications", [{"dedupe_key": k2, "nope": 1}], "SENDING", "SENT")


def test_transition_rejects_what_the_schema_does_not_declare(clean_store: Store) -> None:
    _operation(clean_store, "op1")
    with pytest.raises(InvalidStateError, match="no state 'DONE'"):
        clean_store.transition("bulk_operations", "op1", "PENDING", "DONE")
    with pytest.raises(InvalidStateError, match="no column 'phase'"):
        clean_store.transition("bulk_operations", "op1", "A", "B", state_column="phase")
    with pytest.raises(StoreError, match="no column 'colour'"):
        clean_store.transition("bulk_operations", "op1", "PENDING", "RUNNING", colour="red")
    with pytest.raises(StoreError, match="key column 'operation_id'"):
        clean_store.transition("bulk_operations", "op1", "PENDING", "RUNNING", operation_id="x")
    with pytest.raises(StoreWriteError, match=r"bulk_operations.*ck_bulk_operations_progress"):
        clean_store.transition("bulk_operations", "op1", "PENDING", "RUNNING", done_items=11)
    with pytest.raises(RecordNotFoundError, match="op2"):
        clean_store.transition("bulk_operations", "op2", "PENDING", "RUNNING")
    assert clean_store.read("bulk_operations")["status"].iloc[0] == "PENDING"


def test_racing_transitions_have_one_winner(clean_store: Store) -> None:
    _operation(clean_store, "op1")
    start = threading.Barrier(6)
    wins: list[bool] = []

    def worker(n: int) -> None:
        start.wait()
        wins.append(
            clean_store.transition("bulk_operations", "op1", "PENDING", "RUNNING", done_items=n)
        )

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 5 + [True]


# -- claims -------------------------------------------------------------------------------------


def test_claim_moves_due_rows_in_order(clean_store: Store) -> None:
    keys = _notifications(clean_store, 5)
    later = pd.Timestamp.now(tz="UTC") + pd.Timedelta(hours=1)
    clean_store.transition(
        "alert_notifications", keys[0], "PENDING", "PENDING", next_attempt_at=later
    )
    got = clean_store.claim(
        "alert_notifications",
        state="PENDING",
        to_state="SENDING",
        limit=3,
        order_by=["-dedupe_key"],
        due="next_attempt_at",
        attempts=Increment(1),
    )
    assert list(got["dedupe_key"]) == keys[4:1:-1]
    assert set(got["status"]) == {"SENDING"} and set(got["attempts"]) == {1}
    rest = clean_store.claim(
        "alert_notifications",
        state="PENDING",
        to_state="SENDING",
        limit=10,
        due="next_attempt_at",
    )
    assert list(rest["dedupe_key"]) == [keys[1]]  # keys[0] is not due yet
    empty = clean_store.claim(
        "alert_notifications",
        state="PENDING",
        to_state="SENDING",
        limit=10,
        due="next_attempt_at",
    )
    assert empty.empty and "dedupe_key" in empty.columns


def test_claim_filters_and_validates(clean_store: Store) -> None:
    for op, kind in (("op1", "scan"), ("op2", "export")):
        clean_store.append(
            "bulk_operations",
            pd.DataFrame({"operation_id": [op], "kind": [kind], "status": ["PENDING"]}),
        )
    got = clean_store.claim(
        "bulk_operations", state="PENDING", to_state="RUNNING", limit=5, where={"kind": "export"}
    )
    assert list(got["operation_id"]) == ["op2"]
    with pytest.raises(InvalidStateError):
        clean_store.claim("bulk_operations", state="PENDING", to_state="BUSY", limit=1)
    with pytest.raises(StoreError, match="limit=0"):
        clean_store.claim("bulk_operations", state="PENDING", to_state="RUNNING", limit=0)
    with pytest.raises(StoreError, match="no timestamp column 'kind'"):
        clean_store.claim(
            "bulk_operations", state="PENDING", to_state="RUNNING", limit=1, due="kind"
        )
    assert clean_store.count("bulk_operations", {"status": "PENDING"}) == 1


def test_concurrent_claimers_never_share_a_row(clean_store: Store) -> None:
    """4 workers x 50 rows each on average: every row is claimed exactly once."""
    keys = _notifications(clean_store, 200)
    start = threading.Barrier(4)
    claimed: dict[int, list[str]] = {w: [] for w in range(4)}
    errors: list[BaseException] = []

    def worker(w: int) -> None:
        try:
            start.wait()
            while True:
                with clean_store.transaction() as writer:  # a connection of its own
                    got = writer.claim(
                        "alert_notifications",
                        state="PENDING",
                        to_state="SENDING",
                        limit=7,
                        attempts=Increment(1),
                    )
                    time.sleep(0.005)  # hold the row locks so the others must skip them
                if got.empty:
                    return
                claimed[w].extend(got["dedupe_key"])
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    everything = [k for w in claimed for k in claimed[w]]
    assert sorted(everything) == keys  # each exactly once
    assert sum(1 for w in claimed if claimed[w]) >= 2  # the work was actually shared
    rows = clean_store.read("alert_notifications")
    assert set(rows["status"]) == {"SENDING"} and set(rows["attempts"]) == {1}
