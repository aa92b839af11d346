"""End to end: the alerts manager served by Voila, driven by clicks in headless Chromium.

Uses the fixtures of ``test_dashboards_browser`` (Voila on 127.0.0.1 over the demo
database, headless Chromium, external requests answered locally). A rule is created by
typing and clicking, shows in the rules table, is muted and unmuted; the bell opens the
feed; nothing scrolls sideways at laptop or phone width.
"""

from __future__ import annotations

import pytest
from test_dashboards_browser import ARTIFACTS, LAPTOP, PHONE, _page, browser, voila

__all__ = ["browser", "voila"]  # fixtures, re-exported for pytest
pytestmark = pytest.mark.e2e


def _fill(page, label: str, text: str) -> None:
    box = page.locator(".widget-text", has=page.locator("label", has_text=label)).locator("input")
    box.first.fill(text)
    box.first.press("Enter")


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_rule_created_muted_and_feed_opened_by_clicks(voila, browser, size):
    page, problems, external = _page(browser, size)
    page.goto(voila["Alerts manager"], timeout=120_000)
    save = page.get_by_role("button", name="Save rule")
    save.wait_for(timeout=120_000)
    name = f"e2e-nifty-{size[0]}"
    _fill(page, "Name", name)
    _fill(page, "Symbols", "NIFTY")
    save.click()
    page.wait_for_selector(f"table.oi-rules td:text-is('{name}')", timeout=60_000)
    page.get_by_text(f"Saved {name} (created).").wait_for(timeout=30_000)
    page.locator(f"select:has(option:text-is('{name}'))").first.select_option(label=name)
    # text-is: the accessible name also holds the icon font's glyph, the text does not
    page.locator("button:text-is('Mute')").click()
    page.wait_for_selector("table.oi-rules td.MUTED", timeout=30_000)
    page.locator("button:text-is('Unmute')").click()
    page.wait_for_function(
        "() => !document.querySelector('table.oi-rules td.MUTED')", timeout=30_000
    )
    page.locator("button:text-is('🔔 0')").click()
    page.wait_for_selector("text=No notifications yet.", timeout=30_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"alerts_manager_{size[0]}.png"), full_page=True)
    assert page.locator(".oi-msg.error").count() == 0
    assert "Traceback" not in page.content()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 2, f"page scrolls sideways by {overflow}px"
    assert not problems, problems
    assert external <= {"cdn.jsdelivr.net"}, external
