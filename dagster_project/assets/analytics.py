"""Analytics assets: signals, support/resistance levels and ML cluster labels."""

from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster_project.assets._common import partition_day, result_for
from dagster_project.partitions import trading_day_partitions
from dagster_project.resources import MarketDataResource, StoreResource
from optionsintel.services.pipeline_reads import history_window, read_sampled_snapshots
from optionsintel.store.reads import read_daily_ohlc, read_eod_chain, read_oi_summaries
from optionsintel.transforms.daily import eod_to_chain
from optionsintel.transforms.derived import cluster_labels, levels_to_rows, signals_for_snapshots
from optionsintel.transforms.session_signals import EOD_SAMPLE_MINUTES
from optionsintel.tz import EXCHANGE_TZ


@asset(
    partitions_def=trading_day_partitions, group_name="analytics", deps=["option_chain_snapshots"]
)
def signals(
    context: AssetExecutionContext, store: StoreResource, market: MarketDataResource
) -> MaterializeResult:
    """The eight OI signal types between consecutive 15-minute snapshots of the day.

    The intraday session writes the same rows as the day goes (``SessionSignals``), so on
    a collected day this run confirms them (unchanged) and fills only what the session lost.
    """
    day, s = partition_day(context), store.get()
    snapshots = read_sampled_snapshots(s, day, market.source, every_minutes=EOD_SAMPLE_MINUTES)
    rows = signals_for_snapshots(snapshots)
    return result_for(None, rows, s.write("signals", rows), snapshots_read=len(snapshots))


@asset(
    partitions_def=trading_day_partitions,
    group_name="analytics",
    deps=["eod_option_chain", "daily_ohlc"],
)
def support_resistance_levels(
    context: AssetExecutionContext, store: StoreResource, market: MarketDataResource
) -> MaterializeResult:
    """OI-wall support/resistance per expiry and classic pivots for the next session."""
    day, s = partition_day(context), store.get()
    eod = read_eod_chain(s, provider=market.source, start=day, end=day)
    bars = read_daily_ohlc(s, provider=market.source, start=day, end=day)
    rows = levels_to_rows(eod_to_chain(eod) if len(eod) else eod, bars)
    return result_for(None, rows, s.write("support_resistance_levels", rows))


@asset(
    partitions_def=trading_day_partitions,
    group_name="analytics",
    deps=["daily_option_oi_summary", "daily_ohlc"],
)
def ml_cluster_labels(
    context: AssetExecutionContext, store: StoreResource, market: MarketDataResource
) -> MaterializeResult:
    """DBSCAN cluster and anomaly labels of each expiry's daily state (history up to the day)."""
    day, s = partition_day(context), store.get()
    start, end = history_window(day)
    summaries = read_oi_summaries(s, provider=market.source, start=start, end=end)
    bars = read_daily_ohlc(s, provider=market.source, start=start, end=end)
    labels, model = cluster_labels(summaries, bars, market.source)
    today = (
        labels.loc[labels["ts"].dt.tz_convert(EXCHANGE_TZ).dt.date == day]
        if len(labels)
        else labels
    )
    return result_for(None, today, s.write("ml_cluster_labels", today), model_status=model.status,
                      model_reason=model.reason, model_version=model.model_version)  # fmt: skip
