"""Signals during the session (issue 11 item 6) on the recorded real NIFTY chains.

The session serves the real NSE chain of 16 July 2025 until 15:00 and the real chain of
17 July from then on (both re-stamped to the session's clock, volumes growing tick by
tick so the volume history matters), collects them on the aligned grid into the real
store with :class:`SessionSignals`, then runs the end-of-day computation exactly as the
``signals`` asset does. The EOD run must find every row already there, identical.
"""

from __future__ import annotations

import pandas as pd
import pytest

from optionsintel.collect.session import run_collection_session
from optionsintel.errors import ConfigurationError
from optionsintel.services.pipeline_reads import read_sampled_snapshots, stored_ticks
from optionsintel.store.reads import read_signals
from optionsintel.transforms.derived import signals_for_snapshots
from optionsintel.transforms.sampling import sample_ticks
from optionsintel.transforms.session_signals import SessionSignals
from optionsintel.tz import EXCHANGE_TZ
from recorded_session import SWITCH, RecordedDaysProvider

DAY = pd.Timestamp("2025-07-17").date()
CLOSE = pd.Timestamp("2025-07-17 15:30", tz=EXCHANGE_TZ)
KEY = ["underlying", "provider", "snapshot_ts", "expiry", "signal_type"]


class Clock:
    def __init__(self, start: str) -> None:
        self.now = pd.Timestamp(start, tz=EXCHANGE_TZ).tz_convert("UTC")

    def __call__(self) -> pd.Timestamp:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += pd.Timedelta(seconds=seconds)


def _writer(store, failing=()):
    written: list[dict] = []
    failing = {pd.Timestamp(t, tz=EXCHANGE_TZ) for t in failing}

    def write(frames):
        chains = frames.get("option_chain_snapshots")
        if chains is not None and len(chains) and chains["snapshot_ts"].iloc[0] in failing:
            raise RuntimeError("database went away")
        with store.transaction() as writer:
            for name, frame in frames.items():
                writer.write(name, frame)
        written.append(dict(frames))

    return write, written


def _session(store, nifty_0716, nifty_0717, *, every=15, fail_at=(), failing=()):
    clock = Clock("2025-07-17 14:40:00")
    provider = RecordedDaysProvider(clock, nifty_0716, nifty_0717, fail_at)
    write, written = _writer(store, failing)
    report = run_collection_session(
        provider, write, underlyings=["NIFTY"], interval_seconds=180, clock=clock,
        sleep=clock.sleep, signals=SessionSignals(every),
    )  # fmt: skip
    return report, written


def _eod(store):
    """What the EOD ``signals`` asset computes and writes for the day."""
    rows = signals_for_snapshots(read_sampled_snapshots(store, DAY, "nse", every_minutes=15))
    return rows, store.write("signals", rows)


def _stored(store) -> pd.DataFrame:
    out = read_signals(store, provider="nse")
    return out.sort_values(KEY).reset_index(drop=True)


@pytest.mark.parametrize(
    ("every", "fail_at", "failing"),
    [
        (15, (), ()),  # the default: the EOD samples
        (0, (), ()),  # every tick
        (5, ("2025-07-17 15:30",), ()),  # close tick lost: 15:27 is the last sample
        (15, (), ("2025-07-17 15:00",)),  # a sample's write failed: 15:03 is the sample
    ],
)
def test_eod_run_confirms_the_session_signals(
    clean_store, nifty_0716, nifty_0717, every, fail_at, failing
):
    report, written = _session(
        clean_store, nifty_0716, nifty_0717, every=every, fail_at=fail_at, failing=failing
    )
    assert len(report.failed) == len(fail_at) + len(failing)
    session = _stored(clean_store)
    assert report.signals >= len(session) > 0
    # the tick's frames carry the signals (the alert engine's hook)
    assert any("signals" in w and len(w["signals"]) for w in written)
    rows, result = _eod(clean_store)
    assert len(rows) > 0
    assert (result.inserted, result.updated) == (0, 0)  # EOD confirms, never duplicates
    assert result.unchanged == len(rows)
    assert _stored(clean_store).equals(session)  # nothing rewritten either
    samples = sample_ticks(stored_ticks(clean_store, DAY, "nse"), 15)
    at_samples = session.loc[session["snapshot_ts"].isin(samples)]
    assert len(at_samples) == len(rows)  # the session wrote every EOD row ...
    if every == 15:
        assert len(session) == len(rows)  # ... and, at the default cadence, only those


