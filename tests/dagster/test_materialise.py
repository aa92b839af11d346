import datetime as dt

import pandas as pd
import pytest
from dagster_project.materialise import materialise_partitions

from dagster import DagsterInstance
from optionsintel import collect
from optionsintel.providers.base import TransientProviderError
from optionsintel.transforms import quality

DAY = dt.date(2025, 7, 16)
GRAPH_TABLES = (
    "underlying_quotes",
    "option_chain_snapshots",
    "intraday_open_interest",
    "oi_delta_log",
    "daily_ohlc",
    "daily_option_oi_summary",
    "eod_option_chain",
    "signals",
    "support_resistance_levels",
    "data_source_metrics",
)
_IGNORE = {"ingested_at", "avg_latency_ms", "p95_latency_ms"}  # bookkeeping, not data


@pytest.fixture
def small_market(monkeypatch):
    """The synthetic market with one underlying (keeps the test fast)."""
    real = collect.collect_day

    def one_underlying(source, day, underlyings, *a, **kw):
        return real(source, day, ["NIFTY"], *a, **kw)

    monkeypatch.setattr(collect, "collect_day", one_underlying)


def _snapshot(store):
    out = {}
    for table in GRAPH_TABLES:
        frame = store.read(table)
        frame = frame.drop(columns=[c for c in _IGNORE if c in frame])
        out[table] = frame.sort_values(list(frame.columns[:6])).reset_index(drop=True).astype(str)
    return out


@pytest.mark.slow
def test_full_graph_materialises_and_rematerialising_changes_nothing(
    store_resource, clean_store, small_market
):
    instance = DagsterInstance.ephemeral()
    runs = materialise_partitions(
        {"synthetic": [DAY]}, interval_seconds=900, instance=instance, store=store_resource
    )
    assert runs[0].success, runs[0].failed_steps
    counts = clean_store.table_counts()
    for table in GRAPH_TABLES:
        assert counts[table] > 0, table
    first = _snapshot(clean_store)
    again = materialise_partitions(
        {"synthetic": [DAY]}, interval_seconds=900, instance=instance, store=store_resource
    )
    assert again[0].success
    assert clean_store.table_counts() == counts
    second = _snapshot(clean_store)
    for table in GRAPH_TABLES:
        pd.testing.assert_frame_equal(first[table], second[table], obj=table)
    recorded = instance.get_run_records()
    assert len(recorded) == 2  # both runs are in the instance (the UI's run list)


@pytest.mark.slow
def test_replay_day_materialises_real_recorded_data(store_resource, clean_store):
    runs = materialise_partitions({"replay": [dt.date(2020, 4, 20)]}, store=store_resource)
    assert runs[0].success, runs[0].failed_steps
    chains = clean_store.read("option_chain_snapshots")
    assert set(chains["provider"]) == {"replay"} and set(chains["underlying"]) == {
        "NIFTY",
        "BANKNIFTY",
    }
    assert clean_store.count("daily_option_oi_summary") > 0
    bars = clean_store.read("daily_ohlc")
    assert set(bars["symbol"]) == {"NIFTY", "BANKNIFTY"}


def test_provider_failure_mid_run_fails_clearly_and_commits_nothing(
    store_resource, clean_store, monkeypatch
):
    from optionsintel.synthetic.day import DayChains

    real_frame, calls = DayChains.frame, {"n": 0}

    def flaky(self, snapshots):
        calls["n"] += 1
        if calls["n"] == 2:  # second block of the day: quotes already generated
            raise TransientProviderError("connection reset mid-day", provider="synthetic")
        return real_frame(self, snapshots)

    monkeypatch.setattr(DayChains, "frame", flaky)
    instance = DagsterInstance.ephemeral()
    runs = materialise_partitions(
        {"synthetic": [DAY]}, interval_seconds=60, instance=instance, store=store_resource
    )
    assert not runs[0].success and "intraday_market_data" in runs[0].failed_steps
    failure = [
        e
        for e in instance.all_logs(runs[0].run_id)
        if e.dagster_event and e.dagster_event.is_step_failure
    ]
    assert "connection reset mid-day" in str(failure[0].dagster_event.event_specific_data.error)
    assert all(n == 0 for t, n in clean_store.table_counts().items() if t in GRAPH_TABLES)


@pytest.mark.slow
def test_write_failure_on_a_late_table_rolls_back_every_table(
    store_resource, clean_store, monkeypatch
):
    from dagster_project.assets import intraday

    real = intraday.intraday_tables

    def broken(collected):
        tables = real(collected)
        tables["oi_delta_log"] = tables["oi_delta_log"].assign(option_type="XX")  # violates a CHECK
        return tables

    monkeypatch.setattr(intraday, "intraday_tables", broken)
    runs = materialise_partitions({"synthetic": [DAY]}, interval_seconds=1800, store=store_resource)
    assert not runs[0].success
    assert (
        clean_store.count("underlying_quotes") == 0
        and clean_store.count("option_chain_snapshots") == 0
    )


@pytest.mark.slow
def test_failing_blocking_check_stops_signals_and_labels(
    store_resource, clean_store, small_market, monkeypatch
):
    def crossed(chain):
        return quality.CheckOutcome(False, "3 crossed quotes (bid > ask)", {"crossed_rows": 3})

    monkeypatch.setattr(quality, "check_no_crossed_quotes", crossed)
    instance = DagsterInstance.ephemeral()
    runs = materialise_partitions(
        {"synthetic": [DAY]}, interval_seconds=1800, instance=instance, store=store_resource
    )
    assert not runs[0].success
    assert clean_store.count("option_chain_snapshots") > 0  # the raw data is kept for inspection
    for table in ("signals", "eod_option_chain", "ml_cluster_labels", "daily_option_oi_summary"):
        assert clean_store.count(table) == 0, table
    evaluations = [
        e.dagster_event.event_specific_data
        for e in instance.all_logs(runs[0].run_id)
        if e.dagster_event and e.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    failed = [ev for ev in evaluations if not ev.passed]
    assert failed and failed[0].description == "3 crossed quotes (bid > ask)"
