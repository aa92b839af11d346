"""Dashboards and notebook helpers: the only subpackage that imports ipywidgets/IPython.

- :func:`build_market_monitor` — the market monitor Voila app.
- :func:`build_analytics_report` — the analytics report Voila app.
- :func:`build_pattern_builder` — the custom-pattern builder Voila app.
- :func:`build_backtest_app` — the backtest Voila app.
- :func:`build_scanner` — the scanner Voila app (scans, results, export, saved scans).
- :func:`build_alerts_manager` — the alerts manager Voila app; :func:`build_bell` the
  notification bell any app can include.
- :class:`BulkProgress` — the progress bar (and Cancel) of a bulk operation.
- :func:`build_strategy_builder` — the options strategy builder Voila app.
- :func:`build_home` — the front door; :func:`build_admin` — the admin dashboard;
  :mod:`optionsintel.ui.theme` — the viewer's settings applied (numbers, colours).
- :mod:`optionsintel.ui.data` — the store reads the widgets get injected.

The apps are imported on first use (PEP 562): a notebook's ``from optionsintel.ui
import build_market_monitor`` loads the market monitor only, not the analytics report's
research stack (scikit-learn, statsmodels, SciPy's statistics), which is what a fresh
Voila kernel spent most of its start on (issue 21; benchmarks/bench_dashboards.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optionsintel.ui.admin import AdminApp, build_admin
    from optionsintel.ui.alerts_bell import NotificationBell, build_bell
    from optionsintel.ui.alerts_manager import AlertsManager, build_alerts_manager
    from optionsintel.ui.analytics_report import AnalyticsReport, build_analytics_report
    from optionsintel.ui.backtest_app import BacktestApp, build_backtest_app
    from optionsintel.ui.bulk_progress import BulkProgress, track_operation
    from optionsintel.ui.home import build_home
    from optionsintel.ui.market_monitor import MarketMonitor, build_market_monitor
    from optionsintel.ui.pattern_builder import PatternBuilder, build_pattern_builder
    from optionsintel.ui.scanner import Scanner, build_scanner
    from optionsintel.ui.strategy_builder import StrategyBuilder, build_strategy_builder

_HOME = {
    "AdminApp": "optionsintel.ui.admin",
    "build_admin": "optionsintel.ui.admin",
    "build_home": "optionsintel.ui.home",
    "NotificationBell": "optionsintel.ui.alerts_bell",
    "build_bell": "optionsintel.ui.alerts_bell",
    "AlertsManager": "optionsintel.ui.alerts_manager",
    "build_alerts_manager": "optionsintel.ui.alerts_manager",
    "AnalyticsReport": "optionsintel.ui.analytics_report",
    "build_analytics_report": "optionsintel.ui.analytics_report",
    "BacktestApp": "optionsintel.ui.backtest_app",
    "build_backtest_app": "optionsintel.ui.backtest_app",
    "BulkProgress": "optionsintel.ui.bulk_progress",
    "track_operation": "optionsintel.ui.bulk_progress",
    "MarketMonitor": "optionsintel.ui.market_monitor",
    "build_market_monitor": "optionsintel.ui.market_monitor",
    "PatternBuilder": "optionsintel.ui.pattern_builder",
    "build_pattern_builder": "optionsintel.ui.pattern_builder",
    "Scanner": "optionsintel.ui.scanner",
    "build_scanner": "optionsintel.ui.scanner",
    "StrategyBuilder": "optionsintel.ui.strategy_builder",
    "build_strategy_builder": "optionsintel.ui.strategy_builder",
}

__all__ = [
    "AdminApp",
    "AlertsManager",
    "AnalyticsReport",
    "BacktestApp",
    "BulkProgress",
    "MarketMonitor",
    "NotificationBell",
    "PatternBuilder",
    "Scanner",
    "StrategyBuilder",
    "build_admin",
    "build_alerts_manager",
    "build_analytics_report",
    "build_backtest_app",
    "build_bell",
    "build_home",
    "build_market_monitor",
    "build_pattern_builder",
    "build_scanner",
    "build_strategy_builder",
    "track_operation",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'optionsintel.ui' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value
