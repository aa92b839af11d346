import datetime as dt

import pandas as pd
import pytest

from optionsintel.collect.session import (
    BackfillNotSupportedError,
    collect_day,
    intraday_tables,
    run_collection_session,
)
from optionsintel.providers.base import NoDataError, Snapshot, TransientProviderError
from optionsintel.providers.failover import FailoverProvider


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


# -- issue 12 item 1: a cached or repeated answer is never stored as a new snapshot -------
class CountingSource:
    """An upstream whose every fetch is new data: exchange_ts = fetch time, OI = fetch count.

    ``refresh_seconds`` > 0 makes it publish new data only that often (a source slower
    than the tick), repeating its last answer in between.
    """

    name = "nse"

    def __init__(self, clock, refresh_seconds=0):
        self.clock, self.fetches, self.refresh = clock, 0, refresh_seconds

    def snapshot(self, underlying):
        self.fetches += 1
        self.clock.now += pd.Timedelta(seconds=1)  # each fetch costs a second
        ts = self.clock.now.tz_convert("UTC")
        if self.refresh:
            ts = ts.floor(f"{self.refresh}s")
        n = int(ts.timestamp())
        quote = pd.DataFrame({"underlying": [underlying], "snapshot_ts": [ts], "ltp": [100.0],
                              "exchange_ts": [ts], "provider": ["nse"]})  # fmt: skip
        chain = pd.DataFrame({
            "underlying": underlying, "snapshot_ts": ts, "expiry": pd.Timestamp("2025-07-17"),
            "strike": [100.0, 100.0], "option_type": ["CE", "PE"], "oi": [float(n % 997), 20.0],
            "oi_change": 0.0, "volume": 1.0, "ltp": 5.0, "underlying_price": 100.0,
            "exchange_ts": ts, "provider": "nse",
        })  # fmt: skip
        return Snapshot(quote, chain)

    def get_quote(self, underlying):
        return self.snapshot(underlying).quote

    def get_option_chain(self, underlying, expiry=None):
        return self.snapshot(underlying).chain

    def get_candles(self, *args):
        raise NoDataError("none", provider="nse")


def _session(provider, clock, start, **kw):
    writes = []
    report = run_collection_session(
        provider, writes.append, underlyings=["NIFTY"], clock=clock, sleep=clock.sleep, **kw
    )
    return report, writes


def test_failover_cache_never_stores_a_tick_twice():
    # Reproduces issue 12 item 1: with the cache's TTL equal to the 15-s tick, 10 ticks
    # were written from 5 upstream fetches and every second OI delta log read zero change.
    clock = FakeClock("2025-07-16 15:27:45+05:30")
    source = CountingSource(clock)
    failover = FailoverProvider(
        [source], cache_ttl=15.0, clock=lambda: clock.now.timestamp(),
        wall_clock=lambda: clock.now.to_pydatetime(), sleep=clock.sleep,
    )  # fmt: skip
    report, writes = _session(failover, clock, clock.now, interval_seconds=15)
    chains = [w["option_chain_snapshots"] for w in writes if "option_chain_snapshots" in w]
    stamps = [c["exchange_ts"].iloc[0] for c in chains]
    assert len(set(stamps)) == len(stamps)  # no source instant is stored twice (was 5 of 10)
    assert source.fetches == 10 and len(chains) == 10  # one write per upstream fetch
    assert len(report.collected) == 10 and not report.stale and not report.failed
    assert all(len(w["oi_delta_log"]) == 1 for w in writes[1:])  # CE OI moved every tick
    assert failover.cache.ttl < 15


def test_fit_to_cadence_keeps_the_cache_below_the_interval():
    fo = FailoverProvider([CountingSource(FakeClock("2025-07-16 10:00+05:30"))], cache_ttl=60)
    fo.fit_to_cadence(15)
    assert fo.cache.ttl == 5.0
    fo.fit_to_cadence(60)  # already below: unchanged
    assert fo.cache.ttl == 5.0
    assert FailoverProvider([CountingSource(None)]).cache.ttl < 15  # the default fits 15 s


def test_answer_whose_exchange_ts_did_not_advance_is_refused_as_stale(caplog):
    # A source refreshing every 30 s, polled every 15 s: every second answer repeats the last.
    clock = FakeClock("2025-07-16 15:27:45+05:30")
    source = CountingSource(clock, refresh_seconds=30)
    with caplog.at_level("WARNING", logger="optionsintel.collect.session"):
        report, writes = _session(source, clock, clock.now, interval_seconds=15)
    chains = [w["option_chain_snapshots"] for w in writes if "option_chain_snapshots" in w]
    stamps = [c["exchange_ts"].iloc[0] for c in chains]
    # ticks 15:27:45 ... 15:30:00 see source instants :27:30, :28:00, :28:00, :28:30, ...
    assert len(stamps) == len(set(stamps)) == 6 and source.fetches == 10
    assert len(report.stale) == 4 and len(report.collected) == 6
    assert all("NIFTY" in v for v in report.stale.values())
    metrics_only = [w for w in writes if set(w) == {"data_source_metrics"}]
    assert len(metrics_only) == 4  # the stale tick is recorded, not stored
    errors = [m["data_source_metrics"]["last_error"].iloc[0] for m in metrics_only]
    assert all("stale answer" in e and "did not advance" in e for e in errors)
    assert sum("stale answer" in r.getMessage() for r in caplog.records) == 4
    assert all(len(w["oi_delta_log"]) == 1 for w in writes[1:] if "oi_delta_log" in w)


