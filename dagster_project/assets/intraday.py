"""Intraday assets: one collection step writes the raw and intraday tables of a day together."""

from dagster import AssetExecutionContext, AssetSpec, multi_asset
from dagster_project.assets._common import partition_day, results_for
from dagster_project.partitions import trading_day_partitions
from dagster_project.resources import MarketDataResource, StoreResource
from optionsintel.collect.session import intraday_tables

INTRADAY_SPECS = [
    AssetSpec("underlying_quotes", group_name="raw_market_data",
              description="Raw underlying quotes, one row per underlying and aligned tick."),
    AssetSpec("option_chain_snapshots", group_name="raw_market_data",
              description="Full option-chain snapshots (all expiries and strikes) per tick."),
    AssetSpec("intraday_open_interest", group_name="intraday", deps=["option_chain_snapshots"],
              description="Call and put OI side by side per snapshot, expiry and strike."),
    AssetSpec("oi_delta_log", group_name="intraday", deps=["option_chain_snapshots"],
              description="Contract-level OI changes between consecutive snapshots."),
    AssetSpec("data_source_metrics", group_name="operations",
              description="Requests, failures and latency of the data source per collection."),
]  # fmt: skip


@multi_asset(
    specs=INTRADAY_SPECS, partitions_def=trading_day_partitions, name="intraday_market_data"
)
def intraday_market_data(
    context: AssetExecutionContext, store: StoreResource, market: MarketDataResource
):
    """Collect a trading day from the configured source and write every intraday table at once.

    One transaction: a provider failure in the middle leaves nothing of the day behind.
    """
    collected = market.collect_day(partition_day(context))
    for note in collected.notes:
        context.log.info(note)
    frames = intraday_tables(collected)
    yield from results_for(frames, store.write_all(frames))
