import functools

import pandas as pd
from dagster_project import build_definitions, jobs
from dagster_project.resources import MarketDataResource

from dagster import DagsterInstance
from optionsintel.pipeline.collect import run_collection_session
from optionsintel.synthetic import SyntheticProvider


class FakeClock:
    def __init__(self, start):
        self.now = pd.Timestamp(start).tz_convert("UTC")

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += pd.Timedelta(seconds=seconds)


def _run(store_resource, monkeypatch, start):
    clock = FakeClock(start)
    loop = functools.partial(run_collection_session, clock=clock, sleep=clock.sleep)
    monkeypatch.setattr(jobs, "run_collection_session", loop)
    provider = SyntheticProvider(seed=7, clock=lambda: clock.now.to_pydatetime())
    monkeypatch.setattr(MarketDataResource, "provider", lambda self: provider)
    market = MarketDataResource(source="synthetic", underlyings=["FINNIFTY"], interval_seconds=15)
    job = build_definitions(store_resource, market).resolve_job_def("intraday_collection_job")
    return job.execute_in_process(instance=DagsterInstance.ephemeral())


def test_session_job_writes_each_aligned_tick_once(store_resource, clean_store, monkeypatch):
    result = _run(store_resource, monkeypatch, "2025-07-16 15:29:00+05:30")
    assert result.success
    ticks = clean_store.read("underlying_quotes")["snapshot_ts"]
    expected = pd.date_range("2025-07-16 15:29", "2025-07-16 15:30", freq="15s", tz="Asia/Kolkata")
    assert list(ticks.sort_values()) == list(expected)  # 5 aligned ticks, no gap, no duplicate
    assert clean_store.count("intraday_open_interest") > 0 and clean_store.count("oi_delta_log") > 0
    counts = clean_store.table_counts()
    # A restarted collector (same session, a little later) rewrites nothing twice.
    again = _run(store_resource, monkeypatch, "2025-07-16 15:29:50+05:30")
    assert again.success
    assert clean_store.table_counts()["underlying_quotes"] == counts["underlying_quotes"]
    assert clean_store.table_counts()["option_chain_snapshots"] == counts["option_chain_snapshots"]


def test_session_job_outside_market_hours_collects_nothing(
    store_resource, clean_store, monkeypatch
):
    result = _run(store_resource, monkeypatch, "2025-07-16 16:00:00+05:30")
    assert result.success and result.output_for_node("collect_intraday_session") == 0
    assert clean_store.count("underlying_quotes") == 0
