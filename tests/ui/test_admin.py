"""Headless tests of the admin dashboard on real PostgreSQL and a real local HTTP server."""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest
import sqlalchemy as sa

from optionsintel.auth import Role, Tier
from optionsintel.errors import PermissionDeniedError
from optionsintel.services import bulk, keys, users
from optionsintel.services import user_settings as us
from optionsintel.services.admin_assets import asset_health
from optionsintel.services.admin_health import (
    DagsterGraphQLError,
    config_in_effect,
    daemon_process,
    dagster_graphql,
    dagster_health,
    dispatcher_process,
)
from optionsintel.services.identity import Identity, cli_identity
from optionsintel.settings import Settings
from optionsintel.ui.admin import TABS, AdminApp, build_admin
from optionsintel.ui.theme import USER_ENV, local_identity

#: The shape of a Dagster webserver's answer to the dashboard's GraphQL query.
DAGSTER_ANSWER = {"data": {
    "runsOrError": {"__typename": "Runs", "results": [
        {"runId": "r1", "jobName": "daily_job", "status": "SUCCESS",
         "startTime": 1764400000.0, "endTime": 1764400090.5},
        {"runId": "r2", "jobName": "intraday_job", "status": "FAILURE",
         "startTime": 1764401000.0, "endTime": 1764401010.0}]},
    "failedRuns": {"__typename": "Runs", "results": [
        {"runId": "r2", "jobName": "intraday_job", "status": "FAILURE",
         "startTime": 1764401000.0, "endTime": 1764401010.0, "eventConnection": {"events": [
             {"__typename": "RunStartEvent"},
             {"__typename": "ExecutionStepFailureEvent", "stepKey": "option_chain_snapshots",
              "error": {"message": "ProviderError: NSE answered 503\nTraceback..."}},
             {"__typename": "RunFailureEvent", "message": "Execution failed.",
              "error": None}]}},
        {"runId": "r0", "jobName": "eod_job", "status": "FAILURE",
         "startTime": 1764300000.0, "endTime": 1764300005.0, "eventConnection": {"events": [
             {"__typename": "RunFailureEvent", "message": "Run was terminated <by> a person.",
              "error": None}]}}]},
    "instance": {"daemonHealth": {"allDaemonStatuses": [
        {"daemonType": "SCHEDULER", "required": True, "healthy": True,
         "lastHeartbeatTime": 1764400000.0},
        {"daemonType": "SENSOR", "required": True, "healthy": False, "lastHeartbeatTime": None},
        {"daemonType": "BACKFILL", "required": False, "healthy": None,
         "lastHeartbeatTime": None}]}},
    "repositoriesOrError": {"__typename": "RepositoryConnection", "nodes": [{
        "name": "__repository__", "location": {"name": "dagster_project"},
        "schedules": [{"name": "daily_schedule", "scheduleState": {
            "status": "RUNNING", "ticks": [{"status": "SUCCESS", "timestamp": 1764400000.0}]}}],
        "sensors": [{"name": "intraday_sensor", "sensorState": {"status": "STOPPED",
                                                               "ticks": []}}]}]}}}  # fmt: skip


@pytest.fixture
def graphql_server():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.path, json.loads(body)))
            out = json.dumps(DAGSTER_ANSWER).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()


def _text(app, tab):
    def walk(widget):
        out = [
            getattr(widget, "value", "") if isinstance(getattr(widget, "value", ""), str) else ""
        ]
        for child in getattr(widget, "children", ()):
            out += walk(child)
        return out

    return "".join(walk(app.panes[tab]))


def _app(store, identity=None, dagster_url="http://127.0.0.1:9", **kw):
    return AdminApp(store, identity or local_identity(), us.UserSettings(),
                    dagster_url=dagster_url, process_urls=kw.get("procs", {}))  # fmt: skip


def test_user_is_refused_with_a_clear_page(clean_store, monkeypatch):
    users.create_user(clean_store, cli_identity(), "bob", role=Role.USER)
    monkeypatch.setenv(USER_ENV, "bob")
    app = build_admin(clean_store)
    assert app.refused
    text = "".join(c.value for c in app.children if hasattr(c, "value"))
    assert "needs the ADMIN or SUPER_ADMIN role; bob is USER" in text
    assert not hasattr(app, "tabs")


def test_every_panel_renders_in_local_mode_without_dagster(clean_store, monkeypatch):
    monkeypatch.delenv(USER_ENV, raising=False)
    app = build_admin(clean_store, dagster_url="http://127.0.0.1:9", process_urls={})
    assert not app.refused and app.tabs.titles == TABS
    assert "Dagster UI not running at http://127.0.0.1:9" in _text(app, "Pipeline")
    data = _text(app, "Data")
    assert "Database size:" in data and "Largest tables" in data and "error" not in data.lower()
    assert "pandas" in _text(app, "System")
    for tab in TABS:
        assert "oi-admin-error" not in _text(app, tab), (tab, _text(app, tab))


