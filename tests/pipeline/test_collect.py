import datetime as dt

import pandas as pd
import pytest

from optionsintel.pipeline.collect import (
    BackfillNotSupportedError,
    collect_day,
    intraday_tables,
    run_collection_session,
)
from optionsintel.providers.base import NoDataError, Snapshot, TransientProviderError


class FakeClock:
    def __init__(self, start):
        self.now = pd.Timestamp(start)

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += pd.Timedelta(seconds=seconds)


class FakeProvider:
    """Serves tiny quotes/chains; fails on chosen calls; each call costs 2 s of clock."""

    name = "fake"

    def __init__(self, clock, fail_calls=(), outage=None):
        self.clock, self.calls, self.fail_calls, self.outage = clock, 0, set(fail_calls), outage

    def _tick(self):
        self.calls += 1
        self.clock.now += pd.Timedelta(seconds=1)
        if self.calls in self.fail_calls:
            raise TransientProviderError("timeout", provider="fake")
        if self.outage and self.outage[0] <= self.clock.now < self.outage[1]:
            self.clock.now = self.outage[1]  # the process was down until then
            raise TransientProviderError("down", provider="fake")

    def get_quote(self, underlying):
        self._tick()
        return pd.DataFrame(
            {
                "underlying": [underlying],
                "snapshot_ts": [self.clock.now],
                "ltp": [100.0],
                "provider": ["fake"],
            }
        )

    def get_option_chain(self, underlying, expiry=None):
        self._tick()
        return pd.DataFrame(
            {
                "underlying": underlying,
                "snapshot_ts": self.clock.now,
                "expiry": pd.Timestamp("2025-07-17"),
                "strike": [100.0, 100.0],
                "option_type": ["CE", "PE"],
                "oi": [10.0 + self.calls, 20.0],
                "oi_change": 0.0,
                "volume": 1.0,
                "ltp": 5.0,
                "underlying_price": 100.0,
                "provider": "fake",
            }
        )

    def snapshot(self, underlying):
        return Snapshot(self.get_quote(underlying), self.get_option_chain(underlying))


def _run(start, provider_kw=None, **kw):
    clock = FakeClock(start)
    writes = []
    provider = FakeProvider(clock, **(provider_kw or {}))
    report = run_collection_session(
        provider, writes.append, underlyings=["NIFTY"], clock=clock, sleep=clock.sleep, **kw
    )
    return report, writes


def test_loop_collects_every_aligned_tick_once():
    report, writes = _run("2025-07-16 15:25:00+05:30", interval_seconds=60)
    assert len(report.collected) == 6  # 15:25 ... 15:30
    assert len(set(report.collected)) == 6 and not report.failed and not report.skipped
    stamps = [w["option_chain_snapshots"]["snapshot_ts"].iloc[0] for w in writes]
    assert stamps == report.collected  # keyed on the aligned tick, not the fetch time
    assert all(t.second == 0 for t in stamps)
    assert len(writes[1]["oi_delta_log"]) == 1  # CE OI moved between ticks


def test_failed_tick_is_recorded_and_loop_goes_on():
    report, _ = _run("2025-07-16 15:28:00+05:30", {"fail_calls": {3}}, interval_seconds=60)
    assert len(report.failed) == 1 and len(report.collected) == 2


def test_ticks_missed_during_downtime_are_skipped_not_burst():
    down = (pd.Timestamp("2025-07-16 15:25:30+05:30"), pd.Timestamp("2025-07-16 15:28:30+05:30"))
    report, _ = _run("2025-07-16 15:25:00+05:30", {"outage": down}, interval_seconds=60)
    assert pd.Timestamp("2025-07-16 15:27:00+05:30") in report.skipped
    assert report.collected[-1] == pd.Timestamp("2025-07-16 15:30:00+05:30")
    assert len(set(report.collected) & set(report.skipped)) == 0


def test_persistent_failure_fails_the_run():
    with pytest.raises(TransientProviderError):
        _run(
            "2025-07-16 15:20:00+05:30",
            {"fail_calls": set(range(1, 100))},
            interval_seconds=60,
            max_consecutive_failures=3,
        )


def test_collect_day_sources():
    got = collect_day("synthetic", dt.date(2025, 7, 16), ["FINNIFTY"], interval_seconds=1800)
    assert got.quotes["snapshot_ts"].nunique() == 14
    tables = intraday_tables(got)
    assert set(tables) == {
        "underlying_quotes",
        "option_chain_snapshots",
        "intraday_open_interest",
        "oi_delta_log",
        "data_source_metrics",
    }
    real = collect_day("replay", dt.date(2025, 7, 16))
    assert set(real.chains["provider"]) == {"replay"} and real.notes
    with pytest.raises(NoDataError, match="no recorded chain"):
        collect_day("replay", dt.date(2024, 1, 2))
    with pytest.raises(BackfillNotSupportedError, match="cannot backfill"):
        collect_day("nse", dt.date(2025, 7, 16))
