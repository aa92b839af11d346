"""The intraday session job writes signals; the EOD ``signals`` asset then confirms them."""

import pandas as pd
import pytest
from dagster_project import build_definitions
from dagster_project.assets.analytics import signals as signals_asset
from dagster_project.resources import ReplayMarketData
from pydantic import PrivateAttr

from chain_builders import load_nse
from dagster import DagsterInstance, materialize
from optionsintel.providers.base import MarketDataProvider
from optionsintel.tz import EXCHANGE_TZ
from recorded_session import RecordedDaysProvider


class RecordedSessionMarketData(ReplayMarketData):
    """Recorded real chains served live on a simulated clock (see ``recorded_session``)."""

    start: str
    _now: pd.Timestamp | None = PrivateAttr(default=None)

    def now(self) -> pd.Timestamp:
        if self._now is None:
            self._now = pd.Timestamp(self.start).tz_convert("UTC")
        return self._now

    def sleep(self, seconds: float) -> None:
        self._now = self.now() + pd.Timedelta(seconds=seconds)

    def provider(self) -> MarketDataProvider:
        days = (load_nse(f"NIFTY_2025-07-{d}_ethanelliott50") for d in (16, 17))
        return RecordedDaysProvider(self.now, *days, name="replay")  # type: ignore[return-value]


@pytest.mark.parametrize("every", [15, 0])
def test_session_signals_then_eod_inserts_nothing(store_resource, clean_store, every):
    market = RecordedSessionMarketData(
        start="2025-07-17 14:50:00+05:30", underlyings=["NIFTY"], interval_seconds=60,
        signals_minutes=every,
    )  # fmt: skip
    job = build_definitions(store_resource, market).resolve_job_def("intraday_collection_job")
    result = job.execute_in_process(instance=DagsterInstance.ephemeral())
    assert result.success
    session = clean_store.read("signals").drop(columns=["ingested_at"])
    assert len(session) > 0  # the real 16 -> 17 July flows fire at 15:00
    assert result.output_for_node("collect_intraday_session") == 41
    eod = materialize(
        [signals_asset], partition_key="2025-07-17", instance=DagsterInstance.ephemeral(),
        resources={"store": store_resource, "market": market},
    )  # fmt: skip
    assert eod.success
    (event,) = eod.get_asset_materialization_events()
    written = event.materialization.metadata
    assert written["inserted"].value == 0 and written["updated"].value == 0
    after = clean_store.read("signals").drop(columns=["ingested_at"])
    key = ["underlying", "snapshot_ts", "expiry", "signal_type"]
    assert (
        after.sort_values(key)
        .reset_index(drop=True)
        .equals(session.sort_values(key).reset_index(drop=True))
    )
    samples = pd.DatetimeIndex(after["snapshot_ts"]).tz_convert(EXCHANGE_TZ).minute % 15 == 0
    assert written["dagster/row_count"].value == int(samples.sum())
    assert (len(after) > samples.sum()) == (every == 0)  # every tick adds rows in between
