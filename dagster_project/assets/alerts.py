"""Alert rules evaluated at the end of the EOD run (the live ticks evaluate them as they land)."""

import pandas as pd

from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster_project.assets._common import partition_day, result_for
from dagster_project.partitions import trading_day_partitions
from dagster_project.resources import MarketDataResource, StoreResource
from optionsintel.services.alert_runs import evaluate_eod
from optionsintel.tz import EXCHANGE_TZ


@asset(
    partitions_def=trading_day_partitions,
    group_name="alerts",
    deps=["daily_ohlc", "eod_option_chain", "daily_option_oi_summary", "signals"],
)
def eod_alert_triggers(
    context: AssetExecutionContext, store: StoreResource, market: MarketDataResource
) -> MaterializeResult:
    """Every active alert rule on the day's EOD data; triggers go to the outbox.

    Keyed on the 15:30 IST close: a re-materialised partition notifies nothing twice, and
    a partition older than the previous trading day (a backfill) does not alert at all.
    """
    today = market.now().tz_convert(EXCHANGE_TZ).date()
    result = evaluate_eod(store.get(), partition_day(context), market.source, today=today)
    if result is None:
        return result_for(None, pd.DataFrame(), None, evaluated=False)
    return result_for(None, result.triggers, None, evaluated=True, enqueued=result.enqueued,
                      duplicates=result.duplicates)  # fmt: skip
