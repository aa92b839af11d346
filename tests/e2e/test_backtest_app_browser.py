"""End to end: the backtest app served by Voila, driven by clicks in headless Chromium.

Uses the fixtures of ``test_dashboards_browser`` (Voila on 127.0.0.1 over the demo
database, headless Chromium, external requests answered locally). A signal backtest is
run by clicks on the demo data: the metric cards must name the provider, the equity and
drawdown chart must fit its cell, and nothing may scroll sideways at either width.
"""

from __future__ import annotations

import pytest
from test_dashboards_browser import (
    ARTIFACTS,
    LAPTOP,
    PHONE,
    _assert_charts_fit,
    _page,
    browser,
    used_pre_heated_kernel,
    voila,
)

__all__ = ["browser", "voila"]  # fixtures, re-exported for pytest
pytestmark = pytest.mark.e2e


@pytest.mark.preheat
@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_signal_backtest_by_clicks_shows_cards_and_chart(voila, browser, size):
    page, problems, external = _page(browser, size)
    page.goto(voila["Backtests"], timeout=120_000)
    run = page.get_by_role("button", name="Run backtest")
    run.wait_for(timeout=120_000)
    page.get_by_role("button", name="Signal").click()  # the source toggle
    page.locator("select:has(option:text-is('PUT_BUILDUP'))").first.wait_for(timeout=30_000)
    run.click()
    page.wait_for_selector(".oi-card", timeout=180_000)
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"backtests_{size[0]}.png"), full_page=True)
    assert page.get_by_text("data: ").count() >= 1  # the provider is named
    assert page.locator(".oi-card").count() >= 10
    assert page.locator(".oi-msg.error").count() == 0, page.locator(".oi-msg").all_inner_texts()
    assert "Traceback" not in page.content()
    _assert_charts_fit(page, 1)
    assert not problems, problems
    assert external <= {"cdn.jsdelivr.net"}, external
    assert used_pre_heated_kernel("backtests.ipynb")