def test_real_flows_fire_at_the_switch(clean_store, nifty_0716, nifty_0717):
    """The 16 -> 17 July flows (see tests/signals/test_real_nifty.py) fire at 15:00."""
    _session(clean_store, nifty_0716, nifty_0717)
    out = _stored(clean_store)
    at_switch = out.loc[out["snapshot_ts"] == SWITCH.tz_convert("UTC")]
    jul24 = set(at_switch.loc[at_switch["expiry"].astype(str) == "2025-07-24", "signal_type"])
    assert {"CALL_BUILDUP", "PUT_BUILDUP", "UNUSUAL_ACTIVITY"} <= jul24
    unusual = at_switch.loc[at_switch["signal_type"] == "UNUSUAL_ACTIVITY", "supporting"]
    assert all(s["max_history_multiple"] is not None for s in unusual)  # the history was used
    minutes = pd.DatetimeIndex(out["snapshot_ts"]).tz_convert(EXCHANGE_TZ).minute
    assert set(minutes) <= {0, 15, 30, 45}


def test_every_tick_adds_rows_between_samples(clean_store, nifty_0716, nifty_0717):
    _session(clean_store, nifty_0716, nifty_0717, every=0)
    ts = pd.DatetimeIndex(_stored(clean_store)["snapshot_ts"]).tz_convert(EXCHANGE_TZ)
    # 15:00 against 14:57 is the real switch too; the 14:45 -> 15:00 sample row is also there
    assert pd.Timestamp("2025-07-17 15:00", tz=EXCHANGE_TZ) in ts
    assert any(t.minute % 15 for t in ts)  # growing volumes fire between samples


def test_state_advances_only_with_a_written_tick(nifty_0716):
    chain = nifty_0716.chain
    signals = SessionSignals()
    t0 = pd.Timestamp("2025-07-16 14:45", tz=EXCHANGE_TZ)
    first = signals.evaluate(t0, chain.assign(snapshot_ts=t0))
    assert first.rows.empty
    later = chain.assign(snapshot_ts=t0 + pd.Timedelta(minutes=15), oi=chain["oi"] * 1.5)
    assert signals.evaluate(later["snapshot_ts"].iloc[0], later).rows.empty  # t0 not kept
    signals.advance(first)
    assert len(signals.evaluate(later["snapshot_ts"].iloc[0], later).rows) > 0


def test_finish_samples_a_last_tick_that_was_not_one(nifty_0716):
    """``sample_ticks`` adds the day's last tick; ``finish`` computes its EOD rows."""
    chain, signals = nifty_0716.chain, SessionSignals()
    t0 = pd.Timestamp("2025-07-16 15:15", tz=EXCHANGE_TZ)
    signals.advance(signals.evaluate(t0, chain.assign(snapshot_ts=t0)))
    t1 = t0 + pd.Timedelta(minutes=12)
    later = chain.assign(snapshot_ts=t1, oi=chain["oi"] * 1.5)
    step = signals.evaluate(t1, later)
    assert step.rows.empty  # 15:27 is not the first tick of its bucket
    signals.advance(step)
    rows = signals.finish()
    assert len(rows) > 0 and (rows["snapshot_ts"] == t1).all()
    assert rows.equals(signals_for_snapshots(pd.concat([chain.assign(snapshot_ts=t0), later])))
    assert signals.finish().empty  # once


@pytest.mark.parametrize("every", [-1, 7, 30])
def test_cadence_must_divide_the_eod_samples(every):
    with pytest.raises(ConfigurationError, match="every tick"):
        SessionSignals(every)


def test_cadence_setting(monkeypatch):
    from pydantic import ValidationError

    from optionsintel.settings import Settings

    monkeypatch.setenv("OPTIONSINTEL_SESSION_SIGNALS_MINUTES", "0")
    assert Settings().session_signals_minutes == 0
    monkeypatch.setenv("OPTIONSINTEL_SESSION_SIGNALS_MINUTES", "10")
    with pytest.raises(ValidationError, match="every tick"):
        Settings()


