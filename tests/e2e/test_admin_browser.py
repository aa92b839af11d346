"""End to end: the home page and the admin dashboard served by Voila, in headless Chromium.

Uses the fixtures of ``test_dashboards_browser`` (Voila on 127.0.0.1 over the demo
database). In local mode the viewer is the local SUPER_ADMIN: the home page lists every
app with working links, and every admin tab renders (Dagster is not running here, which
the pipeline tab must say). A second Voila server whose kernels view as a USER
(``OPTIONSINTEL_USER``) must refuse the admin app with a clear page. Screenshots go to
the test's tmp dir (and tests/artifacts).
"""

from __future__ import annotations

import os
import subprocess

import pytest
from test_dashboards_browser import ARTIFACTS, LAPTOP, PHONE, _page, browser, voila

from dashboard_servers import free_port, wait_until_answers
from optionsintel.cli.dashboards import APPS, dashboard_server_commands, dashboard_urls
from optionsintel.services import user_settings
from optionsintel.ui.admin import TABS
from optionsintel.ui.theme import USER_ENV

__all__ = ["browser", "voila"]  # fixtures, re-exported for pytest
pytestmark = pytest.mark.e2e


def _shot(page, tmp_path, name):
    for folder in (tmp_path, ARTIFACTS):
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _no_sideways(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 2, f"page scrolls sideways by {overflow}px"


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_home_lists_every_app_and_admin_walks_every_tab(voila, browser, size, tmp_path):
    page, problems, external = _page(browser, size)
    page.goto(voila["Home"], timeout=120_000)
    page.wait_for_selector("ul.oi-apps li.oi-app", timeout=120_000)
    _shot(page, tmp_path, f"home_{size[0]}")
    hrefs = page.locator("ul.oi-apps li.oi-app > a").evaluate_all(
        "as => as.map(a => a.getAttribute('href'))"
    )
    assert hrefs == [f"/voila/render/{nb}" for nb in APPS.values()]
    assert page.locator("li.oi-ready").count() >= 5  # the demo data is there
    _no_sideways(page)
    assert not problems, problems
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.locator("ul.oi-apps a", has_text="Admin").click()
    page.wait_for_url("**/voila/render/admin.ipynb", timeout=60_000)
    page.wait_for_selector(".lm-TabBar-tab, .p-TabBar-tab", timeout=120_000)
    # leaving the home page shuts its kernel down with a request Voila may refuse (403);
    # what counts is the admin page's own console
    problems.clear()
    assert "Dagster UI not running" in page.content()
    cut = page.locator(".lm-TabBar-tabLabel").evaluate_all(
        "ls => ls.filter(l => l.scrollWidth > l.clientWidth + 1).map(l => l.textContent)"
    )
    assert not cut, f"tab labels cut short at {size[0]}: {cut}"
    for i, title in enumerate(TABS):
        page.locator(".lm-TabBar-tab, .p-TabBar-tab", has_text=title).first.click()
        page.wait_for_timeout(400)
        _shot(page, tmp_path, f"admin_{size[0]}_{i}")
    assert page.locator(".oi-admin-error").count() == 0  # every tab is rendered, none failed
    page.locator(".lm-TabBar-tab, .p-TabBar-tab", has_text="Data").first.click()
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    assert "Traceback" not in page.content()
    assert not problems, (problems, failed)
    assert external <= {"cdn.jsdelivr.net"}, external


VIEWER = "e2e_plain_user"  # no such account: views as USER


@pytest.fixture
def user_voila(demo_scratch_url, demo_scratch_store):
    # one settings row for a name no other test uses: this viewer wants dark charts and
    # opens the market monitor by default
    user_settings.set_setting(demo_scratch_store, VIEWER, "colour_scheme", "dark")
    user_settings.set_setting(demo_scratch_store, VIEWER, "default_dashboard", "market_monitor")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": demo_scratch_url, USER_ENV: VIEWER}
    proc = subprocess.Popen(dashboard_server_commands(port)[0], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_until_answers(f"http://127.0.0.1:{port}/")
        yield dashboard_urls(port)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_user_is_refused_the_admin_app_with_a_clear_page(user_voila, browser, tmp_path):
    page, problems, _ = _page(browser, PHONE)
    page.goto(user_voila["Admin"], timeout=120_000)
    page.wait_for_selector(".oi-admin-error", timeout=120_000)
    _shot(page, tmp_path, "admin_refused")
    text = page.locator(".oi-admin-error").inner_text()
    assert "needs the ADMIN or SUPER_ADMIN role; e2e_plain_user is USER" in text
    assert page.locator(".lm-TabBar-tab, .p-TabBar-tab").count() == 0
    assert not problems, problems


#: The lowest text/background contrast (WCAG 2 ratio) of the table cells, the shortcut list
#: and the slider readouts on the page: each one's text colour against the first opaque
#: background at or above it.
_CELL_CONTRAST = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const back = el => { for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] > 0.5) return c; } return [255, 255, 255]; };
  let worst = [99, ''];
  for (const cell of [...document.querySelectorAll(
      'table td, table th, ul.oi-shortcuts li, .widget-readout')].slice(0, 400)) {
    if (!cell.innerText.trim()) continue;
    const a = lum(rgb(getComputedStyle(cell).color)), b = lum(back(cell));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst[0]) worst = [ratio, cell.className + ' ' + cell.innerText.slice(0, 20)];
  }
  return worst; }"""


def test_home_opens_the_default_dashboard_in_the_viewers_dark_theme(user_voila, browser,
                                                                     tmp_path):  # fmt: skip
    page, problems, _ = _page(browser, LAPTOP)
    page.goto(user_voila["Home"], timeout=120_000)
    page.locator("#oi-default-dashboard").click(timeout=120_000)  # the viewer's default
    page.wait_for_url("**/voila/render/market_monitor.ipynb", timeout=60_000)
    problems.clear()  # leaving the home page: its kernel's shutdown may be refused (above)
    page.wait_for_selector(".js-plotly-plot .bars .point", timeout=120_000)
    page.wait_for_selector("table.oi-chain td.itm", timeout=60_000)
    page.wait_for_timeout(800)
    _shot(page, tmp_path, "market_monitor_dark")
    backgrounds = page.evaluate(
        "[...document.querySelectorAll('.js-plotly-plot')].map(p => p._fullLayout.paper_bgcolor)"
    )
    assert backgrounds and set(backgrounds) == {"rgb(17,17,17)"}, backgrounds
    ratio, cell = page.evaluate(_CELL_CONTRAST)
    assert ratio >= 4.5, f"table cell {cell!r} has contrast {ratio:.2f} in the dark theme"
    itm = page.locator("table.oi-chain td.itm").first.evaluate(
        "td => getComputedStyle(td).backgroundColor"
    )
    assert itm == "rgb(58, 52, 19)", itm  # the dark in-the-money shade, not the light one
    # every app is one click away: the navigation bar leads back home
    page.locator("nav.oi-nav a", has_text="Home").click()
    page.wait_for_url("**/voila/render/home.ipynb", timeout=60_000)
    page.wait_for_selector("ul.oi-apps li.oi-app", timeout=120_000)
    assert not [p for p in problems if "403" not in p], problems
