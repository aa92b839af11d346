"""Dashboards and notebook helpers: the only subpackage that imports ipywidgets/IPython.

- :func:`build_market_monitor` — the market monitor Voila app.
- :func:`build_analytics_report` — the analytics report Voila app.
- :func:`build_pattern_builder` — the custom-pattern builder Voila app.
- :func:`build_backtest_app` — the backtest Voila app.
- :class:`BulkProgress` — the progress bar (and Cancel) of a bulk operation.
- :mod:`optionsintel.ui.data` — the store reads the widgets get injected.
"""

from optionsintel.ui.analytics_report import AnalyticsReport, build_analytics_report
from optionsintel.ui.backtest_app import BacktestApp, build_backtest_app
from optionsintel.ui.bulk_progress import BulkProgress, track_operation
from optionsintel.ui.market_monitor import MarketMonitor, build_market_monitor
from optionsintel.ui.pattern_builder import PatternBuilder, build_pattern_builder

__all__ = [
    "AnalyticsReport",
    "BacktestApp",
    "BulkProgress",
    "MarketMonitor",
    "PatternBuilder",
    "build_analytics_report",
    "build_backtest_app",
    "build_market_monitor",
    "build_pattern_builder",
    "track_operation",
]