def test_session_rows_equal_the_eod_computation_to_the_last_digit():
    """Synthetic market, 5-minute ticks, two underlyings: the concatenated session rows are
    exactly ``signals_for_snapshots`` of the sampled ticks (confidences compared exactly:
    the running volume history reproduces the EOD mean bit for bit)."""
    from optionsintel.collect.session import collect_tick
    from optionsintel.providers.registry import ProviderConfig, build_provider

    clock = {"now": pd.Timestamp("2025-07-16 12:00", tz=EXCHANGE_TZ)}
    provider = build_provider(
        "synthetic", ProviderConfig(synthetic_seed=3), clock=lambda: clock["now"].to_pydatetime()
    )
    ticks = pd.date_range("2025-07-16 12:00", "2025-07-16 15:30", freq="5min", tz=EXCHANGE_TZ)
    signals, chains, parts = SessionSignals(), [], []
    for tick in ticks:
        clock["now"] = tick
        got = collect_tick(provider, ["NIFTY", "FINNIFTY"], tick.tz_convert("UTC"))
        step = signals.evaluate(tick, got.chains)
        signals.advance(step)
        chains.append(got.chains)
        parts.append(step.rows)
    session = pd.concat([*parts, signals.finish()], ignore_index=True).sort_values(KEY)
    everything = pd.concat(chains, ignore_index=True)
    sampled = everything.loc[everything["snapshot_ts"].isin(sample_ticks(ticks, 15))]
    eod = signals_for_snapshots(sampled).sort_values(KEY)
    assert len(eod) > 0
    pd.testing.assert_frame_equal(_norm(session), _norm(eod), check_exact=True)


def _norm(rows: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes on both sides (concatenating empty frames leaves object columns)."""
    out = rows.reset_index(drop=True)
    out["expiry"] = pd.to_datetime(out["expiry"].to_numpy())
    out["snapshot_ts"] = pd.to_datetime(out["snapshot_ts"], utc=True).astype("datetime64[us, UTC]")
    text = ["underlying", "provider", "signal_type", "strength"]
    return out.astype(dict.fromkeys(text, object) | {"confidence": "float64"})


def test_a_restarted_collector_resumes_from_the_stored_samples(clean_store, nifty_0716, nifty_0717):
    """The collector stops at 14:58 and restarts at 15:04 (ticks in between are lost);
    the restarted one reads the day's samples once and its rows are still the EOD's."""
    from optionsintel.services.pipeline_reads import read_session_samples

    clock = Clock("2025-07-17 14:40:00")
    provider = RecordedDaysProvider(clock, nifty_0716, nifty_0717)
    write, _ = _writer(clean_store)
    first = SessionSignals()
    for tick in pd.date_range("2025-07-17 14:40", "2025-07-17 14:58", freq="3min", tz=EXCHANGE_TZ):
        clock.now = tick.tz_convert("UTC")
        snap = provider.snapshot("NIFTY")
        step = first.evaluate(tick, snap.chain)
        write({"underlying_quotes": snap.quote, "option_chain_snapshots": snap.chain,
               "signals": step.rows})  # fmt: skip
        first.advance(step)
    clock.now = pd.Timestamp("2025-07-17 15:04", tz=EXCHANGE_TZ).tz_convert("UTC")
    resumed = SessionSignals()
    samples = read_session_samples(clean_store, DAY)
    assert sorted(samples["snapshot_ts"].unique()) == [
        pd.Timestamp(f"2025-07-17 {t}", tz=EXCHANGE_TZ) for t in ("14:40", "14:46")
    ]  # the 14:58 tick is the last so far, not a sample
    resumed.resume(samples)
    report = run_collection_session(
        provider, write, underlyings=["NIFTY"], interval_seconds=180, clock=clock,
        sleep=clock.sleep, signals=resumed,
    )  # fmt: skip
    assert not report.failed
    rows, result = _eod(clean_store)
    assert len(rows) > 0 and (result.inserted, result.updated) == (0, 0)
    assert read_session_samples(clean_store, pd.Timestamp("2025-07-19").date()).empty
