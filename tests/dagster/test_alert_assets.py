"""Alert rules at the end of the EOD run and during the live session (Dagster, real PostgreSQL).

A re-materialised partition and a restarted session collector notify nothing twice; a
backfill of an old partition does not alert at all.
"""

import datetime as dt

import pandas as pd
from dagster_project import build_definitions
from dagster_project.resources import SyntheticMarketData
from pydantic import PrivateAttr

from dagster import DagsterInstance
from optionsintel.providers.base import MarketDataProvider
from optionsintel.providers.registry import build_provider
from optionsintel.services import alerts as svc
from optionsintel.services import patterns
from optionsintel.store.alerts import read_alert_notifications
from optionsintel.tz import EXCHANGE_TZ

DAY = dt.date(2025, 7, 16)
CLOSE = pd.Timestamp("2025-07-16 15:30", tz=EXCHANGE_TZ).tz_convert("UTC")


class ClockedMarket(SyntheticMarketData):
    """The synthetic market on a simulated clock that moves only when the collector sleeps."""

    start: str
    _now: pd.Timestamp | None = PrivateAttr(default=None)

    def now(self) -> pd.Timestamp:
        if self._now is None:
            self._now = pd.Timestamp(self.start).tz_convert("UTC")
        return self._now

    def sleep(self, seconds: float) -> None:
        self._now = self.now() + pd.Timedelta(seconds=seconds)

    def provider(self) -> MarketDataProvider:
        clock = lambda: self.now().to_pydatetime()  # noqa: E731
        return build_provider("synthetic", self.provider_config(), clock=clock)


def _rule(name: str, condition: dict, **kw) -> dict:
    return {"owner": "asha", "name": name, "symbols": ["NIFTY"], "condition": condition,
            "channels": [{"kind": "in_app"}], **kw}  # fmt: skip


def _backfill(store_resource, now: str):
    market = ClockedMarket(start=now, underlyings=["NIFTY"], interval_seconds=900)
    job = build_definitions(store_resource, market).resolve_job_def("market_data_job")
    return job.execute_in_process(instance=DagsterInstance.ephemeral(), partition_key=str(DAY))


def test_eod_run_alerts_once_and_a_rematerialised_partition_adds_nothing(
    store_resource, clean_store
):
    svc.create_rule(clean_store, _rule("up", {"type": "PRICE", "op": "above", "value": 1000},
                                       cooldown_seconds=0, hysteresis=False))  # fmt: skip
    svc.create_rule(clean_store, _rule("iv", {"type": "VOLATILITY", "metric": "atm_iv",
                                              "op": "above", "value": 0.1}))  # fmt: skip
    old = _backfill(store_resource, "2025-09-01 10:00+05:30")  # a backfill: months later
    assert old.success
    assert read_alert_notifications(clean_store).empty
    first = _backfill(store_resource, "2025-07-16 16:05+05:30")  # the EOD run of the day
    assert first.success
    got = read_alert_notifications(clean_store)
    assert sorted(got["rule_name"]) == ["iv", "up"]
    assert set(got["triggered_at"]) == {CLOSE}
    again = _backfill(store_resource, "2025-07-17 09:00+05:30")  # re-run the next morning
    assert again.success
    meta = again.asset_materializations_for_node("eod_alert_triggers")[0].metadata
    assert meta["enqueued"].value == 0 and meta["duplicates"].value == 1  # "up" re-fired
    assert len(read_alert_notifications(clean_store)) == 2


def test_eod_run_evaluates_a_pinned_pattern_version(store_resource, clean_store):
    assert _backfill(store_resource, "2025-09-01 10:00+05:30").success  # bars, no alert
    patterns.save_pattern(clean_store, "up", "close > 1000", user="asha", name="Up")
    patterns.save_pattern(clean_store, "up", "close < 1000", user="asha")  # v2: never NIFTY
    svc.create_rule(clean_store, _rule("p1", {"type": "PATTERN", "pattern": "up", "version": 1}))
    svc.create_rule(clean_store, _rule("p2", {"type": "PATTERN", "pattern": "up", "version": 2}))
    assert _backfill(store_resource, "2025-07-16 16:05+05:30").success
    got = read_alert_notifications(clean_store)
    assert list(got["rule_name"]) == ["p1"]
    assert got["payload"].iloc[0]["event"]["condition"] == {
        "type": "PATTERN", "pattern": "up", "version": 1,
    }  # fmt: skip


def test_session_ticks_alert_in_their_transaction_and_a_restart_repeats_nothing(
    store_resource, clean_store
):
    svc.create_rule(clean_store, _rule("up", {"type": "PRICE", "op": "above", "value": 1000},
                                       cooldown_seconds=0, hysteresis=False))  # fmt: skip

    def run(start: str):
        market = ClockedMarket(start=start, underlyings=["NIFTY"], interval_seconds=15)
        job = build_definitions(store_resource, market).resolve_job_def("intraday_collection_job")
        return job.execute_in_process(instance=DagsterInstance.ephemeral())

    assert run("2025-07-16 15:29:00+05:30").success
    got = read_alert_notifications(clean_store)
    ticks = clean_store.read("underlying_quotes")["snapshot_ts"]
    assert sorted(got["triggered_at"]) == sorted(ticks)  # one per tick, at the tick's instant
    assert run("2025-07-16 15:29:20+05:30").success  # a restarted collector rewrites ticks
    assert len(read_alert_notifications(clean_store)) == len(ticks)