# -- issue 12 item 2: one bad value no longer kills the live run ---------------------------
class Hostile:
    """The synthetic market with one hostile value per tick, as a live source might send."""

    def __init__(self, clock):
        from optionsintel.providers.synthetic import SyntheticProvider

        self.inner = SyntheticProvider(seed=7, clock=lambda: clock.now.to_pydatetime())
        self.name, self.calls = self.inner.name, 0

    def snapshot(self, underlying):
        snap = self.inner.snapshot(underlying)
        chain, self.calls = snap.chain.copy(), self.calls + 1
        if self.calls == 2:
            chain.loc[3, "oi"] = -5.0  # negative OI (the store's check constraint)
        elif self.calls == 3:
            chain = pd.concat([chain, chain.iloc[[7]]], ignore_index=True)  # duplicated strike
        elif self.calls == 4:
            chain["strike"] = chain["strike"].astype(object)
            chain.loc[5, "strike"] = "12,5OO"  # text where the strike belongs
        return Snapshot(snap.quote, chain)


def test_bad_rows_are_quarantined_and_the_session_goes_on(clean_store, caplog):
    # Reproduces issue 12 item 2: before, the write of tick 2 raised out of the session.
    clock = FakeClock("2025-07-16 15:29:00+05:30")
    source = Hostile(clock)

    def write(frames):
        with clean_store.transaction() as writer:
            for name, frame in frames.items():
                writer.write(name, frame)

    with caplog.at_level("WARNING", logger="optionsintel.collect.session"):
        report = run_collection_session(
            source, write, underlyings=["FINNIFTY"], interval_seconds=15, clock=clock,
            sleep=clock.sleep,
        )  # fmt: skip
    assert len(report.collected) == 5 and not report.failed
    assert len(report.quarantined) == 3
    stored = clean_store.read("option_chain_snapshots")
    per_tick = stored.groupby("snapshot_ts").size()
    full = per_tick.max()
    assert sorted(per_tick.tolist()) == [full - 1, full - 1, full, full, full]
    assert (stored["oi"].dropna() >= 0).all()
    metrics = clean_store.read("data_source_metrics").sort_values("ts")
    errors = metrics["last_error"].fillna("").tolist()
    assert "oi is negative (1)" in errors[1]
    assert "duplicated contract (first one kept) (1)" in errors[2]
    assert "strike is not a number (1)" in errors[3]
    assert sum("quarantined 1 of" in r.getMessage() for r in caplog.records) == 3


class Misdirected(CountingSource):
    """Answers tick 2 with another underlying's legs and tick 3 with a 2099 timestamp."""

    def snapshot(self, underlying):
        snap = super().snapshot(underlying)
        if self.fetches == 2:
            return Snapshot(snap.quote.assign(underlying="BANKNIFTY"), snap.chain)
        if self.fetches == 3:
            future = pd.Timestamp("2099-01-01", tz="UTC")
            return Snapshot(snap.quote.assign(exchange_ts=future), snap.chain)
        return snap


def test_an_untrustworthy_snapshot_is_refused_and_the_session_goes_on(caplog):
    clock = FakeClock("2025-07-16 15:29:00+05:30")
    with caplog.at_level("WARNING", logger="optionsintel.collect.session"):
        report, writes = _session(Misdirected(clock), clock, clock.now, interval_seconds=15)
    assert len(report.collected) == 3 and not report.failed and len(report.refused) == 2
    refusals = [next(iter(r.values())) for r in report.refused.values()]
    assert "underlying BANKNIFTY is not the requested NIFTY" in refusals[0]
    assert "exchange_ts is outside" in refusals[1]
    chains = [w for w in writes if "option_chain_snapshots" in w]
    assert len(chains) == 3 and len(writes) == 5  # the refused ticks wrote their metrics only
    assert all(set(w["option_chain_snapshots"]["underlying"]) == {"NIFTY"} for w in chains)
    assert sum("snapshot refused" in r.getMessage() for r in caplog.records) == 2


def test_a_failed_write_loses_only_its_tick():
    from optionsintel.errors import StoreWriteError

    clock = FakeClock("2025-07-16 15:29:00+05:30")
    stored = []

    def write(frames):
        if len(stored) == 1 and "option_chain_snapshots" in frames:
            stored.append(None)
            raise StoreWriteError("writing 2 rows to option_chain_snapshots failed")
        stored.append(frames)

    report = run_collection_session(
        CountingSource(clock), write, underlyings=["NIFTY"], interval_seconds=15, clock=clock,
        sleep=clock.sleep,
    )  # fmt: skip
    assert len(report.failed) == 1 and len(report.collected) == 4
    assert "StoreWriteError" in next(iter(report.failed.values()))
