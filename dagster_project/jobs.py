"""Jobs: the live intraday collection loop, end-of-day, full backfill and maintenance."""

from typing import Any

import pandas as pd

from dagster import (
    AssetSelection,
    Config,
    MetadataValue,
    OpExecutionContext,
    Output,
    define_asset_job,
    in_process_executor,
    job,
    op,
)
from dagster_project.partitions import trading_day_partitions
from dagster_project.resources import MarketDataResource, StoreResource
from optionsintel.services.maintenance import RETENTION_DAYS, run_maintenance
from optionsintel.services.pipeline_reads import read_session_samples
from optionsintel.tz import EXCHANGE_TZ

EOD_ASSETS = AssetSelection.assets(
    "daily_ohlc", "eod_option_chain", "daily_option_oi_summary", "signals",
    "support_resistance_levels", "ml_cluster_labels", "eod_alert_triggers",
)  # fmt: skip
RAW_KEYS = ("underlying_quotes", "option_chain_snapshots")

#: End of day: the gating checks on the day's raw data, then every daily and analytics asset.
eod_job = define_asset_job(
    "eod_job", selection=EOD_ASSETS | AssetSelection.checks_for_assets(*RAW_KEYS),
    partitions_def=trading_day_partitions,
    description="End-of-day summaries, EOD chain, signals, levels and cluster labels (16:00 IST).",
)  # fmt: skip

#: Every asset of a day from a backfill source (replay or synthetic), in one process.
market_data_job = define_asset_job(
    "market_data_job", selection=AssetSelection.all(), partitions_def=trading_day_partitions,
    executor_def=in_process_executor,
    description="Backfill: collect a day from replay/synthetic and build every table from it.",
)  # fmt: skip


@op(description="Collect every remaining aligned tick of today's session, then stop at the close.")
def collect_intraday_session(
    context: OpExecutionContext, store: StoreResource, market: MarketDataResource
):
    """Long-running loop on aligned ticks; each tick is written in its own transaction.

    The alert rules are evaluated inside that transaction (``StoreResource.write_tick``).
    """
    today = market.now().tz_convert(EXCHANGE_TZ).date()
    report = market.collect_session(
        store.write_tick, resume=lambda: read_session_samples(store.get(), today)
    )
    context.log.info(f"collected {len(report.collected)} ticks, {len(report.failed)} failed, "
                     f"{len(report.skipped)} skipped, {report.signals} signal rows")  # fmt: skip
    return Output(len(report.collected), metadata={
        "collected": len(report.collected), "failed": len(report.failed),
        "skipped": len(report.skipped), "signals": report.signals,
        "failures": MetadataValue.json(dict(list(report.failed.items())[:20])),
    })  # fmt: skip


@job(executor_def=in_process_executor, tags={"optionsintel/kind": "intraday"})
def intraday_collection_job() -> None:
    """The live session collector started (and restarted) by ``intraday_collection_sensor``."""
    collect_intraday_session()


class MaintenanceConfig(Config):
    """Retention window of the intraday raw tables."""

    retention_days: int = RETENTION_DAYS


@op(description="Drop intraday partitions past retention, VACUUM (ANALYZE), report.")
def weekly_maintenance(
    context: OpExecutionContext, config: MaintenanceConfig, store: StoreResource
):
    """Run :func:`optionsintel.services.maintenance.run_maintenance`."""
    today = pd.Timestamp.now(tz=EXCHANGE_TZ).date()
    report = run_maintenance(store.get(), today, config.retention_days)
    dropped = sum(len(v) for v in report.dropped.values())
    return Output(dropped, metadata={"partitions_dropped": dropped, "cutoff": str(report.cutoff),
                                     "report": MetadataValue.md(report.to_markdown())})  # fmt: skip


@job(executor_def=in_process_executor)
def maintenance_job() -> None:
    """Weekly maintenance (Sunday 02:00 IST)."""
    weekly_maintenance()


ALL_JOBS: list[Any] = [eod_job, market_data_job, intraday_collection_job, maintenance_job]
