"""SCAN rules evaluated when a scan run completes (services.alert_runs.on_scan_completed)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from optionsintel.services import alerts as svc
from optionsintel.services.alert_runs import alerts_due, on_scan_completed, scan_instant
from optionsintel.store.alerts import read_alert_notifications, read_alert_rule_state
from optionsintel.tz import EXCHANGE_TZ

AS_OF = pd.Timestamp("2025-07-16 15:30", tz=EXCHANGE_TZ)


def _run(store, run_id: str, passed: dict[str, bool], as_of=AS_OF, name="breakouts") -> None:
    rows = pd.DataFrame({"run_id": run_id, "kind": "scan", "name": name,
                         "symbol": list(passed), "as_of": as_of, "passed": list(passed.values()),
                         "provider": "synthetic"})  # fmt: skip
    store.write("scan_results", rows)


def _rule(name: str, scan: str, symbols: list[str]) -> dict:
    condition = {"type": "SCAN", "scan_id": scan}
    return {"owner": "asha", "name": name, "symbols": symbols, "condition": condition,
            "channels": [{"kind": "in_app"}]}  # fmt: skip


def test_a_scan_run_notifies_its_new_matches_once(clean_store) -> None:
    svc.create_rule(clean_store, _rule("b", "breakouts", ["NIFTY", "BANKNIFTY", "INFY"]))
    svc.create_rule(clean_store, _rule("other", "gaps", ["NIFTY"]))
    _run(clean_store, "r1", {"NIFTY": True, "BANKNIFTY": False})
    first = on_scan_completed(clean_store, "r1")
    assert first is not None and first.enqueued == 1
    assert on_scan_completed(clean_store, "r1").enqueued == 0  # the hook called twice
    got = read_alert_notifications(clean_store)
    assert list(zip(got["rule_name"], got["instrument"], strict=True)) == [("b", "NIFTY")]
    # The next run: NIFTY still matches (no repeat: hysteresis), INFY is new.
    _run(clean_store, "r2", {"NIFTY": True, "INFY": True}, AS_OF + pd.Timedelta(days=1))
    assert on_scan_completed(clean_store, "r2").enqueued == 1
    got = read_alert_notifications(clean_store)
    assert sorted(got["instrument"]) == ["INFY", "NIFTY"]
    # rules of another scan were not evaluated: no state row says they were measured
    state = read_alert_rule_state(clean_store)
    assert state.loc[state["rule_name"] == "other", "armed"].all()


def test_a_run_of_an_unwatched_scan_or_an_unknown_run_does_nothing(clean_store) -> None:
    svc.create_rule(clean_store, _rule("b", "breakouts", ["NIFTY"]))
    _run(clean_store, "r9", {"NIFTY": True}, name="unwatched")
    assert on_scan_completed(clean_store, "r9") is None
    assert on_scan_completed(clean_store, "no-such-run") is None
    assert read_alert_notifications(clean_store).empty


def test_only_recent_days_alert() -> None:
    monday = dt.date(2025, 7, 14)
    assert alerts_due(monday, monday) and alerts_due(dt.date(2025, 7, 11), monday)  # Friday
    assert not alerts_due(dt.date(2025, 7, 10), monday)  # a backfill
    assert not alerts_due(dt.date(2025, 7, 15), monday)  # the future


def test_a_real_scan_run_alerts_its_matches_and_a_rerun_repeats_nothing(clean_store) -> None:
    """The scan service calls the SCAN rules at ``finish_scan`` (services.scans)."""
    from optionsintel.scans import scan_spec
    from optionsintel.services import patterns, scans
    from scans.helpers import seed_universe

    symbols = ["S00", "S01", "S02", "S03"]
    days = pd.bdate_range("2025-01-01", periods=60).date
    seed_universe(clean_store, symbols, days)
    as_of = pd.Timestamp(dt.datetime.combine(days[-1], dt.time(18, 0)), tz=EXCHANGE_TZ)
    patterns.save_pattern(clean_store, "rising", "close > SMA(5)", user="asha", name="Rising")
    spec = scan_spec(universe="symbols:" + ",".join(symbols), patterns=["rising@1"],
                     as_of=as_of, provider="synthetic")  # fmt: skip
    svc.create_rule(clean_store, _rule("all", "everything", [*symbols, "OUTSIDE"]))
    run = scans.run_scan(clean_store, spec, name="everything")
    matched = set(scans.read_scan_results(clean_store, run.run_id)["symbol"])
    got = read_alert_notifications(clean_store)
    assert set(got["instrument"]) == matched and matched
    close = pd.Timestamp(dt.datetime.combine(days[-1], dt.time(15, 30)), tz=EXCHANGE_TZ)
    assert set(got["triggered_at"]) == {close}
    scans.run_scan(clean_store, spec, name="everything")  # the same scan on the same data
    assert len(read_alert_notifications(clean_store)) == len(got)
    state = read_alert_rule_state(clean_store).set_index("instrument")
    assert "OUTSIDE" not in state.index or state.loc["OUTSIDE", "armed"]  # not evaluated


def test_scan_instant_is_the_close_of_the_bar_day() -> None:
    close = pd.Timestamp("2025-07-16 15:30", tz=EXCHANGE_TZ)
    assert scan_instant("2025-07-16") == close
    assert scan_instant(pd.Timestamp("2025-07-16 18:00", tz=EXCHANGE_TZ)) == close
    assert scan_instant(pd.Timestamp("2025-07-17 10:00", tz=EXCHANGE_TZ)) == close
