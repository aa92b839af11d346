"""Pre-heated app kernels: do the slow start-up before anyone opens the page.

``optionsintel up`` / ``optionsintel dashboards`` on loopback keep one pre-heated kernel
per heavy app (:data:`optionsintel.cli.dashboards.PREHEATED_APPS`): Voila starts the
kernel and runs the notebook ahead of the request. An app notebook calls
:func:`wait_for_viewer` after its imports: in a pre-heated kernel it runs the given
warm-up functions (vectorbt's import and the cached kernels, plotly's figure classes)
and then blocks until a page takes the kernel, so the app itself is built from the
data as of the page's opening, never as of the server's start. Anywhere else (a
kernel started for the page, JupyterLab, tests) it returns at once and does nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optionsintel.store import Store

_log = logging.getLogger(__name__)

__all__ = ["is_preheating", "wait_for_viewer", "warm_backtests", "warm_market_monitor"]


def is_preheating() -> bool:
    """Whether this kernel is one Voila is pre-heating (no page has taken it yet)."""
    return os.environ.get("VOILA_PREHEAT") == "True" and bool(os.environ.get("VOILA_KERNEL_ID"))


def wait_for_viewer(*warm: Callable[[], object]) -> None:
    """In a pre-heated kernel: run ``warm``, then wait for the page's request.

    Voila's ``wait_for_request`` (imported only here: ``voila.utils`` costs ~1 s)
    returns when a page takes the kernel and puts the request's variables (query
    string, the viewer header in exposed mode) into ``os.environ``.
    """
    if not is_preheating():
        return
    for fn in warm:
        try:
            fn()
        except Exception:  # an optimisation only: the page's own build reports real problems
            _log.debug("warm-up %r failed", fn, exc_info=True)
    from voila.utils import wait_for_request

    wait_for_request()
    os.environ["VOILA_PREHEAT"] = "False"  # the page has it now: later calls return at once


def warm_backtests() -> None:
    """The backtest app's warm-up: vectorbt's import and the cached compiled kernels."""
    from optionsintel.backtest import warm_up

    warm_up()


def warm_market_monitor(store: Store | None = None) -> None:
    """The market monitor's warm-up: one throw-away build (no timer), its widgets closed.

    A first build in a process costs ~2.3 s where a second costs ~0.3 s: numba loading
    the chain kernels from its cache (~0.8 s), plotly's templates and validators
    (~0.7 s), the store's engine and first queries. The page's own build then reads the
    data as of its opening. Only the widgets this build created are closed (module-level
    ones, such as shared layouts made at import, stay), so the page's state holds no
    leftovers.
    """
    from ipywidgets import Widget

    from optionsintel.ui.market_monitor import build_market_monitor

    before = set(Widget.widgets)
    build_market_monitor(store, autostart=False)
    for model_id in set(Widget.widgets) - before:
        widget = Widget.widgets.get(model_id)
        if widget is not None:
            widget.close()
