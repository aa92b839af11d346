"""``optionsintel fetch`` and ``optionsintel providers``: market data from the command line."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd
import typer

from optionsintel._typing import ProviderName
from optionsintel.cli._common import console, friendly_errors
from optionsintel.tz import EXCHANGE_TZ

if TYPE_CHECKING:
    from optionsintel.providers.registry import ProviderConfig

fetch_app = typer.Typer(
    help="Fetch market data from a provider and print it.", no_args_is_help=True
)
providers_app = typer.Typer(help="Inspect market-data providers.", no_args_is_help=True)


def _provider_config() -> ProviderConfig:
    """Provider values of the environment's settings, read once for this command."""
    from optionsintel.providers.registry import ProviderConfig
    from optionsintel.settings import get_settings

    return ProviderConfig.from_settings(get_settings())


def _clock(at: str | None):  # type: ignore[no-untyped-def]
    if at is None:
        return lambda: dt.datetime.now(dt.UTC)
    ts = pd.Timestamp(at)
    ts = (ts.tz_localize(EXCHANGE_TZ) if ts.tzinfo is None else ts).tz_convert("UTC")
    return lambda: ts.to_pydatetime()


@fetch_app.command("chain")
@friendly_errors
def fetch_chain(
    underlying: str = typer.Argument(..., help="NIFTY, BANKNIFTY, FINNIFTY or a stock symbol."),
    provider: ProviderName = typer.Option("synthetic", "--provider", "-p", help="Data source."),
    expiry: str | None = typer.Option(None, help="Expiry (YYYY-MM-DD); default the nearest."),
    at: str | None = typer.Option(
        None, help="Replay/synthetic clock, e.g. '2025-07-16 15:30' (IST); default now."
    ),
    rows: int = typer.Option(21, help="Strikes shown around the money."),
    save: bool = typer.Option(False, "--save", help="Also store the snapshot in the database."),
) -> None:
    """Fetch an option chain and print it as calls | strike | puts."""
    from optionsintel.providers.display import format_chain_table
    from optionsintel.providers.registry import build_provider, provider_spec

    kwargs = {"clock": _clock(at)} if provider_spec(provider).simulated_clock else {}
    source = build_provider(provider, _provider_config(), **kwargs)
    chain = source.get_option_chain(underlying.upper())
    if chain.empty:
        console.print(f"{provider} returned no chain for {underlying}")
        raise typer.Exit(code=1)
    snap = pd.Timestamp(chain["snapshot_ts"].max()).tz_convert(EXCHANGE_TZ)
    names = ", ".join(sorted(set(chain["provider"].astype(str))))
    typer.echo(
        f"{underlying.upper()} option chain from {names} as of {snap:%Y-%m-%d %H:%M:%S} IST "
        f"({len(chain):,} contracts, {chain['expiry'].nunique()} expiries)"
    )
    typer.echo(format_chain_table(chain, expiry=expiry, max_rows=rows))
    if save:
        from optionsintel.store import get_store

        result = get_store().write("option_chain_snapshots", chain)
        console.print(
            f"stored: {result.inserted} new, {result.updated} updated, {result.unchanged} unchanged"
        )


@providers_app.command("status")
@friendly_errors
def providers_status(
    probe: bool = typer.Option(False, "--probe", help="Query each live provider now (network)."),
    hours: int = typer.Option(24, help="Window of stored health figures to summarise."),
) -> None:
    """Breaker states and health: stored figures from the pipeline, or a live probe."""
    if probe:
        from optionsintel.providers.status import providers_status as live_status

        _print(live_status(config=_provider_config(), probe=True), "live probe")
        return
    from optionsintel.store import get_store
    from optionsintel.store.reads import read_source_metrics

    since = pd.Timestamp.now(tz="UTC") - pd.Timedelta(hours=hours)
    stored = read_source_metrics(get_store(), since=since)
    if stored.empty:
        console.print(
            f"no provider health recorded in the last {hours} h: the pipeline records it "
            "while collecting; run `optionsintel providers status --probe` for a live check"
        )
        return
    _print(summarise_health(stored), f"last {hours} h, from the data_source_metrics table")


def summarise_health(metrics: pd.DataFrame) -> pd.DataFrame:
    """Latest breaker state and summed counts per provider from stored metric rows."""
    last = metrics.sort_values("ts").groupby("provider").tail(1).set_index("provider")
    sums = metrics.groupby("provider")[["requests", "successes", "failures"]].sum()
    out = sums.join(last[["breaker_state", "avg_latency_ms", "p95_latency_ms", "last_error", "ts"]])
    return out.rename(columns={"ts": "last_report"}).reset_index()


def _print(frame: pd.DataFrame, title: str) -> None:
    from rich.table import Table

    table = Table(title=f"provider health ({title})")
    for col in frame.columns:
        table.add_column(str(col))
    for row in frame.itertuples(index=False):
        table.add_row(
            *("-" if pd.isna(v) else f"{v:,.1f}" if isinstance(v, float) else str(v) for v in row)
        )
    console.print(table)
