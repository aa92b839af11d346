import pandas as pd
from dagster_project import build_definitions
from dagster_project.resources import SyntheticMarketData
from pydantic import PrivateAttr

from dagster import DagsterInstance
from optionsintel.providers.base import MarketDataProvider
from optionsintel.providers.registry import build_provider
from optionsintel.tz import EXCHANGE_TZ


class SimulatedSessionMarketData(SyntheticMarketData):
    """The synthetic market on a simulated clock that moves only when the collector sleeps.

    A real implementation of the resource (real provider, real collection loop), whose
    clock starts at ``start`` instead of now: a session runs in milliseconds.
    """

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


def _run(store_resource, start):
    market = SimulatedSessionMarketData(start=start, underlyings=["FINNIFTY"], interval_seconds=15)
    job = build_definitions(store_resource, market).resolve_job_def("intraday_collection_job")
    return job.execute_in_process(instance=DagsterInstance.ephemeral())


def test_session_job_writes_each_aligned_tick_once(store_resource, clean_store):
    result = _run(store_resource, "2025-07-16 15:29:00+05:30")
    assert result.success
    ticks = clean_store.read("underlying_quotes")["snapshot_ts"]
    expected = pd.date_range("2025-07-16 15:29", "2025-07-16 15:30", freq="15s", tz=EXCHANGE_TZ)
    assert list(ticks.sort_values()) == list(expected)  # 5 aligned ticks, no gap, no duplicate
    assert clean_store.count("intraday_open_interest") > 0 and clean_store.count("oi_delta_log") > 0
    counts = clean_store.table_counts()
    # A restarted collector (same session, a little later) rewrites nothing twice.
    again = _run(store_resource, "2025-07-16 15:29:50+05:30")
    assert again.success
    assert clean_store.table_counts()["underlying_quotes"] == counts["underlying_quotes"]
    assert clean_store.table_counts()["option_chain_snapshots"] == counts["option_chain_snapshots"]


def test_session_job_outside_market_hours_collects_nothing(store_resource, clean_store):
    result = _run(store_resource, "2025-07-16 16:00:00+05:30")
    assert result.success and result.output_for_node("collect_intraday_session") == 0
    assert clean_store.count("underlying_quotes") == 0


def test_each_source_gets_its_implementation_of_the_resource():
    import pytest
    from dagster_project.resources import (
        LiveMarketData,
        MarketDataResource,
        ReplayMarketData,
        market_data_resource,
    )

    from optionsintel.errors import ConfigurationError
    from optionsintel.providers.registry import BackfillNotSupportedError

    with pytest.raises(TypeError):
        MarketDataResource(source="synthetic")  # abstract: bind an implementation
    synthetic = market_data_resource("synthetic", seed=3, interval_seconds=60, cache_dir="x")
    assert isinstance(synthetic, SyntheticMarketData) and synthetic.expected_interval == 60
    assert synthetic.backfill().seed == 3  # type: ignore[attr-defined]
    replay = market_data_resource("replay")
    assert isinstance(replay, ReplayMarketData) and replay.expected_interval is None
    live = market_data_resource(
        "failover", allow_synthetic_fallback=True, angelone_api_key="k",
        angelone_client_code="c", angelone_pin="p", angelone_totp_secret="JBSWY3DPEHPK3PXP",
    )  # fmt: skip
    assert isinstance(live, LiveMarketData)
    config = live.provider_config()
    assert config.allow_synthetic_fallback and config.chain() == ("nse", "angelone")
    assert config.angelone is not None and config.angelone.client_code == "c"
    with pytest.raises(BackfillNotSupportedError):
        live.backfill()
    with pytest.raises(ConfigurationError, match="unknown provider"):
        market_data_resource("bloomberg")
