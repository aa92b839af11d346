"""End to end, exposed mode: people sign in, ADMIN walks the admin app, USER is refused.

The dashboards are served as ``optionsintel dashboards --host 0.0.0.0`` serves them
(platform identity provider, viewer header; bound to 127.0.0.1 here) on a writable copy
of the demo database. An ADMIN and a USER are created through the services, as
``optionsintel users create`` does. In headless Chromium: the admin app sends a visitor
to the sign-in page; the ADMIN signs in by typing and clicking, lands on the admin app
and walks every tab (a screenshot each); a fresh browser context signs in as the USER,
who gets the clear refusal page for the admin app and can open the market monitor; a
wrong password shows a clear error and sets no session.
"""

from __future__ import annotations

import os

import pytest
from test_dashboards_browser import ARTIFACTS, LAPTOP, browser

from dashboard_servers import exposed_server
from optionsintel.cli.dashboards import APPS
from optionsintel.services import users
from optionsintel.services.identity import cli_identity
from optionsintel.store.accounts import read_account
from optionsintel.ui.admin import TABS

__all__ = ["browser"]  # fixture, re-exported for pytest
pytestmark = pytest.mark.e2e

ADMIN, USER = "e2e_signin_admin", "e2e_signin_user"
PASSWORD = "correct horse battery staple 20"  # the test's own; never printed
TAB = ".lm-TabBar-tab, .p-TabBar-tab"


@pytest.fixture
def exposed(demo_scratch_url, demo_scratch_store):
    for name, role in ((ADMIN, "ADMIN"), (USER, "USER")):
        if read_account(demo_scratch_store, name) is None:
            users.create_user(demo_scratch_store, cli_identity(), name, role=role,
                              password=PASSWORD)  # fmt: skip
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"voila_exposed-{os.getpid()}.log"  # one per pass (CI runs two)
    with log_path.open("wb") as log, exposed_server(demo_scratch_url, log=log) as base:
        yield base


def _context(browser):
    """A fresh browser context (no cookies) and a page that never leaves 127.0.0.1."""
    context = browser.new_context(viewport={"width": LAPTOP[0], "height": LAPTOP[1]})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route("**/*", lambda r: r.continue_() if "//127.0.0.1" in r.request.url
               else r.fulfill(status=200, body="", content_type="text/css"))  # fmt: skip
    return context, page, problems


def _shot(page, tmp_path, name):
    for folder in (tmp_path, ARTIFACTS):
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _sign_in(page, username: str, password: str) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def _session_cookies(context) -> list[str]:
    return [c["name"] for c in context.cookies() if c["name"].startswith("username-")]


def test_admin_signs_in_and_walks_every_tab(exposed, browser, tmp_path):
    context, page, problems = _context(browser)
    admin_app = f"{exposed}/voila/render/{APPS['Admin']}"
    page.goto(admin_app, timeout=120_000)
    page.wait_for_url("**/login?**", timeout=60_000)  # no session: the sign-in page
    assert page.locator("h1").inner_text() == "optionsintel"
    _shot(page, tmp_path, "signin_page")
    _sign_in(page, ADMIN, PASSWORD)
    page.wait_for_url(f"**/voila/render/{APPS['Admin']}", timeout=60_000)
    page.wait_for_selector(TAB, timeout=120_000)
    assert PASSWORD not in page.content()
    for i, title in enumerate(TABS):
        page.locator(TAB, has_text=title).first.click()
        page.wait_for_timeout(500)
        _shot(page, tmp_path, f"admin_signed_in_{i}_{title.lower().replace(' ', '_')}")
    assert page.locator(".oi-admin-error").count() == 0  # every tab rendered for the ADMIN
    assert f"Signed in as {ADMIN} (ADMIN)" in page.locator("body").inner_text()
    assert "Traceback" not in page.content()
    assert not problems, problems
    context.close()


def test_user_is_refused_the_admin_app_and_opens_the_market_monitor(exposed, browser, tmp_path):
    context, page, problems = _context(browser)
    page.goto(f"{exposed}/voila/render/{APPS['Admin']}", timeout=120_000)
    page.wait_for_url("**/login?**", timeout=60_000)
    _sign_in(page, USER, PASSWORD)
    page.wait_for_selector(".oi-admin-error", timeout=120_000)
    _shot(page, tmp_path, "admin_refused_signed_in_user")
    text = page.locator(".oi-admin-error").inner_text()
    assert f"needs the ADMIN or SUPER_ADMIN role; {USER} is USER" in text
    assert page.locator(TAB).count() == 0
    page.goto(f"{exposed}/voila/render/{APPS['Market monitor']}", timeout=120_000)
    page.wait_for_selector("table.oi-chain tr.chain-row", timeout=120_000)
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    _shot(page, tmp_path, "market_monitor_signed_in_user")
    assert "Traceback" not in page.content()
    assert not problems, problems
    context.close()


def test_wrong_password_shows_an_error_and_opens_no_session(exposed, browser, tmp_path):
    context, page, _ = _context(browser)
    page.goto(f"{exposed}/voila/render/{APPS['Admin']}", timeout=120_000)
    page.wait_for_url("**/login?**", timeout=60_000)
    _sign_in(page, ADMIN, PASSWORD + " but wrong")
    error = page.locator("[role=alert]")
    error.wait_for(timeout=30_000)
    _shot(page, tmp_path, "signin_wrong_password")
    assert "wrong username or password" in error.inner_text().lower()
    assert page.locator("#password").count() == 1  # still the form, nothing opened
    assert not _session_cookies(context)
    page.goto(f"{exposed}/voila/render/{APPS['Admin']}", timeout=120_000)
    page.wait_for_url("**/login?**", timeout=60_000)  # no session was made
    context.close()
