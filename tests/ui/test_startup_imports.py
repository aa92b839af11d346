"""Issue 21: a market monitor kernel starts without the research stack it does not use.

``optionsintel.ui`` and ``optionsintel.research`` resolve their names on first use; the
names stay the same (checked here against ``__all__``).
"""

from __future__ import annotations

import subprocess
import sys

import optionsintel.research as research
import optionsintel.ui as ui


def test_market_monitor_import_skips_sklearn_and_statsmodels() -> None:
    code = (
        "import sys\n"
        "from optionsintel.ui import build_market_monitor\n"
        "print(sorted(m for m in ('sklearn', 'statsmodels', 'optionsintel.ui.analytics_report')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_packages_export_every_name() -> None:
    for pkg in (research, ui):
        for name in pkg.__all__:
            assert getattr(pkg, name) is not None
        assert set(pkg.__all__) <= set(dir(pkg))
    assert research.sma.__module__ == "optionsintel.research.indicators"
