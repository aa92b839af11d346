"""Dashboards and notebook helpers: the only subpackage that imports ipywidgets/IPython.

- :func:`build_market_monitor` — the market monitor Voila app.
- :func:`build_analytics_report` — the analytics report Voila app.
- :func:`build_pattern_builder` — the custom-pattern builder Voila app.
- :func:`build_scanner` — the scanner Voila app (scans, results, export, saved scans).
- :class:`BulkProgress` — the progress bar (and Cancel) of a bulk operation.
- :mod:`optionsintel.ui.data` — the store reads the widgets get injected.
"""

from optionsintel.ui.analytics_report import AnalyticsReport, build_analytics_report
from optionsintel.ui.bulk_progress import BulkProgress, track_operation
from optionsintel.ui.market_monitor import MarketMonitor, build_market_monitor
from optionsintel.ui.pattern_builder import PatternBuilder, build_pattern_builder
from optionsintel.ui.scanner import Scanner, build_scanner

__all__ = [
    "AnalyticsReport",
    "BulkProgress",
    "MarketMonitor",
    "PatternBuilder",
    "Scanner",
    "build_analytics_report",
    "build_market_monitor",
    "build_pattern_builder",
    "build_scanner",
    "track_operation",
]
