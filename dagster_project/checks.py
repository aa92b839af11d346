"""Asset checks: thin wrappers over :mod:`optionsintel.pipeline.quality`.

Blocking checks (``blocking=True``) stop the downstream analytics (EOD chain, summary,
signals, levels, labels) of a partition in the same run; the check's description and
metadata in the UI say why.
"""

import datetime as dt

import pandas as pd

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, asset_check
from dagster_project.resources import MarketDataResource, StoreResource
from optionsintel.calendar import listed_expiries
from optionsintel.pipeline import quality
from optionsintel.pipeline.reads import read_sampled_snapshots, stored_ticks

MAX_MISSING_FRACTION = 0.02


def _day(context: AssetCheckExecutionContext) -> dt.date:
    return dt.date.fromisoformat(context.partition_key)


def _now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


def _result(
    outcome: quality.CheckOutcome, severity: AssetCheckSeverity = AssetCheckSeverity.ERROR
) -> AssetCheckResult:
    return AssetCheckResult(passed=outcome.passed, description=outcome.description,
                            metadata=outcome.metadata, severity=severity)  # fmt: skip


@asset_check(asset="underlying_quotes", blocking=True)
def underlying_quotes_have_no_gaps(
    context: AssetCheckExecutionContext, store: StoreResource, market: MarketDataResource
) -> AssetCheckResult:
    """Every aligned tick of the session so far has a snapshot; over 2 % missing blocks."""
    day = _day(context)
    ticks = stored_ticks(store.get(), day, market.source)
    outcome = quality.check_no_gaps(ticks, day, market.expected_interval, until=_now())
    # A few missed ticks (downtime, see the catch-up rule) warn; more than 2 % block analytics.
    lost = outcome.metadata.get("missing_fraction", 0.0) > MAX_MISSING_FRACTION
    return _result(outcome, AssetCheckSeverity.ERROR if lost else AssetCheckSeverity.WARN)


@asset_check(asset="option_chain_snapshots")
def option_chain_snapshots_are_fresh(
    context: AssetCheckExecutionContext, store: StoreResource, market: MarketDataResource
) -> AssetCheckResult:
    """During market hours the newest snapshot is at most four intervals old."""
    ticks = stored_ticks(store.get(), _day(context), market.source)
    latest = ticks.max() if len(ticks) else None
    return _result(
        quality.check_freshness(latest, _now(), market.interval_seconds), AssetCheckSeverity.WARN
    )


@asset_check(asset="option_chain_snapshots", blocking=True)
def option_chain_snapshots_have_non_negative_oi(
    context: AssetCheckExecutionContext, store: StoreResource, market: MarketDataResource
) -> AssetCheckResult:
    """Open interest is never negative (15-minute samples of the day)."""
    chain = read_sampled_snapshots(store.get(), _day(context), market.source)
    return _result(quality.check_oi_non_negative(chain))


@asset_check(asset="option_chain_snapshots", blocking=True)
def option_chain_snapshots_have_no_crossed_quotes(
    context: AssetCheckExecutionContext, store: StoreResource, market: MarketDataResource
) -> AssetCheckResult:
    """No bid above its ask (15-minute samples of the day)."""
    chain = read_sampled_snapshots(store.get(), _day(context), market.source)
    return _result(quality.check_no_crossed_quotes(chain))


@asset_check(asset="option_chain_snapshots", blocking=True)
def option_chain_snapshots_are_complete(
    context: AssetCheckExecutionContext, store: StoreResource, market: MarketDataResource
) -> AssetCheckResult:
    """Both sides at every strike; for generated data also every listed expiry."""
    day = _day(context)
    chain = read_sampled_snapshots(store.get(), day, market.source)
    expected = None
    if market.source == "synthetic":
        expected = {
            u: list(listed_expiries(u, day, kind="all"))
            for u in chain["underlying"].astype(str).unique()
        }
    return _result(quality.check_complete_chain(chain, expected))


@asset_check(asset="option_chain_snapshots", blocking=True)
def option_chain_snapshots_have_sane_row_counts(
    context: AssetCheckExecutionContext, store: StoreResource, market: MarketDataResource
) -> AssetCheckResult:
    """Each sampled snapshot has rows, and about as many as the day's other snapshots."""
    chain = read_sampled_snapshots(store.get(), _day(context), market.source)
    counts = chain.groupby(["underlying", "snapshot_ts"], observed=True).size()
    return _result(quality.check_row_counts(counts))


ALL_CHECKS = [
    underlying_quotes_have_no_gaps,
    option_chain_snapshots_are_fresh,
    option_chain_snapshots_have_non_negative_oi,
    option_chain_snapshots_have_no_crossed_quotes,
    option_chain_snapshots_are_complete,
    option_chain_snapshots_have_sane_row_counts,
]
