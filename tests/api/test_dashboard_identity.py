"""Exposed dashboards sit behind the platform's users; local mode stays login-free.

A real Voila server (subprocess) serves a one-cell notebook with the platform identity
provider, on the test database; requests go over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from accounts_helpers import user_with_key
from dashboard_servers import exposed_server, free_port
from optionsintel.cli.dashboards import EXPOSED_FLAGS, dashboard_server_commands
from optionsintel.services import users
from optionsintel.services.identity import cli_identity
from optionsintel.ui.identity import EXPOSED_VOILA_FLAGS, WRONG_CREDENTIALS

PASSWORD = "a long enough password"
#: The kernel says whom it shows the page to (what every app reads through theme.session).
VIEWER_CELL = ("from optionsintel.store import get_store\n"
               "from optionsintel.ui.theme import viewer_identity\n"
               "v = viewer_identity(get_store())\n"
               "print('VIEWER', v.username, v.role.value)")  # fmt: skip
NOTEBOOK = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# hello"]},
                      {"cell_type": "code", "metadata": {}, "source": [VIEWER_CELL],
                       "outputs": [], "execution_count": None}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip


@pytest.fixture
def exposed_voila(accounts, database_url, tmp_path: Path):
    (tmp_path / "hello.ipynb").write_text(json.dumps(NOTEBOOK))
    with exposed_server(database_url, folder=tmp_path) as base:
        yield base


def test_exposed_command_installs_the_provider_and_local_does_not() -> None:
    assert EXPOSED_FLAGS == EXPOSED_VOILA_FLAGS
    local = dashboard_server_commands(8866, "127.0.0.1", folder=Path("."))[0]
    exposed = dashboard_server_commands(8866, "0.0.0.0", folder=Path("."))[0]
    assert not set(EXPOSED_FLAGS) & set(local) and set(EXPOSED_FLAGS) <= set(exposed)


def test_exposed_dashboard_refuses_without_session_and_opens_after_login(
    exposed_voila, accounts
) -> None:
    page = f"{exposed_voila}/voila/render/hello.ipynb"
    anon = httpx.get(page, follow_redirects=False, timeout=30)
    assert anon.status_code in (302, 403) and "/login" in anon.headers.get("location", "/login")
    users.create_user(accounts, cli_identity(), "stakeholder", password=PASSWORD)
    with httpx.Client(base_url=exposed_voila, timeout=60) as browser:
        form = browser.get("/login")
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
        data = {"username": "stakeholder", "password": "wrong password!!", "next": "/"}
        if xsrf:
            data["_xsrf"] = xsrf.group(1)
        assert "Sign in with your platform account" in form.text  # ours, not Jupyter's page
        refused = browser.post("/login", data=data)
        assert refused.status_code == 401 and WRONG_CREDENTIALS in refused.text
        ok = browser.post("/login", data={**data, "password": PASSWORD})
        assert ok.status_code in (200, 302), ok.text[:300]
        # a header naming someone else is dropped: the kernel sees who signed in
        opened = browser.get("/voila/render/hello.ipynb",
                             headers={"X-OptionsIntel-Viewer": "local"})  # fmt: skip
        assert opened.status_code == 200 and "hello" in opened.text
        assert "VIEWER stakeholder USER" in opened.text, opened.text[-2000:]
        users.disable_user(accounts, cli_identity(), "stakeholder")
        again = browser.get("/voila/render/hello.ipynb", follow_redirects=False)
        assert again.status_code in (302, 403)


def test_exposed_dashboard_takes_an_api_key_as_bearer(exposed_voila, accounts) -> None:
    key = user_with_key(accounts, "robot")
    r = httpx.get(f"{exposed_voila}/voila/render/hello.ipynb",
                  headers={"Authorization": f"Bearer {key}"}, timeout=60)  # fmt: skip
    assert r.status_code == 200 and "hello" in r.text
    assert "VIEWER robot" in r.text
    bad = httpx.get(f"{exposed_voila}/voila/render/hello.ipynb",
                    headers={"Authorization": "Bearer oi_aaaaaaaa_" + "x" * 43},
                    follow_redirects=False, timeout=30)  # fmt: skip
    assert bad.status_code in (302, 403)


def test_local_mode_has_no_login(accounts, database_url, tmp_path: Path) -> None:
    (tmp_path / "hello.ipynb").write_text(json.dumps(NOTEBOOK))
    port = free_port()
    [cmd] = dashboard_server_commands(port, "127.0.0.1", folder=tmp_path)
    proc = subprocess.Popen(cmd, env={**os.environ, "DATABASE_URL": database_url},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(300):
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/voila/render/hello.ipynb", timeout=60)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert r.status_code == 200 and "hello" in r.text
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert sys.executable in cmd
