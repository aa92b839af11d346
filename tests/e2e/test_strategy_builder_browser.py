"""End to end: the strategy builder served by Voila over the demo store, in headless Chromium.

The demo store holds the recorded real NSE chains (provider ``replay``). The app loads the
newest chain as of its instant; a template is added by clicks, the payoff chart, the cards
and the greeks must render, the strategy is saved and sent to the options backtester, and
the page must not scroll sideways at 1366x800 or 390x844.
"""

from __future__ import annotations

import pytest
from test_dashboards_browser import ARTIFACTS, LAPTOP, PHONE, _page, browser, voila

__all__ = ["browser", "voila"]  # fixtures, re-exported for pytest
pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_strategy_built_saved_and_backtested_by_clicks(voila, browser, size):
    page, problems, external = _page(browser, size)
    page.goto(voila["Strategy builder"], timeout=120_000)
    add = page.get_by_role("button", name="Add template")
    add.wait_for(timeout=120_000)
    page.wait_for_selector("text=(data: ", timeout=120_000)  # the provider is named
    add.click()
    page.wait_for_selector(".oi-card", timeout=60_000)
    page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=60_000)
    assert page.locator("table.oi-legs tbody tr").count() == 2  # the default short straddle
    assert page.locator("table.oi-greeks tbody tr").count() >= 3
    page.locator("input[placeholder='my condor']").fill(f"e2e {size[0]}")
    page.get_by_role("button", name="Save strategy").click()
    page.wait_for_selector("text=saved as", timeout=60_000)
    page.get_by_role("button", name="Backtest").click()
    page.wait_for_selector("table.oi-bt", timeout=120_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"strategy_builder_{size[0]}.png"), full_page=True)
    assert page.get_by_text("stored as bt-").count() >= 1
    assert page.locator(".oi-msg.error").count() == 0
    assert "Traceback" not in page.content()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 2, f"page scrolls sideways by {overflow}px"
    assert not problems, problems
    assert external <= {"cdn.jsdelivr.net"}, external
