"""Dashboards and notebook helpers: the only subpackage that imports ipywidgets/IPython.

- :func:`build_market_monitor` — the market monitor Voila app.
- :func:`build_analytics_report` — the analytics report Voila app.
- :mod:`optionsintel.ui.data` — the store reads the widgets get injected.
"""

from optionsintel.ui.analytics_report import AnalyticsReport, build_analytics_report
from optionsintel.ui.market_monitor import MarketMonitor, build_market_monitor

__all__ = ["AnalyticsReport", "MarketMonitor", "build_analytics_report", "build_market_monitor"]