def test_pipeline_from_dagster_graphql(clean_store, graphql_server):
    url, seen = graphql_server
    app = _app(clean_store, dagster_url=url)
    text = _text(app, "Pipeline")
    assert seen[0][0] == "/graphql" and "runsOrError" in seen[0][1]["query"]
    assert "daily_job" in text and "intraday_sensor" in text
    assert "Latest failed runs, with their error (2)" in text
    assert "option_chain_snapshots: ProviderError: NSE answered 503<" in text  # first line
    assert "Run was terminated &lt;by&gt; a person." in text  # escaped
    assert f'href="{url}/runs/r0"' in text  # an older failure, not in the latest runs
    assert f'href="{url}/runs"' in text
    d = dagster_health(url)
    assert d.failures["seconds"].tolist() == [10.0, 5.0]
    assert d.runs.loc[0, "seconds"] == 90.5 and d.instigators["status"].tolist() == [
        "RUNNING", "STOPPED"]  # fmt: skip
    # a link into the Dagster UI for each schedule and sensor (implicit repository: location)
    assert f'href="{url}/locations/dagster_project/schedules/daily_schedule"' in text
    assert f'href="{url}/locations/dagster_project/sensors/intraday_sensor"' in text
    assert d.daemons["daemon"].tolist() == ["BACKFILL", "SCHEDULER", "SENSOR"]
    bad = [row for row in text.split("<tr") if 'class="oi-admin-bad"' in row]
    assert len(bad) == 1 and "SENSOR" in bad[0]  # required and not healthy
    daemon = daemon_process(d)
    assert (daemon["up"], daemon["detail"]) == (False, "not healthy: SENSOR")
    system = _text(app, "System")
    assert "Dagster daemon" in system and "not healthy: SENSOR" in system


def test_an_answer_missing_a_field_is_said_not_raised(graphql_server, monkeypatch):
    import copy

    url, _ = graphql_server
    answer = copy.deepcopy(DAGSTER_ANSWER)
    del answer["data"]["instance"]["daemonHealth"]["allDaemonStatuses"][0]["daemonType"]
    monkeypatch.setattr(sys.modules[__name__], "DAGSTER_ANSWER", answer)
    d = dagster_health(url)
    assert d.up and "lacks a field this page reads ('daemonType')" in d.error


def test_dispatcher_is_up_while_its_database_session_is_connected(clean_store, database_url):
    import psycopg

    from optionsintel.services.dispatch import APPLICATION_NAME

    admin = cli_identity()

    def gone() -> bool:  # a closed session's backend leaves pg_stat_activity a moment later
        deadline = time.monotonic() + 15
        while dispatcher_process(clean_store, admin)["up"] and time.monotonic() < deadline:
            time.sleep(0.1)
        return not dispatcher_process(clean_store, admin)["up"]

    assert gone()
    plain = sa.make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(plain.render_as_string(hide_password=False),
                         application_name=APPLICATION_NAME):  # fmt: skip
        row = dispatcher_process(clean_store, admin)
        assert row["up"] and row["detail"].startswith("1 database sessions, since ")
        assert "Alert dispatcher" in _text(_app(clean_store), "System")
    assert gone()
    with pytest.raises(PermissionDeniedError):
        dispatcher_process(clean_store, Identity("u", Role.USER, Tier.FREE, via="token"))


def test_graphql_errors_are_checked_in_one_place_and_said_by_each_panel(
    clean_store, graphql_server, monkeypatch
):
    url, _seen = graphql_server
    answer = {"errors": [{"message": "boom " + "x" * 300}], "data": None}
    monkeypatch.setitem(globals(), "DAGSTER_ANSWER", answer)
    with pytest.raises(DagsterGraphQLError, match=r"^boom x+$") as caught:
        dagster_graphql(url, "{ x }", None, 3.0)
    assert len(str(caught.value)) == 200  # the message is cut short
    d = dagster_health(url)
    assert d.up and d.error.startswith("Dagster answered with errors: boom")
    a = asset_health(url)
    assert a.up and a.error.startswith("Dagster asset health unavailable: boom")
    assert "Dagster answered with errors: boom" in _text(_app(clean_store, dagster_url=url),
                                                          "Pipeline")  # fmt: skip


