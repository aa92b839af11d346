import datetime as dt

import pandas as pd
from dagster_project import defs, sensors
from dagster_project.partitions import trading_day_partitions
from dagster_project.schedules import eod_schedule, maintenance_schedule
from dagster_project.sensors import SESSION_TAG, intraday_collection_sensor

from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    RunRequest,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
)
from optionsintel.calendar import trading_days

IST = "Asia/Kolkata"


def test_definitions_load_with_every_asset_job_schedule_and_sensor():
    Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == {
        "underlying_quotes",
        "option_chain_snapshots",
        "intraday_open_interest",
        "oi_delta_log",
        "daily_ohlc",
        "daily_option_oi_summary",
        "eod_option_chain",
        "signals",
        "support_resistance_levels",
        "ml_cluster_labels",
        "eod_alert_triggers",
        "data_source_metrics",
    }
    for name in ("eod_job", "market_data_job", "intraday_collection_job", "maintenance_job"):
        assert defs.resolve_job_def(name)
    assert defs.resolve_schedule_def("eod_schedule").execution_timezone == IST
    assert defs.resolve_sensor_def("intraday_collection_sensor")


def test_every_asset_has_a_description_and_group():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, key
        assert node.group_name != "default", key


def test_partitions_are_exactly_the_trading_days():
    keys = trading_day_partitions.get_partition_keys(current_time=dt.datetime(2025, 12, 31, 12))
    expected = [d.strftime("%Y-%m-%d") for d in trading_days("2019-01-01", "2025-12-31")]
    assert keys == expected
    assert "2025-08-15" not in keys and "2025-08-16" not in keys  # holiday, Saturday
    assert trading_day_partitions.timezone == IST


def _at(ts):
    return pd.Timestamp(ts, tz=IST).to_pydatetime()


def test_eod_schedule_targets_today_on_trading_days_and_skips_holidays():
    ctx = build_schedule_context(scheduled_execution_time=_at("2025-07-16 16:00"))
    req = eod_schedule(ctx)
    assert isinstance(req, RunRequest) and req.partition_key == "2025-07-16"
    holiday = eod_schedule(build_schedule_context(scheduled_execution_time=_at("2025-08-15 16:00")))
    assert isinstance(holiday, SkipReason) and "holiday" in holiday.skip_message
    # 16:00 IST is 10:30 UTC: the IST date is used even when read from a UTC clock.
    utc = pd.Timestamp("2025-07-16 10:30", tz="UTC").to_pydatetime()
    assert (
        eod_schedule(build_schedule_context(scheduled_execution_time=utc)).partition_key
        == "2025-07-16"
    )
    assert eod_schedule.cron_schedule == "0 16 * * 1-5"
    assert maintenance_schedule.cron_schedule == "0 2 * * 0"
    assert maintenance_schedule.execution_timezone == IST
    req = maintenance_schedule(
        build_schedule_context(scheduled_execution_time=_at("2025-07-20 02:00"))
    )
    assert req.run_key == "maintenance-2025-07-20"


def _sensor(monkeypatch, now, instance=None):
    monkeypatch.setattr(sensors, "_now", lambda: pd.Timestamp(now, tz=IST).tz_convert("UTC"))
    return intraday_collection_sensor(
        build_sensor_context(instance=instance or DagsterInstance.ephemeral())
    )


def test_sensor_runs_only_during_the_session(monkeypatch):
    assert isinstance(_sensor(monkeypatch, "2025-07-16 09:14:59"), SkipReason)
    opened = _sensor(monkeypatch, "2025-07-16 09:15:00")
    assert isinstance(opened, RunRequest) and opened.tags[SESSION_TAG] == "2025-07-16"
    assert isinstance(_sensor(monkeypatch, "2025-07-16 15:29:59"), RunRequest)
    assert isinstance(_sensor(monkeypatch, "2025-07-16 15:31:00"), SkipReason)
    holiday = _sensor(monkeypatch, "2025-08-15 11:00")
    assert isinstance(holiday, SkipReason) and "not an NSE trading day" in holiday.skip_message
    assert isinstance(_sensor(monkeypatch, "2025-07-19 11:00"), SkipReason)  # Saturday


def test_sensor_does_not_start_a_second_run_and_restarts_a_dead_one(monkeypatch):
    instance = DagsterInstance.ephemeral()
    job = defs.resolve_job_def("intraday_collection_job")
    tags = {SESSION_TAG: "2025-07-16"}
    run = instance.create_run_for_job(job_def=job, tags=tags, status=DagsterRunStatus.STARTED)
    skip = _sensor(monkeypatch, "2025-07-16 11:00", instance)
    assert isinstance(skip, SkipReason) and run.run_id[:8] in skip.skip_message
    instance.report_run_failed(run)
    again = _sensor(monkeypatch, "2025-07-16 11:00:30", instance)
    assert isinstance(again, RunRequest) and again.run_key == "intraday-2025-07-16-1"


def test_gap_check_blocks_only_when_much_is_missing():
    from dagster_project.checks import underlying_quotes_have_no_gaps

    specs = list(underlying_quotes_have_no_gaps.check_specs)
    assert specs[0].blocking  # ERROR severity (over 2 % missing) stops the analytics
