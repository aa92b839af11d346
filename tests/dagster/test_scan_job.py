"""The scan job: batches fanned out give the in-process results; one schedule per saved scan."""

import pandas as pd
import pytest
from dagster_project import build_definitions
from dagster_project.scan_jobs import scan_job, scan_run_config
from dagster_project.scan_schedules import (
    is_in_session_cron,
    saved_scan_schedules,
    scan_tick_decision,
    schedule_name,
)

from conftest import SCAN_SYMBOLS, comparable
from dagster import DagsterInstance, RunRequest, SkipReason, build_schedule_context
from optionsintel.services import bulk, saved_scans, scans


def _run(store_resource, spec, **config):
    run_config = scan_run_config(spec, database_url=store_resource.database_url, **config)
    return scan_job.execute_in_process(run_config=run_config, instance=DagsterInstance.ephemeral())


def test_fanned_out_job_equals_the_in_process_scan(store_resource, scan_universe):
    store = store_resource.get()
    reference = scans.run_scan(store, scan_universe)
    result = _run(store_resource, scan_universe, batch_size=10)
    assert result.success
    run_id = result.output_for_node("gather_scan_results")
    assert run_id != reference.run_id
    got, want = (
        scans.read_scan_results(store, run_id),
        scans.read_scan_results(store, reference.run_id),
    )
    assert len(want) > 0
    pd.testing.assert_frame_equal(comparable(got), comparable(want))
    status = bulk.read_operation(store, run_id)
    assert (status.status, status.done, status.total) == ("SUCCEEDED", len(SCAN_SYMBOLS), 48)
    batches = [
        e for e in result.get_step_success_events() if e.step_key.startswith("scan_symbol_batch")
    ]
    assert len(batches) == 5  # 48 symbols in batches of 10, not 48 steps
    meta = result.output_for_node("gather_scan_results")
    assert meta == run_id
    outputs = result.filter_events(lambda e: e.is_successful_output)
    gathered = next(e for e in outputs if e.step_key == "gather_scan_results")
    md = gathered.event_specific_data.metadata
    assert md["matches"].value == len(want) and md["operation_id"].value == run_id
    assert md["status"].value == "SUCCEEDED" and md["wall_seconds"].value >= 0
    progress = [
        e.event_specific_data.metadata["progress"].value
        for e in outputs
        if e.step_key.startswith("scan_symbol_batch")
    ]
    assert sorted(progress, key=lambda p: int(p.split("/")[0]))[-1] == "48/48"


def test_resume_skips_done_symbols_and_unknown_are_item_errors(store_resource, scan_universe):
    store = store_resource.get()
    from optionsintel.scans import scan_spec

    spec = scan_spec(
        universe="symbols:SCN000,SCN001,NOSUCH", patterns=["up@1"], provider="synthetic"
    )
    first = _run(store_resource, spec)
    run_id = first.output_for_node("gather_scan_results")
    status = bulk.read_operation(store, run_id)
    assert (status.done, status.failed, status.status) == (2, 1, "PARTIAL")
    errors = bulk.operation_errors(store, run_id)
    assert [(e.item, e.error) for e in errors] == [("NOSUCH", "UNKNOWN_SYMBOL")]
    again = _run(store_resource, spec, operation_id=run_id)
    assert again.success and again.output_for_node("gather_scan_results") == run_id
    assert bulk.read_operation(store, run_id).done == 2


def test_saved_scan_runs_by_name_and_records_its_last_run(store_resource, scan_universe):
    store = store_resource.get()
    saved_scans.save_scan(store, "alice", "ups", scan_universe, schedule="*/15 9-15 * * 1-5")
    result = _run(store_resource, None, owner="alice", saved_name="ups")
    assert result.success
    run_id = result.output_for_node("gather_scan_results")
    assert saved_scans.load_saved_scan(store, "alice", "ups").last_run_id == run_id
    assert scans.read_scan_run(store, run_id).plan.name == "ups"


def test_one_schedule_per_saved_scan_on_trading_days_in_session(store_resource, scan_universe):
    store = store_resource.get()
    saved_scans.save_scan(store, "alice", "ups", scan_universe, schedule="*/15 9-15 * * 1-5")
    saved_scans.save_scan(store, "bob", "eod x", scan_universe, schedule="45 15 * * 1-5")
    saved_scans.save_scan(store, "bob", "manual", scan_universe)
    schedules = {s.name: s for s in saved_scan_schedules(store_resource)}
    assert set(schedules) == {"scan_alice__ups_schedule", "scan_bob__eod_x_schedule"}
    defs = build_definitions(store_resource)
    assert (
        defs.resolve_schedule_def("scan_alice__ups_schedule").cron_schedule == "*/15 9-15 * * 1-5"
    )
    intraday = schedules["scan_alice__ups_schedule"]
    assert is_in_session_cron("*/15 9-15 * * 1-5") and not is_in_session_cron("45 15 * * 1-5")

    def tick(schedule, local):
        when = pd.Timestamp(local, tz="Asia/Kolkata")
        ctx = build_schedule_context(scheduled_execution_time=when.to_pydatetime())
        return schedule.evaluate_tick(ctx)

    ran = tick(intraday, "2025-07-16 10:30")
    (req,) = ran.run_requests
    assert req.run_config["ops"]["plan_scan_batches"]["config"]["saved_name"] == "ups"
    assert req.run_key == "scan_alice__ups_schedule-20250716T1030"
    assert "outside the session" in tick(intraday, "2025-07-16 09:00").skip_message
    assert "not an NSE trading day" in tick(intraday, "2025-08-15 10:30").skip_message  # holiday
    eod = tick(schedules["scan_bob__eod_x_schedule"], "2025-07-16 15:45")
    assert len(eod.run_requests) == 1
    saved = saved_scans.load_saved_scan(store, "bob", "eod x")
    assert isinstance(scan_tick_decision(saved, pd.Timestamp("2025-07-19 10:15Z")), SkipReason)
    assert isinstance(scan_tick_decision(saved, pd.Timestamp("2025-07-18 10:15Z")), RunRequest)
    assert schedule_name("a.b", "x y") == "scan_a_b__x_y_schedule"


def test_schedules_are_not_read_outside_a_dagster_instance(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert saved_scan_schedules() == []


def test_bad_spec_fails_the_plan_step_with_the_one_line_error(store_resource, scan_universe):
    with pytest.raises(Exception, match=r"pattern|no .*version|not found"):
        from optionsintel.scans import scan_spec

        _run(
            store_resource,
            scan_spec(universe="equity", patterns=["nosuch@1"], provider="synthetic"),
        )
