"""Asset checks: thin wrappers over :mod:`optionsintel.transforms.quality`.

Blocking checks (``blocking=True``) stop the downstream analytics (EOD chain, summary,
signals, levels, labels) of a partition in the same run; the check's description and
metadata in the UI say why.
"""

import datetime as dt
from collections.abc import Iterator

import pandas as pd

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    asset_check,
    multi_asset_check,
)
from dagster_project.resources import MarketDataResource, StoreResource
from optionsintel.calendar import listed_expiries
from optionsintel.services.pipeline_reads import read_sampled_snapshots, stored_ticks
from optionsintel.transforms import quality

MAX_MISSING_FRACTION = 0.02


def _day(context: AssetCheckExecutionContext) -> dt.date:
    return dt.date.fromisoformat(context.partition_key)


def _now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


def _result(
    outcome: quality.CheckOutcome,
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR,
    check_name: str | None = None,
) -> AssetCheckResult:
    return AssetCheckResult(passed=outcome.passed, description=outcome.description,
                            metadata=outcome.metadata, severity=severity,
                            check_name=check_name)  # fmt: skip


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


_CHAIN_CHECKS = {
    "option_chain_snapshots_have_non_negative_oi":
        "Open interest is never negative (15-minute samples of the day).",
    "option_chain_snapshots_have_no_crossed_quotes":
        "No bid above its ask (15-minute samples of the day).",
    "option_chain_snapshots_are_complete":
        "Both sides at every near-the-money strike; for generated data every listed expiry.",
    "option_chain_snapshots_have_sane_row_counts":
        "Each sampled snapshot has rows, and about as many as the day's other snapshots.",
}  # fmt: skip


@multi_asset_check(
    specs=[AssetCheckSpec(name, asset="option_chain_snapshots", blocking=True, description=text)
           for name, text in _CHAIN_CHECKS.items()],
)  # fmt: skip
def option_chain_snapshot_checks(
    context: AssetCheckExecutionContext, store: StoreResource, market: MarketDataResource
) -> Iterator[AssetCheckResult]:
    """The blocking chain checks, on one read of the day's 15-minute sample."""
    day = _day(context)
    chain = read_sampled_snapshots(store.get(), day, market.source)
    expected = None
    if market.source == "synthetic":
        expected = {u: list(listed_expiries(u, day, kind="all"))
                    for u in chain["underlying"].astype(str).unique()}  # fmt: skip
    counts = chain.groupby(["underlying", "snapshot_ts"], observed=True).size()
    outcomes = {
        "option_chain_snapshots_have_non_negative_oi": quality.check_oi_non_negative(chain),
        "option_chain_snapshots_have_no_crossed_quotes": quality.check_no_crossed_quotes(chain),
        "option_chain_snapshots_are_complete": quality.check_complete_chain(chain, expected),
        "option_chain_snapshots_have_sane_row_counts": quality.check_row_counts(counts),
    }
    for name, outcome in outcomes.items():
        yield _result(outcome, check_name=name)


ALL_CHECKS = [
    underlying_quotes_have_no_gaps,
    option_chain_snapshots_are_fresh,
    option_chain_snapshot_checks,
]
