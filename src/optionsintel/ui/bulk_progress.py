"""An ipywidgets progress bar for bulk operations (scans, exports, sweeps).

>>> progress = BulkProgress(on_cancel=lambda op_id: bulk.cancel_operation(store, op_id))
>>> display(progress)                                                    # doctest: +SKIP
>>> run = scans.run_scan(store, spec, progress=progress.update)          # doctest: +SKIP

``update`` takes the operation record (:class:`optionsintel.services.bulk.BulkStatus`)
the bulk runners pass after every batch; the bar shows done + failed of total, the label
the state and the failures, and the Cancel button (enabled while the operation runs)
calls ``on_cancel`` with the operation id. :func:`track_operation` wraps any call that
takes ``progress=`` so a notebook cell is one line.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any, TypeVar

import ipywidgets as widgets
import traitlets

from optionsintel.services.bulk import BulkStatus

T = TypeVar("T")
_STYLE = {"SUCCEEDED": "success", "PARTIAL": "warning", "FAILED": "danger", "CANCELLED": "warning"}


class BulkProgress(widgets.VBox):
    """Progress bar, status line and Cancel button of one bulk operation.

    Traits: ``operation_id``, ``status``, ``done``, ``failed``, ``total``.
    """

    operation_id = traitlets.Unicode("")
    status = traitlets.Unicode("")
    done = traitlets.Int(0)
    failed = traitlets.Int(0)
    total = traitlets.Int(0)

    def __init__(
        self, description: str = "progress", on_cancel: Callable[[str], Any] | None = None
    ) -> None:
        self.bar = widgets.IntProgress(value=0, min=0, max=1, description=description)
        self.label = widgets.HTML("")
        self.cancel_button = widgets.Button(description="Cancel", disabled=True, icon="stop")
        self._on_cancel = on_cancel
        self.cancel_button.on_click(self._cancel)
        row = widgets.HBox([self.bar, self.cancel_button])
        super().__init__([row, self.label] if on_cancel else [self.bar, self.label])

    def update(self, status: BulkStatus) -> None:
        """Show ``status`` (pass this method as ``progress=`` to a bulk runner)."""
        self.operation_id, self.status = status.operation_id, status.status
        self.done, self.failed, self.total = status.done, status.failed, status.total
        self.bar.max = max(status.total, 1)
        self.bar.value = min(status.done + status.failed, self.bar.max)
        self.bar.bar_style = _STYLE.get(status.status, "info")
        failed = f", {status.failed} failed" if status.failed else ""
        self.label.value = escape(
            f"{status.kind} {status.operation_id}: {status.status}, "
            f"{status.done + status.failed}/{status.total}{failed}"
        )
        self.cancel_button.disabled = status.finished or self._on_cancel is None

    def _cancel(self, _button: Any = None) -> None:
        if self._on_cancel is not None and self.operation_id:
            self._on_cancel(self.operation_id)
            self.cancel_button.disabled = True
            self.label.value += " (cancelling after this batch)"

    def reset(self) -> None:
        """Back to an empty bar."""
        self.operation_id, self.status, self.done, self.failed, self.total = "", "", 0, 0, 0
        self.bar.value, self.bar.max, self.bar.bar_style = 0, 1, ""
        self.label.value = ""
        self.cancel_button.disabled = True


def track_operation(
    run: Callable[..., T], *args: Any, progress: BulkProgress | None = None, **kwargs: Any
) -> tuple[T, BulkProgress]:
    """Call ``run(*args, progress=bar.update, **kwargs)``; return (its result, the bar).

    >>> run, bar = track_operation(scans.run_scan, store, spec)   # doctest: +SKIP
    """
    bar = progress or BulkProgress()
    return run(*args, progress=bar.update, **kwargs), bar
