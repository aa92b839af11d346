"""End to end: the drawing canvas and the analytics report's new tabs in headless Chromium.

Uses the fixtures of ``test_dashboards_browser`` (Voila on 127.0.0.1 over the demo
database). The canvas test draws a line with the mouse on plotly's draw-line tool (the
full path: mouse -> plotly relayout -> widget trait -> condition -> rule text), then adds
a parallel line by a relayout dispatched through the page's plotly (as a second drawing
would) to make a channel condition. The report test opens the Technical tab (candles,
detected patterns, a backtest run on the button) and the Fundamental tab of an equity.
"""

from __future__ import annotations

import pytest
from test_dashboards_browser import ARTIFACTS, LAPTOP, PHONE, _page, browser, voila

__all__ = ["browser", "voila"]  # fixtures, re-exported for pytest
pytestmark = pytest.mark.e2e

_TEXT_HAS = "(s) => [...document.querySelectorAll('textarea')].some(t => t.value.includes(s))"
# ipywidgets writes option labels with non-breaking spaces
_OPTION_HAS = ("(s) => [...document.querySelectorAll('option')]"
               ".some(o => o.textContent.replace(/\\u00a0/g, ' ').includes(s))")  # fmt: skip


def _choose(page, text: str) -> None:
    """Select the option labelled ``text`` (by index: labels carry non-breaking spaces)."""
    select = page.locator(f"select:has(option:text-is('{text}'))").first
    index = select.evaluate("(el, t) => [...el.options].findIndex("
                            "o => o.textContent.replace(/\\u00a0/g, ' ') === t)", text)  # fmt: skip
    assert index >= 0, text
    select.select_option(index=index)


def _wait(page, selector: str, name: str, timeout: int = 120_000) -> None:
    """Wait for ``selector``; on a timeout keep a screenshot and say what the page showed."""
    try:
        page.wait_for_selector(selector, timeout=timeout)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / f"{name}_timeout.png"), full_page=True)
        shown = page.evaluate("[...document.querySelectorAll('.oi-msg')].map(m => m.innerText)")
        raise AssertionError(f"{selector} did not appear; messages: {shown}") from None


def _no_overflow(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 2, f"page scrolls sideways by {overflow}px"


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_canvas_drawing_becomes_a_rule_condition(voila, browser, size):
    page, problems, external = _page(browser, size)
    page.goto(voila["Pattern builder"], timeout=120_000)
    show = page.get_by_role("button", name="Show chart")
    show.wait_for(timeout=120_000)
    show.click()
    plot = page.locator(".oi-canvas-plot")
    _wait(page, ".oi-canvas-plot .cartesianlayer .trace", f"canvas_{size[0]}")
    page.wait_for_timeout(500)
    drag = page.locator(".oi-canvas-plot .nsewdrag").first
    drag.scroll_into_view_if_needed()  # the mouse only reaches what is in the viewport
    page.wait_for_timeout(300)
    box = drag.bounding_box()
    assert box and box["width"] > 100
    # draw with the mouse: plotly's draw-line tool is the default drag mode
    x0, y0 = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.7
    x1, y1 = box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.35
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)
    page.mouse.up()
    try:
        page.wait_for_function(_OPTION_HAS, arg="1: trendline", timeout=90_000)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / f"canvas_draw_{size[0]}_timeout.png"))
        drawn = plot.evaluate("(d) => JSON.stringify((d.layout.shapes || []).map(s => "
                              "[s.name, s.x0, s.y0, s.x1, s.y1]))")  # fmt: skip
        shown = page.evaluate("[...document.querySelectorAll('.oi-msg')].map(m => m.innerText)")
        raise AssertionError(
            f"no drawing offered; plotly shapes {drawn}; messages {shown}"
        ) from None
    page.get_by_role("button", name="Add to rule").click()
    page.wait_for_function(_TEXT_HAS, arg="CROSSES ABOVE LINE(", timeout=90_000)
    # a second, parallel line through the page's plotly: a channel
    plot.evaluate("""(div) => {
        const s = div.layout.shapes.filter(x => !String(x.name || '').startsWith('pattern:'))[0];
        const lower = {type: 'line', x0: s.x0, x1: s.x1, y0: s.y0 * 0.95, y1: s.y1 * 0.95};
        return div.__oiPlotly.relayout(div, {shapes: [...div.layout.shapes, lower]});
    }""")
    page.wait_for_function(_OPTION_HAS, arg="1+2: channel", timeout=90_000)
    _choose(page, "1+2: channel")
    page.wait_for_function(_OPTION_HAS, arg="is inside", timeout=60_000)
    _choose(page, "is inside")
    page.wait_for_function(
        "() => [...document.querySelectorAll('code')].some(c => c.textContent.includes('BETWEEN'))",
        timeout=60_000,
    )
    page.get_by_role("button", name="Add to rule").click()
    page.wait_for_function(_TEXT_HAS, arg="BETWEEN LINE(", timeout=90_000)
    page.screenshot(path=str(ARTIFACTS / f"canvas_{size[0]}.png"), full_page=True)
    assert page.locator(".oi-canvas-plot path[class*='shapelayer'], .oi-canvas-plot .shapelayer "
                        "path").count() >= 2  # fmt: skip
    assert page.locator(".oi-msg.error").count() == 0
    assert "Traceback" not in page.content()
    _no_overflow(page)
    assert not problems, problems
    assert external <= {"cdn.jsdelivr.net"}, external


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_report_technical_and_fundamental_tabs(voila, browser, size, demo_scratch_store):
    store = demo_scratch_store  # what the apps of ``voila`` read
    equity = sorted(str(s) for s in store.distinct("equity_fundamentals", "symbol", {}))[0]
    page, problems, external = _page(browser, size)
    page.goto(voila["Analytics report"], timeout=120_000)
    generate = page.get_by_role("button", name="Generate report")
    generate.wait_for(timeout=120_000)
    page.locator("select[multiple]").first.select_option([equity])
    generate.click()
    page.wait_for_selector(".oi-card", timeout=120_000)
    assert page.locator(".oi-gauge").count() == 1
    page.get_by_role("tab", name="Technical").click()
    _wait(page, ".js-plotly-plot .trace.boxes", f"report_technical_{size[0]}")
    page.wait_for_function(
        "(s) => [...document.querySelectorAll('.oi-msg')].some(m => m.textContent.includes(s))",
        arg="pattern detection(s)", timeout=60_000,
    )  # fmt: skip
    page.get_by_role("button", name="Run backtest").click()
    _wait(page, "text=Win rate", f"report_backtest_{size[0]}", timeout=240_000)
    assert page.get_by_text("Average loss").count() >= 1
    page.screenshot(path=str(ARTIFACTS / f"report_technical_{size[0]}.png"), full_page=True)
    _no_overflow(page)
    page.get_by_role("tab", name="Fundamental").click()
    _wait(page, "text=Sector median", f"report_fundamental_{size[0]}", timeout=60_000)
    assert page.get_by_text("Anomaly label").count() >= 1
    page.screenshot(path=str(ARTIFACTS / f"report_fundamental_{size[0]}.png"), full_page=True)
    assert page.locator(".oi-msg.error").count() == 0
    assert "Traceback" not in page.content()
    _no_overflow(page)
    assert not problems, problems
    assert external <= {"cdn.jsdelivr.net"}, external
