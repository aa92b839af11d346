"""The bulk-operation progress bar, headless."""

from __future__ import annotations

from optionsintel.services.bulk import BulkStatus
from optionsintel.ui import BulkProgress, track_operation


def _status(done: int, failed: int, status: str = "RUNNING") -> BulkStatus:
    return BulkStatus("scan-1", "scan", status, 10, done, failed, {}, {}, None, None, None, None)


def test_updates_bar_label_and_cancel() -> None:
    cancelled: list[str] = []
    bar = BulkProgress("scan", on_cancel=cancelled.append)
    bar.update(_status(4, 1))
    assert (bar.bar.value, bar.bar.max, bar.failed) == (5, 10, 1)
    assert "5/10, 1 failed" in bar.label.value and not bar.cancel_button.disabled
    bar.cancel_button.click()
    assert cancelled == ["scan-1"] and bar.cancel_button.disabled
    bar.update(_status(9, 1, "PARTIAL"))
    assert bar.bar.bar_style == "warning" and bar.cancel_button.disabled
    bar.reset()
    assert bar.bar.value == 0 and bar.operation_id == "" and bar.label.value == ""


def test_track_operation_passes_the_callback() -> None:
    def job(n: int, *, progress) -> int:
        for k in range(n + 1):
            progress(_status(k, 0, "SUCCEEDED" if k == n else "RUNNING"))
        return n

    result, bar = track_operation(job, 10)
    assert result == 10 and bar.bar.value == 10 and bar.status == "SUCCEEDED"
