"""The Voila apps of the platform, by title: one catalogue for every layer that names them.

The dashboards server serves them (``optionsintel.cli.dashboards``), the home page and the
navigation bar of every app link them (``optionsintel.ui``), and a person's
``default_dashboard`` setting must be one of them (``optionsintel.services.user_settings``).
Standard library only: the CLI imports it at start-up.
"""

from __future__ import annotations

__all__ = ["APPS", "HOME", "app_url"]

HOME = "home.ipynb"
#: The Voila apps by title; the home page comes first (it links every other one).
APPS: dict[str, str] = {
    "Home": HOME,
    "Market monitor": "market_monitor.ipynb",
    "Analytics report": "analytics_report.ipynb",
    "Pattern builder": "pattern_builder.ipynb",
    "Backtests": "backtests.ipynb",
    "Strategy builder": "strategy_builder.ipynb",
    "Scanner": "scanner.ipynb",
    "Alerts manager": "alerts_manager.ipynb",
    "Admin": "admin.ipynb",
}


def app_url(notebook: str) -> str:
    """The path of an app on the dashboards server (relative to its host).

    >>> app_url("scanner.ipynb")
    '/voila/render/scanner.ipynb'
    """
    return f"/voila/render/{notebook}"
