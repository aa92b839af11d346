"""Scans on the store: one provider, point in time, stored reproducibly, fanned out."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from optionsintel.errors import BulkOperationError, ScanSpecError
from optionsintel.scans import batches, scan_spec
from optionsintel.services import bulk, patterns
from optionsintel.services import scans as svc
from optionsintel.store import Store
from optionsintel.tz import EXCHANGE_TZ
from scans.helpers import bars_frame, random_closes, seed_universe

SYMBOLS = [f"S{i:02d}" for i in range(16)]
DAYS = pd.bdate_range("2025-01-01", periods=130).date
AS_OF = pd.Timestamp(dt.datetime.combine(DAYS[99], dt.time(18, 0)), tz=EXCHANGE_TZ)


@pytest.fixture
def universe(clean_store: Store) -> Store:
    """16 symbols with 100 days of synthetic bars, a pattern, signals on day 100."""
    seed_universe(clean_store, SYMBOLS, DAYS[:100])
    patterns.save_pattern(clean_store, "dip", "RSI(14) < 50", user="alice", name="Dip")
    ts = pd.Timestamp(dt.datetime.combine(DAYS[99], dt.time(15, 0)), tz=EXCHANGE_TZ)
    sig = pd.DataFrame({"underlying": SYMBOLS[:4], "snapshot_ts": ts, "expiry": DAYS[105],
                        "signal_type": "CALL_BUILDUP", "confidence": [90.0, 70.0, 40.0, 95.0],
                        "strength": "STRONG", "provider": "synthetic"})  # fmt: skip
    clean_store.write("signals", sig)
    return clean_store


def _spec(**kw):
    base = {"universe": "symbols:" + ",".join(SYMBOLS), "patterns": ["dip@1"],
            "detectors": ["CALL_BUILDUP:0.6"], "as_of": AS_OF, "provider": "synthetic"}  # fmt: skip
    return scan_spec(**{**base, **kw})


def test_run_stores_ranked_matches_with_metadata(universe: Store) -> None:
    run = svc.run_scan(universe, _spec(), batch_size=5)
    assert run.status.status == "SUCCEEDED" and run.status.done == 16
    res = svc.read_scan_results(universe, run.run_id)
    assert len(res) == run.status.summary["matches"] > 0
    assert list(res["rank"]) == list(range(1, len(res) + 1))
    assert (res["score"].diff().dropna() <= 0).all() and set(res["provider"]) == {"synthetic"}
    s00 = res.set_index("symbol").loc["S00"]  # CALL_BUILDUP 0.9 >= 0.6
    assert "CALL_BUILDUP:0.6" in s00["matched_criteria"] and s00["max_confidence"] == 0.9
    assert "S02" not in set(res.loc[res["matched_criteria"].map(lambda m: "CALL_BUILDUP:0.6" in m),
                                    "symbol"])  # 0.4 < 0.6  # fmt: skip
    plan = run.plan
    assert plan.provider == "synthetic" and plan.at == str(DAYS[99])
    assert plan.pins["dip@1"] == patterns.load_pinned(universe, "dip@1")[0].content_hash
    assert plan.symbols == SYMBOLS and pd.Timestamp(plan.as_of) == AS_OF
    assert {"read_seconds", "evaluate_seconds", "seconds"} <= set(run.status.summary)


def test_point_in_time_data_after_as_of_is_ignored(universe: Store) -> None:
    before = svc.read_scan_results(universe, svc.run_scan(universe, _spec()).run_id)
    later = random_closes(SYMBOLS, 30, seed=99)  # bars after as_of, wildly different
    universe.write("daily_ohlc", bars_frame({s: v * 3 for s, v in later.items()}, DAYS[100:]))
    ts = pd.Timestamp(dt.datetime.combine(DAYS[99], dt.time(19, 0)), tz=EXCHANGE_TZ)
    universe.write(
        "signals",
        pd.DataFrame(
            {
                "underlying": SYMBOLS[4:8],
                "snapshot_ts": ts,
                "expiry": DAYS[105],
                "signal_type": "CALL_BUILDUP",
                "confidence": 99.0,
                "strength": "STRONG",
                "provider": "synthetic",
            }
        ),
    )  # fmt: skip  (published after as_of)
    after = svc.read_scan_results(universe, svc.run_scan(universe, _spec()).run_id)
    cols = ["symbol", "score", "matched_criteria", "close", "rsi_14"]
    pd.testing.assert_frame_equal(before[cols], after[cols])
    now = svc.run_scan(universe, _spec(as_of=None))
    assert now.plan.at == str(DAYS[-1])  # without as_of: the newest bar


def test_stored_run_is_reproducible(universe: Store) -> None:
    run = svc.run_scan(universe, _spec())
    stored = svc.read_scan_results(universe, run.run_id)
    universe.write("daily_ohlc", bars_frame(random_closes(SYMBOLS, 30, seed=5), DAYS[100:]))
    again = svc.reproduce_scan(universe, run.run_id)
    assert list(again["symbol"]) == list(stored["symbol"])
    np.testing.assert_allclose(again["score"], stored["score"])


def test_fan_out_batches_equal_in_process(universe: Store) -> None:
    whole = svc.read_scan_results(universe, svc.run_scan(universe, _spec()).run_id)
    plan = svc.prepare_scan(universe, _spec())
    for batch in reversed(batches(plan.symbols, 3)):  # any order, any process
        svc.run_scan_batch(universe, plan.run_id, batch)
    svc.run_scan_batch(universe, plan.run_id, plan.symbols[:3])  # a retried step: no-op
    run = svc.finish_scan(universe, plan.run_id)
    assert run.status.status == "SUCCEEDED"
    fanned = svc.read_scan_results(universe, plan.run_id)
    cols = ["rank", "symbol", "score", "matched_criteria", "close", "volume_ratio", "rsi_14"]
    pd.testing.assert_frame_equal(whole[cols], fanned[cols])


def test_unknown_and_missing_symbols_are_reported(universe: Store) -> None:
    universe.write("daily_ohlc", bars_frame(random_closes(["OLD"], 50), DAYS[:50]))
    run = svc.run_scan(universe, _spec(universe="symbols:S00,S01,OLD,NOPE"))
    assert run.status.status == "PARTIAL" and (run.status.done, run.status.failed) == (2, 2)
    errors = {e.item: e.error for e in bulk.operation_errors(universe, run.run_id)}
    assert errors == {"NOPE": "UNKNOWN_SYMBOL", "OLD": "NO_DATA"}


def test_one_provider_per_run(universe: Store) -> None:
    other = {s: 500 - np.arange(100.0) for s in SYMBOLS}
    universe.write("daily_ohlc", bars_frame(other, DAYS[:100], provider="replay"))
    syn = svc.run_scan(universe, _spec(detectors=[]))
    rep = svc.run_scan(universe, _spec(detectors=[], provider="replay"))
    rep_res = svc.read_scan_results(universe, rep.run_id)
    assert set(rep_res["provider"]) == {"replay"} and rep_res["close"].eq(401.0).all()
    assert syn.plan.provider == "synthetic"
    with pytest.raises(ScanSpecError, match="no angelone daily bars"):
        svc.run_scan(universe, _spec(provider="angelone"))


def test_sector_and_watchlist_universes(universe: Store) -> None:
    from optionsintel.services import watchlists

    run = svc.run_scan(universe, _spec(universe="sector:it"))
    assert run.plan.symbols == SYMBOLS
    watchlists.create_watchlist(universe, "alice", "two", ["S03", "S04"])
    assert svc.run_scan(universe, _spec(universe="watchlist:alice/two")).plan.symbols == [
        "S03", "S04"]  # fmt: skip
    with pytest.raises(ScanSpecError, match="no watchlist"):
        svc.run_scan(universe, _spec(universe="watchlist:alice/none"))


def test_resume_runs_only_pending_symbols(universe: Store) -> None:
    whole = svc.read_scan_results(universe, svc.run_scan(universe, _spec()).run_id)
    plan = svc.prepare_scan(universe, _spec())
    svc.run_scan_batch(universe, plan.run_id, plan.symbols[:5])  # a worker died after this
    seen = []
    with pytest.raises(BulkOperationError, match="another scan spec"):
        svc.run_scan(universe, _spec(match="all"), operation_id=plan.run_id)
    run = svc.run_scan(universe, None, operation_id=plan.run_id, progress=seen.append)
    assert run.status.status == "SUCCEEDED" and seen[0].done == 5  # resumed at 5 of 16
    resumed = svc.read_scan_results(universe, plan.run_id)
    pd.testing.assert_frame_equal(whole[["symbol", "score"]], resumed[["symbol", "score"]])


def test_default_provider_covers_most_symbols(universe: Store) -> None:
    few = {s: 100 + np.arange(100.0) for s in SYMBOLS[:3]}
    universe.write("daily_ohlc", bars_frame(few, DAYS[:100], provider="replay"))
    run = svc.run_scan(universe, _spec(provider=None))
    assert run.plan.provider == "synthetic" and run.plan.spec["provider"] is None
