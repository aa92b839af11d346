"""Watchlists: validated against known instruments, unknown reported, edits concurrent-safe."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from optionsintel.errors import ScanSpecError, WatchlistError
from optionsintel.scans import scan_spec
from optionsintel.services import saved_scans, watchlists
from optionsintel.store import Store
from scans.helpers import instruments_frame


@pytest.fixture
def known(clean_store: Store) -> Store:
    clean_store.write("instruments", instruments_frame(["INFY", "TCS", "WIPRO", "HCLTECH"]))
    clean_store.write("daily_ohlc", pd.DataFrame([{"symbol": "M&M", "trade_date": "2025-01-02",
                      "open": 1, "high": 1, "low": 1, "close": 1, "volume": 1,
                      "provider": "synthetic"}]))  # fmt: skip
    return clean_store


def test_unknown_and_invalid_symbols_are_reported_not_stored(known: Store) -> None:
    ch = watchlists.create_watchlist(known, "alice", "tech", ["infy", "TCS", "NOSUCH", "m&m",
                                                              "bad sym!", "infy"])  # fmt: skip
    assert ch.watchlist.symbols == ["INFY", "TCS", "M&M"] and ch.added == ["INFY", "TCS", "M&M"]
    assert ch.unknown == ["NOSUCH"] and ch.invalid == ["bad sym!"]
    stored = watchlists.get_watchlist(known, "alice", "tech")
    assert stored.symbols == ["INFY", "TCS", "M&M"]


def test_add_remove_rename_delete(known: Store) -> None:
    watchlists.create_watchlist(known, "alice", "tech", ["INFY"])
    add = watchlists.add_symbols(known, "alice", "tech", ["TCS", "INFY", "ZZZ"])
    assert add.added == ["TCS"] and add.unknown == ["ZZZ"]
    rm = watchlists.remove_symbols(known, "alice", "tech", ["INFY", "WIPRO"])
    assert rm.removed == ["INFY"] and rm.absent == ["WIPRO"] and rm.watchlist.symbols == ["TCS"]
    watchlists.create_watchlist(known, "alice", "other", [])
    with pytest.raises(WatchlistError, match="already exists"):
        watchlists.rename_watchlist(known, "alice", "tech", "other")
    assert watchlists.rename_watchlist(known, "alice", "tech", "it").symbols == ["TCS"]
    with pytest.raises(WatchlistError, match="no watchlist"):
        watchlists.get_watchlist(known, "alice", "tech")
    with pytest.raises(WatchlistError, match="exists"):
        watchlists.create_watchlist(known, "alice", "it", ["INFY"])
    watchlists.delete_watchlist(known, "alice", "it")
    assert [w.name for w in watchlists.list_watchlists(known, owner="alice")] == ["other"]
    with pytest.raises(WatchlistError, match="no watchlist"):
        watchlists.add_symbols(known, "alice", "it", ["INFY"])
    with pytest.raises(WatchlistError, match="not valid"):
        watchlists.create_watchlist(known, "alice", "x" * 81, ["INFY"])


def test_concurrent_adds_both_apply(known: Store) -> None:
    watchlists.create_watchlist(known, "bob", "w", [])
    threads = [threading.Thread(target=watchlists.add_symbols, args=(known, "bob", "w", [s]))
               for s in ("INFY", "TCS", "WIPRO", "HCLTECH")]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(watchlists.get_watchlist(known, "bob", "w").symbols) == [
        "HCLTECH", "INFY", "TCS", "WIPRO"]  # fmt: skip


def test_alert_engine_still_reads_the_lists(known: Store) -> None:
    from optionsintel.store.alerts import read_alert_watchlists

    watchlists.create_watchlist(known, "alice", "tech", ["INFY"])
    rows = read_alert_watchlists(known, owner="alice")
    assert list(rows["symbols"].iloc[0]) == ["INFY"]


def test_saved_scans(known: Store) -> None:
    spec = scan_spec(universe="sector:IT", detectors=["CALL_BUILDUP:0.7"])
    saved = saved_scans.save_scan(known, "alice", "eod", spec, schedule="45 15 * * 1-5")
    assert saved.spec == spec and saved.schedule == "45 15 * * 1-5"
    saved_scans.save_scan(known, "alice", "adhoc", spec)
    assert [s.name for s in saved_scans.list_saved_scans(known, scheduled_only=True)] == ["eod"]
    with pytest.raises(ScanSpecError, match="cron"):
        saved_scans.save_scan(known, "alice", "bad", spec, schedule="every day")
    saved_scans.delete_saved_scan(known, "alice", "adhoc")
    with pytest.raises(ScanSpecError, match="no saved scan"):
        saved_scans.load_saved_scan(known, "alice", "adhoc")
