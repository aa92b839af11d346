"""End to end: the scanner served by Voila, driven by clicks in headless Chromium.

Uses the fixtures of ``test_dashboards_browser`` (Voila on 127.0.0.1 over the demo
database, headless Chromium, external requests answered locally). A pattern version is
saved first (the demo has none); the scan is set up by clicks, run, and its table must
show matches with explanations, sparklines and analytics-report links, with no sideways
scrolling at laptop and phone widths.
"""

from __future__ import annotations

import pytest
from test_dashboards_browser import ARTIFACTS, LAPTOP, PHONE, _page, browser, voila

from optionsintel.services.patterns import save_pattern

__all__ = ["browser", "voila"]  # fixtures, re-exported for pytest
pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_scan_set_up_by_clicks_shows_ranked_matches(demo_scratch_store, voila, browser, size):
    save_pattern(demo_scratch_store, "e2e_any", "RSI(14) <= 100", user="e2e", name="Any RSI")
    page, problems, external = _page(browser, size)
    page.goto(voila["Scanner"], timeout=120_000)
    run = page.get_by_role("button", name="Run scan")
    run.wait_for(timeout=120_000)
    page.locator("select[multiple]:has(option:text-is('e2e_any@1'))").select_option("e2e_any@1")
    page.locator("select:has(option:text-is('Equity universe'))").select_option(
        label="Equity universe"
    )
    run.click()
    page.wait_for_function(
        "() => { const s = document.querySelector('.oi-scan-status');"
        " return s && s.innerText.trim() && !s.innerText.startsWith('Running'); }",
        timeout=180_000,
    )
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"scanner_{size[0]}.png"), full_page=True)
    status = page.locator(".oi-scan-status").inner_text()
    assert "matches of" in status and "synthetic" in status, status
    rows = page.locator("table.oi-scan-table tbody tr")
    assert rows.count() >= 1
    assert page.locator("table.oi-scan-table svg.oi-spark").count() >= 1
    href = rows.first.locator("a").first.get_attribute("href")
    assert href.startswith("/voila/render/analytics_report.ipynb?symbol=")
    page.locator("select:has(option:text-is('close'))").select_option("close")
    page.get_by_role("checkbox", name="Descending").check()
    page.wait_for_timeout(500)
    assert "Traceback" not in page.content()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 2, f"page scrolls sideways by {overflow}px"
    assert not problems, problems
    assert external <= {"cdn.jsdelivr.net"}, external
