"""End to end: Voila on 127.0.0.1, each app in headless Chromium, assertions on the DOM.

Screenshots go to ``tests/artifacts/`` (gitignored). External requests (Voila's
template asks a CDN for icon fonts) are answered locally with an empty body, so the
test never touches the internet.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from dashboard_servers import free_port, wait_until_answers
from optionsintel.cli.dashboards import PREHEATED_APPS, dashboard_server_commands, dashboard_urls

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]  # fmt: skip
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
#: This test process's Voila log: CI runs two passes of the suite side by side in one
#: checkout, and a shared file was truncated by the other pass's server mid-test.
VOILA_LOG = ARTIFACTS / f"voila-{os.getpid()}.log"
LAPTOP, PHONE = (1366, 800), (390, 844)
# every chart's box against its grid cell, its grid and the viewport (CSS pixels)
_CHART_BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')].map((plot) => {
  const box = (el) => el.getBoundingClientRect();
  const svg = plot.querySelector('svg.main-svg');
  return {plot: box(plot), svg: svg ? box(svg) : null, cell: box(plot.parentElement),
          grid: box(plot.closest('.oi-plotly-grid')), viewport: window.innerWidth};
})"""
pytestmark = pytest.mark.e2e


@pytest.fixture
def voila(demo_scratch_url, request):
    """Voila serving the apps over the demo data; tests marked ``preheat`` get the
    pre-heated kernels ``optionsintel up`` keeps (the rest do without: two kernels
    warming up at start would only slow a test of another app)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium chromium-driver")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": demo_scratch_url}  # the apps may save and run
    log = VOILA_LOG.open("w") if ARTIFACTS.mkdir(exist_ok=True) is None else None
    preheat = PREHEATED_APPS if request.node.get_closest_marker("preheat") else ()
    proc = subprocess.Popen(dashboard_server_commands(port, preheat=preheat)[0], env=env,
                            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        try:
            wait_until_answers(f"http://127.0.0.1:{port}/")
        except RuntimeError as exc:
            pytest.fail(f"Voila did not start: {exc} (see {VOILA_LOG})")
        _wait_for_pools(preheat)
        yield dashboard_urls(port)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _wait_for_pools(apps: tuple[str, ...], timeout_s: float = 240.0) -> None:
    """Wait until Voila says each pre-heated app's pool is filled.

    Voila hands a page a pooled kernel only once that kernel has started (a page that
    comes sooner gets a fresh one); on a loaded machine (CI's two passes on two cores)
    the start can take longer than the server's. A user's page is usually opened long
    after ``optionsintel up`` starts; the tests wait for the same state.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        text = VOILA_LOG.read_text(errors="replace")
        missing = [a for a in apps if f"Kernel pool of {a} is filled" not in text]
        if not missing:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"Voila's pools of {missing} not filled within {timeout_s:.0f} s")
        time.sleep(0.5)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _page(browser, size: tuple[int, int]):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    problems: list[str] = []
    external: set[str] = set()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    def local_only(route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            return route.continue_()
        external.add(host or "")
        return route.fulfill(status=200, body="", content_type="text/css")

    page.route("**/*", local_only)
    return page, problems, external


def _assert_charts_fit(page, count: int) -> None:
    """No chart is wider than its cell, its grid or the viewport (no clipping, no overflow)."""
    boxes = page.evaluate(_CHART_BOXES)
    assert len(boxes) == count
    for i, b in enumerate(boxes):
        plot, cell, grid, svg = b["plot"], b["cell"], b["grid"], b["svg"] or b["plot"]
        assert plot["width"] > 100 and svg["width"] > 100, (i, b)
        for inner in (plot, svg):
            assert inner["left"] >= cell["left"] - 1 and inner["right"] <= cell["right"] + 1, (i, b)
        assert cell["left"] >= grid["left"] - 1 and cell["right"] <= grid["right"] + 1, (i, b)
        assert plot["left"] >= -1 and svg["right"] <= b["viewport"] + 1, (i, b)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 2, f"page scrolls sideways by {overflow}px"


def _assert_updates_in_place(page) -> None:
    """Another expiry redraws the same chart elements (Plotly.react: no flicker)."""
    page.evaluate("window.__plots = [...document.querySelectorAll('.js-plotly-plot')]")
    expiry = page.locator(".widget-dropdown", has_text="Expiry").locator("select")
    before = page.locator("table.oi-chain caption").inner_text()
    expiry.select_option(index=1)
    page.wait_for_function("(b) => document.querySelector('table.oi-chain caption')"
                           ".innerText !== b", arg=before, timeout=60_000)  # fmt: skip
    page.wait_for_timeout(500)
    same = page.evaluate("[...document.querySelectorAll('.js-plotly-plot')]"
                         ".every((p, i) => p === window.__plots[i] && p.isConnected)")  # fmt: skip
    assert same, "charts were replaced instead of updated in place"


def used_pre_heated_kernel(app: str) -> bool:
    """Whether Voila's log (this test's server) shows a page taking ``app``'s kernel."""
    text = VOILA_LOG.read_text(errors="replace")
    pattern = rf"Using pre-heated kernel: \S+ for (?:.*/)?{re.escape(app)}"
    return re.search(pattern, text) is not None


@pytest.mark.preheat
@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_market_monitor_renders(voila, browser, size):
    width = size[0]
    page, problems, external = _page(browser, size)
    page.goto(voila["Market monitor"], timeout=120_000)
    page.wait_for_selector("table.oi-chain tr.chain-row", timeout=120_000)
    page.wait_for_selector(".js-plotly-plot .bars .point", timeout=60_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / f"market_monitor_{width}.png"), full_page=True)
    assert page.locator("tr.chain-row").count() == 31
    assert page.locator("tr.chain-row.atm").count() == 1
    assert page.locator(".js-plotly-plot").count() == 4
    assert page.locator(".oi-card").count() == 7  # the first names the provider
    assert page.locator(".oi-msg.error, .jp-RenderedText[data-mime-type*=stderr]").count() == 0
    assert "Traceback" not in page.content()
    _assert_charts_fit(page, 4)
    _assert_updates_in_place(page)
    assert not problems, problems
    assert external <= {"cdn.jsdelivr.net"}, external
    assert used_pre_heated_kernel("market_monitor.ipynb")


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_analytics_report_generates(voila, browser, size):
    page, problems, external = _page(browser, size)
    page.goto(voila["Analytics report"], timeout=120_000)
    page.get_by_role("button", name="Generate report").wait_for(timeout=120_000)
    page.get_by_role("button", name="Generate report").click()
    page.wait_for_selector(".oi-card", timeout=120_000)
    page.wait_for_selector(".js-plotly-plot .heatmaplayer, .js-plotly-plot .hm", timeout=60_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / f"analytics_report_{size[0]}.png"), full_page=True)
    assert page.locator(".js-plotly-plot").count() == 5
    _assert_charts_fit(page, 5)
    assert page.get_by_text("Sharpe").count() >= 1
    assert page.locator(".oi-msg.error").count() == 0
    assert not problems, problems
    assert external <= {"cdn.jsdelivr.net"}, external