def test_disable_user_revoke_key_cancel_operation_audit_filter(clean_store):
    admin = cli_identity()
    users.create_user(clean_store, admin, "carol", role=Role.USER)
    key = keys.create_key(clean_store, admin, name="k", username="carol")
    op = bulk.BulkOperation.start(clean_store, "scan", ["A", "B"])
    app = _app(clean_store)
    assert "carol" in _text(app, "Users & keys") and key["key_prefix"] in _text(app, "Users & keys")
    carol = next(r for r in _text(app, "Users & keys").split("<tr") if "<td>carol</td>" in r)
    assert "<td>FREE</td>" in carol and "<td>1,000</td>" in carol  # the tier's daily limit
    assert "daily_limit" in _text(app, "Users & keys")
    assert op.operation_id in _text(app, "Operations")
    app.user_name.value = "carol"
    app.disable_button.click()
    assert "user carol disabled" in app.status.value
    app.key_prefix.value = key["key_prefix"]
    app.revoke_button.click()
    assert "revoked" in app.status.value
    app.operation_id.value = op.operation_id
    app.cancel_button.click()
    assert "cancelled" in app.status.value
    assert bulk.read_operation(clean_store, op.operation_id).status == "CANCELLED"
    app.key_prefix.value = "nope"
    app.revoke_button.click()
    assert "oi-admin-error" in app.status.value and "Traceback" not in app.status.value
    assert "Error:" not in app.status.value  # the message, not the exception's class name
    app.user_name.value = "  "
    app.disable_button.click()  # an empty box: plain words, no call to the service
    assert "type a user name first" in app.status.value
    app.audit_action.value = "key.revoke"
    app.audit_button.click()
    audit = _text(app, "Audit log")
    assert "key.revoke" in audit and "user.create" not in audit and "audit_log.csv" in audit
    app.audit_action.value = ""
    app.audit_target.value = "carol"  # the object acted on
    app.audit_button.click()
    audit = _text(app, "Audit log")
    assert "user.create" in audit and "user.disable" in audit and "key.revoke" not in audit
    today = pd.Timestamp.now(tz="Asia/Kolkata").date().isoformat()
    app.audit_start.value = app.audit_end.value = today  # a bare day: through its end
    app.audit_button.click()
    assert "user.disable" in _text(app, "Audit log")


def test_admin_may_read_but_not_manage(clean_store):
    admin = Identity("ann", Role.ADMIN, Tier.FREE, via="token")
    users.create_user(clean_store, cli_identity(), "dave", role=Role.USER)
    app = _app(clean_store, admin)
    assert "Only your own keys" in _text(app, "Users & keys")
    app.user_name.value = "dave"
    app.disable_button.click()
    assert "lacks permission users:manage" in app.status.value


def test_config_masks_secrets_and_dark_theme_reaches_the_chart(clean_store):
    settings = Settings(smtp_password="hunter2", database_url="postgresql://u:pw@h/db")
    conf = config_in_effect(cli_identity(), settings)
    assert "hunter2" not in json.dumps(conf) and "pw@" not in json.dumps(conf)
    assert conf["smtp_password"] == "•••••• (set)"
    clean_store.write("data_source_metrics", pd.DataFrame([{
        "provider": "synthetic", "ts": pd.Timestamp.now(tz="UTC").floor("min"), "requests": 10,
        "successes": 9, "failures": 1, "avg_latency_ms": 12.0, "p95_latency_ms": 30.0,
        "breaker_state": "CLOSED", "last_error": None}]))  # fmt: skip
    app = AdminApp(clean_store, local_identity(), us.UserSettings(colour_scheme="dark"),
                   dagster_url="http://127.0.0.1:9", process_urls={})  # fmt: skip
    chart = app.provider_figure
    assert chart.layout.template.layout.paper_bgcolor == "rgb(17,17,17)"
    assert "10.00" in _text(app, "Data")  # error rate 10 % for synthetic


def test_list_cells_are_summarised_not_printed_as_reprs() -> None:
    """A coverage row's days read '02 Jan 2015, 05 Jan 2015 … 17 Jul 2025 (4)', not
    '[datetime.date(2015, 1, 2), …]' in a cell 650,000 px wide (walk2, 2026-11-30)."""
    import datetime as dt

    import pandas as pd

    from optionsintel.services.user_settings import UserSettings
    from optionsintel.ui.admin_panels import frame_html

    days = [dt.date(2015, 1, 2), dt.date(2015, 1, 5), dt.date(2015, 1, 6), dt.date(2025, 7, 17)]
    frame = pd.DataFrame({"dataset": ["daily_ohlc"], "missing_days": [days], "few": [days[:2]]})
    text = frame_html(frame, UserSettings())
    assert "02 Jan 2015, 05 Jan 2015 … 17 Jul 2025 (4)" in text
    assert "02 Jan 2015, 05 Jan 2015</td>" in text and "datetime" not in text
