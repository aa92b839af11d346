"""End-of-day assets: daily OHLC, the EOD option chain and the daily option-OI summary."""

from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster_project.assets._common import partition_day, result_for
from dagster_project.partitions import trading_day_partitions
from dagster_project.resources import MarketDataResource, StoreResource
from optionsintel.services.pipeline_reads import read_sampled_snapshots, read_session_quotes
from optionsintel.store.reads import read_eod_chain
from optionsintel.transforms.daily import daily_option_oi_summary as summarise
from optionsintel.transforms.daily import eod_chain_from_snapshots


@asset(partitions_def=trading_day_partitions, group_name="daily", deps=["underlying_quotes"])
def daily_ohlc(
    context: AssetExecutionContext, store: StoreResource, market: MarketDataResource
) -> MaterializeResult:
    """Daily OHLC bars per underlying (source candles, else built from the day's quotes)."""
    day = partition_day(context)
    quotes = read_session_quotes(store.get(), day, market.source)
    bars = market.daily_bars(day, quotes)
    return result_for(None, bars, store.get().write("daily_ohlc", bars))


@asset(partitions_def=trading_day_partitions, group_name="daily", deps=["option_chain_snapshots"])
def eod_option_chain(
    context: AssetExecutionContext, store: StoreResource, market: MarketDataResource
) -> MaterializeResult:
    """End-of-day chain per contract: the close snapshot, with OHLC over 15-minute samples."""
    day = partition_day(context)
    snapshots = read_sampled_snapshots(store.get(), day, market.source, every_minutes=15)
    eod = eod_chain_from_snapshots(snapshots)
    return result_for(
        None, eod, store.get().write("eod_option_chain", eod), snapshots_read=len(snapshots)
    )


@asset(partitions_def=trading_day_partitions, group_name="daily", deps=["eod_option_chain"])
def daily_option_oi_summary(
    context: AssetExecutionContext, store: StoreResource, market: MarketDataResource
) -> MaterializeResult:
    """Per expiry: OI and volume totals, PCR, max pain, ATM IV, straddle, expected move, GEX."""
    day = partition_day(context)
    eod = read_eod_chain(store.get(), provider=market.source, start=day, end=day)
    rows = summarise(eod) if len(eod) else eod.iloc[:0]
    return result_for(None, rows, store.get().write("daily_option_oi_summary", rows))
