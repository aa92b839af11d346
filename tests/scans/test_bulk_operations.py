"""The bulk-operation model: partial failure keeps successes, resume skips done, cancel."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

from optionsintel.errors import BulkOperationError
from optionsintel.services import bulk
from optionsintel.services.bulk import BatchOutcome, ItemError
from optionsintel.store import Store

ITEMS = [f"I{i:03d}" for i in range(40)]


def _marker_writer(items: list[str]):
    """A batch write: one scan_results row per item (to check results survive)."""

    def write(writer) -> None:
        writer.write("scan_results", pd.DataFrame({
            "run_id": "bulk-test", "kind": "scan", "name": "t", "symbol": items,
            "as_of": pd.Timestamp("2025-01-01", tz="UTC"), "provider": "synthetic"}))  # fmt: skip

    return write


def test_partial_failure_keeps_successes_and_resume_skips_done(clean_store: Store) -> None:
    calls: list[list[str]] = []
    broken = {"I007", "I021"}

    def work(batch: list[str]) -> BatchOutcome:
        calls.append(batch)
        if "I013" in batch:
            raise RuntimeError("provider timed out\nsecond line")  # the whole batch fails
        ok = [i for i in batch if i not in broken]
        bad = [ItemError(i, "ValueError", "bad data") for i in batch if i in broken]
        return BatchOutcome(done=ok, failed=bad, write=_marker_writer(ok))

    seen = []
    status = bulk.run_batches(clean_store, "metrics", ITEMS, work, batch_size=5,
                              operation_id="op-partial", progress=seen.append)  # fmt: skip
    assert status.status == "PARTIAL" and status.total == 40
    assert (status.done, status.failed) == (33, 7)  # batch I010-I014 (5) + 2 broken
    assert [s.done + s.failed for s in seen] == [0, 5, 10, 15, 20, 25, 30, 35, 40]
    errors = {
        e.item: (e.error, e.message) for e in bulk.operation_errors(clean_store, "op-partial")
    }
    assert errors["I013"] == ("RuntimeError", "provider timed out") and len(errors) == 7
    stored = clean_store.read("scan_results", where={"run_id": "bulk-test"})
    assert len(stored) == 33  # every success kept

    resumed: list[str] = []

    def fixed(batch: list[str]) -> BatchOutcome:
        resumed.extend(batch)
        return BatchOutcome(done=batch, write=_marker_writer(batch))

    again = bulk.run_batches(clean_store, "metrics", ITEMS, fixed, batch_size=5,
                             operation_id="op-partial")  # fmt: skip
    assert resumed == ["I007", "I010", "I011", "I012", "I013", "I014", "I021"]  # not done ones
    assert again.status == "SUCCEEDED" and (again.done, again.failed) == (40, 0)
    assert len(clean_store.read("scan_results", where={"run_id": "bulk-test"})) == 40
    with pytest.raises(BulkOperationError, match="already succeeded"):
        bulk.run_batches(clean_store, "metrics", ITEMS, work, operation_id="op-partial")


def test_concurrent_cancel_stops_between_batches_and_keeps_work(clean_store: Store) -> None:
    started = threading.Event()

    def work(batch: list[str]) -> BatchOutcome:
        started.set()
        time.sleep(0.05)
        return BatchOutcome(done=batch)

    result: dict[str, bulk.BulkStatus] = {}

    def runner() -> None:
        result["status"] = bulk.run_batches(clean_store, "export", ITEMS, work, batch_size=2,
                                            operation_id="op-cancel")  # fmt: skip

    thread = threading.Thread(target=runner)
    thread.start()
    assert started.wait(10)
    assert bulk.cancel_operation(clean_store, "op-cancel")  # another connection, any time
    thread.join(30)
    final = result["status"]
    assert final.status == "CANCELLED" and final.summary.get("cancelled") is True
    assert 0 < final.done < 40 and final.done % 2 == 0  # whole batches, then stopped
    items = clean_store.read("bulk_operation_items", where={"operation_id": "op-cancel"})
    assert len(items) == final.done
    assert not bulk.cancel_operation(clean_store, "op-cancel")  # already finished
    resumed = bulk.run_batches(clean_store, "export", None, work, batch_size=10,
                               operation_id="op-cancel")  # fmt: skip
    assert resumed.status == "SUCCEEDED" and resumed.done == 40


def test_start_and_cancel_errors(clean_store: Store) -> None:
    with pytest.raises(BulkOperationError, match="unique"):
        bulk.BulkOperation.start(clean_store, "scan", ["A", "A"])
    with pytest.raises(BulkOperationError, match="kind"):
        bulk.BulkOperation.start(clean_store, "Bad Kind!", ["A"])
    op = bulk.BulkOperation.start(clean_store, "scan", ["A", "B"], operation_id="op-x")
    with pytest.raises(BulkOperationError, match="is a scan"):
        bulk.BulkOperation.start(clean_store, "export", None, operation_id="op-x")
    with pytest.raises(BulkOperationError, match="other items"):
        bulk.BulkOperation.start(clean_store, "scan", ["A"], operation_id="op-x")
    with pytest.raises(BulkOperationError, match="no bulk operation"):
        bulk.cancel_operation(clean_store, "op-none")
    final = op.fail(RuntimeError("database went away"))
    assert final.status == "FAILED" and final.summary["message"] == "database went away"
    listed = bulk.list_operations(clean_store, kind="scan")
    assert [o.operation_id for o in listed] == ["op-x"]


def test_all_items_failing_is_failed(clean_store: Store) -> None:
    def work(batch: list[str]) -> BatchOutcome:
        raise ValueError("nope")

    status = bulk.run_batches(clean_store, "sweep", ITEMS[:4], work, batch_size=3)
    assert status.status == "FAILED" and status.failed == 4 and status.done == 0


def test_an_export_is_a_bulk_operation_of_the_same_model(clean_store: Store, tmp_path) -> None:
    from optionsintel.services.exports import export_dataset, new_operation_id
    from scans.helpers import seed_universe

    seed_universe(clean_store, ["AAA", "BBB"], pd.bdate_range("2025-01-01", periods=5).date)
    op = new_operation_id()
    export_dataset(clean_store, "daily_ohlc", tmp_path / "bars.csv", provider="synthetic",
                   operation_id=op)  # fmt: skip
    status = bulk.read_operation(clean_store, op)
    assert status.kind == "export" and status.status == "SUCCEEDED" and status.finished
    assert status.finished_at is not None and status.done == status.total == 10
    assert not bulk.cancel_operation(clean_store, op)  # finished: nothing to cancel
