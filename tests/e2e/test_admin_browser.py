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
import time

import httpx
import pytest
from test_dashboards_browser import ARTIFACTS, LAPTOP, PHONE, _free_port, _page, browser, voila

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
def user_voila(demo_database_url, demo_store):
    # one settings row for a name no other test uses: this viewer wants dark charts
    user_settings.set_setting(demo_store, VIEWER, "colour_scheme", "dark")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": demo_database_url, USER_ENV: VIEWER}
    proc = subprocess.Popen(dashboard_server_commands(port)[0], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
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


def test_the_viewers_dark_theme_reaches_the_charts(user_voila, browser, tmp_path):
    page, problems, _ = _page(browser, LAPTOP)
    page.goto(user_voila["Market monitor"], timeout=120_000)
    page.wait_for_selector(".js-plotly-plot .bars .point", timeout=120_000)
    page.wait_for_timeout(800)
    _shot(page, tmp_path, "market_monitor_dark")
    backgrounds = page.evaluate(
        "[...document.querySelectorAll('.js-plotly-plot')].map(p => p._fullLayout.paper_bgcolor)"
    )
    assert backgrounds and set(backgrounds) == {"rgb(17,17,17)"}, backgrounds
    assert not problems, problems
