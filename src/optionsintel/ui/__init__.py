"""Dashboards and notebook helpers: the only subpackage that imports ipywidgets/IPython.

- :func:`build_market_monitor` — the market monitor Voila app.
- :func:`build_analytics_report` — the analytics report Voila app.
- :func:`build_pattern_builder` — the custom-pattern builder Voila app.
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
    from optionsintel.ui.analytics_report import AnalyticsReport, build_analytics_report
    from optionsintel.ui.market_monitor import MarketMonitor, build_market_monitor
    from optionsintel.ui.pattern_builder import PatternBuilder, build_pattern_builder

_HOME = {
    "AnalyticsReport": "optionsintel.ui.analytics_report",
    "build_analytics_report": "optionsintel.ui.analytics_report",
    "MarketMonitor": "optionsintel.ui.market_monitor",
    "build_market_monitor": "optionsintel.ui.market_monitor",
    "PatternBuilder": "optionsintel.ui.pattern_builder",
    "build_pattern_builder": "optionsintel.ui.pattern_builder",
}

__all__ = [
    "AnalyticsReport",
    "MarketMonitor",
    "PatternBuilder",
    "build_analytics_report",
    "build_market_monitor",
    "build_pattern_builder",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'optionsintel.ui' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value
