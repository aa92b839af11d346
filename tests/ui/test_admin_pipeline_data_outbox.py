"""Admin app: run links and intraday state, today's rows and partitions, outbox retry."""

from __future__ import annotations

import pandas as pd
import pytest

from optionsintel.auth import Role, Tier
from optionsintel.errors import PermissionDeniedError, RecordNotFoundError
from optionsintel.services import admin_health as health
from optionsintel.services import alerts
from optionsintel.services import user_settings as us
from optionsintel.services.identity import Identity
from optionsintel.ui.admin import AdminApp
from optionsintel.ui.theme import local_identity

MON_1000_IST = pd.Timestamp("2025-07-14 10:00", tz="Asia/Kolkata").tz_convert("UTC")
SUN_1000_IST = pd.Timestamp("2025-07-13 10:00", tz="Asia/Kolkata").tz_convert("UTC")


def _runs(*rows):
    return pd.DataFrame([{"job": j, "status": s, "started": pd.Timestamp(t, tz="UTC"),
                          "seconds": None, "run_id": r} for j, s, t, r in rows],
                        columns=["job", "status", "started", "seconds", "run_id"])  # fmt: skip


def test_intraday_state_during_and_outside_market_hours():
    job = health.INTRADAY_JOB
    running = _runs((job, "SUCCESS", "2025-07-13", "a"), (job, "STARTED", "2025-07-14", "b"))
    assert health.intraday_state(running, MON_1000_IST) == (
        "ok",
        "Market open: latest intraday collection run b is STARTED.",
    )
    stopped = _runs((job, "FAILURE", "2025-07-14", "c"), ("eod_job", "STARTED", "2025-07-14", "d"))
    kind, text = health.intraday_state(stopped, MON_1000_IST)
    assert kind == "warn" and "run c is FAILURE" in text
    assert health.intraday_state(_runs(), SUN_1000_IST) == (
        "info",
        "Market closed: no intraday collection run yet.",
    )


def test_run_links_point_into_the_dagster_ui():
    from optionsintel.ui.admin_panels import frame_html, with_run_links

    runs = _runs(("eod_job", "SUCCESS", "2025-07-14", "abc12345-6789"))
    table = frame_html(with_run_links(runs, "http://dag:3000/"), us.UserSettings(), raw=("run",))
    assert '<a href="http://dag:3000/runs/abc12345-6789" target="_blank">abc12345</a>' in table


def _chain_rows(chain, provider):
    return chain.assign(provider=provider)


def test_todays_rows_per_dataset_and_provider_and_partitions(clean_store, nifty_0716):
    day = pd.Timestamp(nifty_0716.snapshot_ts).tz_convert("Asia/Kolkata").date()
    chain = nifty_0716.chain
    clean_store.write("option_chain_snapshots", chain.assign(provider="nse"))
    clean_store.write("option_chain_snapshots", chain.iloc[:10].assign(provider="replay"))
    vol = health.data_volume(clean_store, local_identity(), today=day)
    got = vol["today"].set_index(["dataset", "provider"])["rows"].to_dict()
    assert got == {("option_chain_snapshots", "nse"): len(chain),
                   ("option_chain_snapshots", "replay"): 10}  # fmt: skip
    parts = vol["partitions"].set_index("table_name")
    assert parts.loc["option_chain_snapshots", "partitions"] >= 1
    assert parts.loc["option_chain_snapshots", "bytes"] > 0
    assert vol["retention_cutoff"] == day - pd.Timedelta(days=vol["retention_days"])
    app = AdminApp(clean_store, local_identity(), us.UserSettings(),
                   dagster_url="http://127.0.0.1:9", process_urls={})  # fmt: skip
    text = "".join(getattr(c, "value", "") for c in app.panes["Data"].children)
    assert "Rows stored today" in text and "Intraday partitions (retention 90 days" in text
    empty = health.data_volume(clean_store, local_identity(), today=day.replace(year=2001))
    assert empty["today"].empty


def _failed(store, key="k1", status="FAILED"):
    if store.read("alert_rules", where={"owner": "asha", "name": "r"}).empty:
        alerts.create_rule(store, {"owner": "asha", "name": "r", "symbols": ["NIFTY"],
                                   "condition": {"type": "SCAN", "scan_id": "s"},
                                   "channels": [{"kind": "in_app", "user": "asha"}]})  # fmt: skip
    store.write(
        "alert_notifications",
        pd.DataFrame(
            [
                {
                    "dedupe_key": key,
                    "owner": "asha",
                    "rule_name": "r",
                    "channel": "in_app",
                    "payload": {"text": "x"},
                    "status": status,
                    "attempts": 5,
                    "last_error": "boom",
                }
            ]
        ),
    )


def test_retry_a_failed_notification_from_the_admin_app_is_audited(clean_store):
    _failed(clean_store)
    _failed(clean_store, "k2", status="SENT")
    app = AdminApp(clean_store, local_identity(), us.UserSettings(),
                   dagster_url="http://127.0.0.1:9", process_urls={})  # fmt: skip
    assert app.retry_button in app.panes["Alert outbox"].children[1].children
    app.retry_key.value = "k1"
    app.retry_button.click()
    assert "queued again (audited)" in app.status.value
    row = clean_store.read("alert_notifications", where={"dedupe_key": "k1"}).iloc[0]
    assert (row["status"], row["attempts"]) == ("PENDING", 0)
    audit = clean_store.read("audit_log", where={"action": "alert.retry"})
    assert audit["target"].tolist() == ["k1"]
    app.retry_button.click()  # PENDING now: nothing moves, a clear line
    assert "is not FAILED" in app.status.value
    app.retry_key.value = "k2"
    app.retry_button.click()
    assert "is not FAILED" in app.status.value
    app.retry_key.value = "nope"
    app.retry_button.click()
    assert "nope" in app.status.value and "RecordNotFoundError" not in app.status.value
    app.retry_key.value = ""
    app.retry_button.click()  # the service's own words for an empty key, said once
    assert "dedupe key (first column of the outbox)" in app.status.value
    with pytest.raises(RecordNotFoundError):
        health.retry_notification(clean_store, local_identity(), "nope")
    user = Identity(username="u", role=Role.USER, tier=Tier.FREE, via="token")
    with pytest.raises(PermissionDeniedError):
        health.retry_notification(clean_store, user, "k1")
