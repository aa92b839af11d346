"""Asset freshness and check results from a real ``dagster-webserver`` on 127.0.0.1.

The webserver serves ``admin_dagster_defs.py`` from a DAGSTER_HOME whose storage is a
fresh PostgreSQL schema (dropped afterwards); two partitions are materialised in this
process into the same instance, one with a failing check. A GraphQL error in the asset
query degrades to one line in that panel while the run list still shows.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from dagster_homes import dagster_home_on_schema
from optionsintel.services import user_settings as us
from optionsintel.services.admin_assets import asset_health
from optionsintel.ui.admin import AdminApp
from optionsintel.ui.theme import local_identity

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
HERE = Path(__file__).resolve().parent
DEFS = HERE / "admin_dagster_defs.py"
WEBSERVER = Path(sys.executable).with_name("dagster-webserver")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def dagster_home(tmp_path_factory, database_url):
    """A DAGSTER_HOME on a fresh PostgreSQL schema, two partitions materialised."""
    from dagster import DagsterInstance, materialize

    sys.path.insert(0, str(HERE))
    from admin_dagster_defs import prices, prices_even_day, prices_positive

    folder = tmp_path_factory.mktemp("dagster_home")
    try:
        with dagster_home_on_schema(database_url, folder, "dagster_admin") as home:
            with DagsterInstance.from_config(str(home)) as instance:
                for day in ("2025-07-14", "2025-07-15"):  # day 15 fails prices_even_day
                    materialize([prices, prices_even_day, prices_positive], partition_key=day,
                                instance=instance, raise_on_error=False)  # fmt: skip
            yield home
    finally:
        sys.path.remove(str(HERE))


@pytest.fixture(scope="module")
def webserver(dagster_home):
    """``dagster-webserver`` on a free 127.0.0.1 port; always stopped afterwards."""
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home)}
    proc = subprocess.Popen(
        [str(WEBSERVER), "-h", "127.0.0.1", "-p", str(port), "-f", str(DEFS)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("dagster-webserver did not start") from None
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_checks_per_partition_and_freshness_from_the_real_webserver(webserver):
    got = asset_health(webserver)
    assert got.up and got.error == "", got.error
    checks = got.checks.set_index(["check", "partition"])
    assert checks.loc[("prices_even_day", "2025-07-15"), "result"] == "FAILED"
    assert checks.loc[("prices_even_day", "2025-07-15"), "severity"] == "ERROR"
    assert checks.loc[("prices_even_day", "2025-07-15"), "description"] == "day 15"
    assert checks.loc[("prices_even_day", "2025-07-14"), "result"] == "passed"
    assert checks.loc[("prices_positive", "2025-07-15"), "severity"] == "WARN"
    assert len(got.checks) == 4 and set(got.checks["asset"]) == {"prices"}
    fresh = got.freshness.set_index("asset")
    assert fresh.loc["never_built", "state"] == "never materialised"
    assert fresh.loc["prices", "last_partition"] == "2025-07-15"
    assert fresh.loc["prices", "schedule"] == "prices_schedule"
    assert fresh.loc["prices", "state"] == "fresh"
    # Three days on, the 16:00 IST schedule has ticked twice since: overdue.
    later = asset_health(webserver, now=pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=3))
    late = later.freshness.set_index("asset").loc["prices"]
    assert late["state"].startswith("overdue") and late["due_since"] > late["last_materialized"]


def _pipeline_text(app) -> str:
    return "".join(getattr(c, "value", "") for c in app.panes["Pipeline"].children)


def test_pipeline_panel_shows_freshness_and_highlights_failed_checks(clean_store, webserver):
    app = AdminApp(clean_store, local_identity(), us.UserSettings(), dagster_url=webserver,
                   process_urls={})  # fmt: skip
    text = _pipeline_text(app)
    assert "Asset freshness" in text and "never materialised" in text
    assert "latest result per partition (1 failed)" in text
    bad = [row for row in text.split("<tr") if 'class="oi-admin-bad"' in row]
    assert any("prices_even_day" in r and "FAILED" in r and "2025-07-15" in r for r in bad)
    assert not any("prices_positive" in r for r in bad)
    assert f'href="{webserver}/runs/' in text
    # links into the Dagster UI: each asset, each check, each schedule
    assert f'href="{webserver}/assets/prices" target="_blank">prices<' in text
    assert f'href="{webserver}/assets/prices?view=checks" target="_blank">prices_even_day<' in text
    assert re.search(rf'href="{webserver}/locations/[^"/]+/schedules/prices_schedule"', text)
    # the real webserver answers the daemon query; no daemon runs here, so it is down
    assert "Dagster daemons" in text and "SCHEDULER" in text
    assert "Latest failed runs, with their error" in text  # the real schema takes the query
    system = "".join(getattr(c, "value", "") for c in app.panes["System"].children)
    assert "Dagster daemon" in system and "not healthy: " in system


@pytest.fixture
def half_broken_dagster():
    """Answers the run query; the asset query gets a GraphQL error."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if "AdminAssets" in body["query"]:
                out = {"errors": [{"message": 'Cannot query field "assetNodes" on type "Query".'}]}
            else:
                out = {"data": {"runsOrError": {"__typename": "Runs", "results": [
                    {"runId": "r1", "jobName": "eod_job", "status": "SUCCESS",
                     "startTime": 1764400000.0, "endTime": 1764400010.0}]},
                    "repositoriesOrError": {"nodes": []}}}  # fmt: skip
            data = json.dumps(out).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_graphql_error_is_one_line_in_the_asset_panel_only(clean_store, half_broken_dagster):
    app = AdminApp(clean_store, local_identity(), us.UserSettings(),
                   dagster_url=half_broken_dagster, process_urls={})  # fmt: skip
    children = app.panes["Pipeline"].children
    text = _pipeline_text(app)
    assert "eod_job" in text and "Latest runs" in text  # the run list still shows
    assert children[-1].value.count("oi-admin-msg") == 1
    assert 'Dagster asset health unavailable: Cannot query field "assetNodes"' in (
        children[-1].value.replace("&quot;", '"')
    )
    assert "oi-admin-error" not in children[0].value
