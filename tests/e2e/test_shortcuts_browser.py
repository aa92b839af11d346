"""End to end: the market monitor's keyboard shortcuts in headless Chromium.

The page lists the keys; pressing ``n`` (not in a text box) moves the expiry, which the
chain caption and the Expiry dropdown then show; ``p`` moves it back. Uses the Voila and
Chromium fixtures of ``test_dashboards_browser`` (demo database).
"""

from __future__ import annotations

import pytest
from test_dashboards_browser import ARTIFACTS, LAPTOP, _page, browser, voila

__all__ = ["browser", "voila"]  # fixtures, re-exported for pytest
pytestmark = pytest.mark.e2e

_CAPTION = "document.querySelector('table.oi-chain caption').innerText"


def test_keys_are_listed_and_n_p_step_the_expiry(voila, browser):
    page, problems, _ = _page(browser, LAPTOP)
    page.goto(voila["Market monitor"], timeout=120_000)
    page.wait_for_selector("table.oi-chain tr.chain-row", timeout=120_000)
    page.wait_for_selector("ul.oi-shortcuts kbd", timeout=60_000)
    listed = page.locator("ul.oi-shortcuts li").all_inner_texts()
    assert "n next expiry" in listed and "r refresh" in listed, listed
    expiry = page.locator(".widget-dropdown", has_text="Expiry").locator("select")
    first, caption = expiry.input_value(), page.evaluate(_CAPTION)
    page.locator("h2", has_text="Market monitor").click()  # focus the page, not a control
    page.keyboard.press("n")
    page.wait_for_function(f"(b) => {_CAPTION} !== b", arg=caption, timeout=60_000)
    page.wait_for_function("(f) => [...document.querySelectorAll('.widget-dropdown')]"
                           ".find(d => d.innerText.includes('Expiry'))"
                           ".querySelector('select').value !== f", arg=first,
                           timeout=30_000)  # fmt: skip
    page.screenshot(path=str(ARTIFACTS / "market_monitor_next_expiry.png"), full_page=True)
    second = expiry.input_value()
    page.keyboard.press("p")
    page.wait_for_function("(f) => [...document.querySelectorAll('.widget-dropdown')]"
                           ".find(d => d.innerText.includes('Expiry'))"
                           ".querySelector('select').value === f", arg=first,
                           timeout=30_000)  # fmt: skip
    assert second != first
    assert "Traceback" not in page.content()
    assert not problems, problems
