"""End to end: the pattern builder served by Voila, driven by clicks in headless Chromium.

Uses the fixtures of ``test_dashboards_browser`` (Voila on 127.0.0.1 over the demo
database, headless Chromium, external requests answered locally). A pattern is built
by clicks only (remove the default row, add a condition, pick operand, operator and
value), previewed, and must produce matches named with their provider.
"""

from __future__ import annotations

import pytest
from test_dashboards_browser import ARTIFACTS, LAPTOP, PHONE, _page, browser, voila

__all__ = ["browser", "voila"]  # fixtures, re-exported for pytest
pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_pattern_built_by_clicks_produces_matches(voila, browser, size):
    page, problems, external = _page(browser, size)
    page.goto(voila["Pattern builder"], timeout=120_000)
    preview = page.get_by_role("button", name="Preview matches")
    preview.wait_for(timeout=120_000)
    page.locator("button[title='Remove']").first.click()  # the default condition
    page.screenshot(path=str(ARTIFACTS / f"pattern_builder_{size[0]}_start.png"), full_page=True)
    page.locator("button[title='Add a condition']").first.click()
    row_select = page.locator("select:has(option:text-is('crosses above'))").first
    row_select.wait_for(timeout=30_000)
    operand = page.locator("select:has(option:text-is('RSI (0-100)'))").first
    operand.select_option(label="RSI (0-100)")
    row_select.select_option(label="<=")
    value = page.locator(".oi-app .widget-text input[type='number']").last
    value.fill("100")
    value.press("Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll('textarea')].some(t => t.value === 'RSI(14) <= 100')",
        timeout=30_000,
    )
    preview.click()
    page.wait_for_selector("table.oi-matches tbody tr", timeout=120_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"pattern_builder_{size[0]}.png"), full_page=True)
    assert page.locator("table.oi-matches tbody tr").count() >= 1
    assert page.get_by_text("(data: ").count() >= 1  # the provider is named
    assert page.locator(".oi-msg.error").count() == 0
    assert "Traceback" not in page.content()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 2, f"page scrolls sideways by {overflow}px"
    assert not problems, problems
    assert external <= {"cdn.jsdelivr.net"}, external
