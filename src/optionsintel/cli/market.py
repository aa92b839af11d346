"""``optionsintel fetch`` and ``optionsintel providers``: market data from the command line."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import typer

from optionsintel._typing import ProviderName
from optionsintel.cli._common import console, escape, friendly_errors
from optionsintel.errors import InvalidArgumentError

if TYPE_CHECKING:  # pandas and the providers load when a command runs, not for --help
    import pandas as pd

    from optionsintel.providers.registry import ProviderConfig

fetch_app = typer.Typer(
    help="Fetch market data from a provider and print it.", no_args_is_help=True
)
providers_app = typer.Typer(help="Inspect market-data providers.", no_args_is_help=True)


# Providers whose ProviderConfig fields no setting feeds (ProviderConfig.from_settings
# leaves them at their defaults): they skip reading the settings, and pydantic-settings
# with them (~0.1 s of start-up). tests/test_cli_settings.py pins the equivalence.
_NO_SETTINGS: frozenset[str] = frozenset({"replay"})


def _provider_config(provider: str | None = None) -> ProviderConfig:
    """Provider values of the environment's settings, read once for this command.

    For a provider in ``_NO_SETTINGS`` the defaults: the settings hold nothing it reads.
    """
    from optionsintel.providers.registry import ProviderConfig

    if provider in _NO_SETTINGS:
        return ProviderConfig()
    from optionsintel.settings import get_settings

    return ProviderConfig.from_settings(get_settings())


MAX_HOURS = 24 * 366 * 5
_SYMBOL = re.compile(r"[A-Z0-9][A-Z0-9&_.-]{0,39}")


def _clock(at: str | None):  # type: ignore[no-untyped-def]
    if at is None:
        return lambda: dt.datetime.now(dt.UTC)
    ts = parse_at(at)
    return lambda: ts.to_pydatetime()


def parse_at(at: str) -> pd.Timestamp:
    """The instant of ``--at`` (naive = IST) or a one-line :class:`InvalidArgumentError`."""
    import pandas as pd

    from optionsintel.tz import to_utc
    from optionsintel.validation import instant_horizon

    try:
        ts = to_utc(at)
    except (ValueError, TypeError, OverflowError):
        ts = pd.NaT
    lo, hi = instant_horizon()
    if pd.isna(ts) or not lo <= ts <= hi:
        raise InvalidArgumentError(
            f"--at {at!r} is not a date and time between {lo:%Y-%m-%d} and {hi:%Y-%m-%d}; "
            "give e.g. '2025-07-16 15:30' (IST) or '2025-07-16T10:00:00+00:00'"
        )
    return ts


def parse_symbol(symbol: str) -> str:
    """The upper-cased NSE symbol, or a one-line :class:`InvalidArgumentError`."""
    upper = symbol.strip().upper()
    if not _SYMBOL.fullmatch(upper):
        raise InvalidArgumentError(
            f"{symbol!r} is not an NSE symbol: use letters, digits and & - _ . "
            "(at most 40), e.g. NIFTY, BANKNIFTY, M&M"
        )
    return upper


def _check_fetch_args(provider: str, at: str | None, rows: int, expiry: str | None) -> None:
    from optionsintel.providers.registry import provider_spec

    if at is not None and not provider_spec(provider).simulated_clock:
        raise InvalidArgumentError(
            f"--at sets the clock of the replay and synthetic providers only; {provider} "
            "answers with the market as it is now. Drop --at, or use --provider replay"
        )
    if rows < 1:
        raise InvalidArgumentError(f"--rows must be at least 1 (got {rows})")
    if expiry is not None:
        _parse_expiry(expiry)


def _parse_expiry(expiry: str) -> pd.Timestamp:
    import pandas as pd

    try:
        return pd.Timestamp(expiry).normalize()
    except (ValueError, TypeError, OverflowError):
        raise InvalidArgumentError(
            f"--expiry {expiry!r} is not a date; give it as YYYY-MM-DD"
        ) from None


def _check_expiry(chain: pd.DataFrame, expiry: str | None) -> None:
    import pandas as pd

    if expiry is None:
        return
    listed = sorted(pd.to_datetime(chain["expiry"]).dt.normalize().unique())
    if _parse_expiry(expiry) not in listed:
        shown = ", ".join(f"{pd.Timestamp(d):%Y-%m-%d}" for d in listed[:8])
        raise InvalidArgumentError(
            f"--expiry {expiry} is not listed in this chain; listed expiries: {shown}"
            + (" ..." if len(listed) > 8 else "")
        )


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
    import pandas as pd

    from optionsintel.providers.display import format_chain_table
    from optionsintel.providers.registry import build_provider, provider_spec
    from optionsintel.tz import EXCHANGE_TZ

    _check_fetch_args(provider, at, rows, expiry)
    underlying = parse_symbol(underlying)
    kwargs = {"clock": _clock(at)} if provider_spec(provider).simulated_clock else {}
    source = build_provider(provider, _provider_config(provider), **kwargs)
    chain = source.get_option_chain(underlying)
    if chain.empty:
        console.print(f"{provider} returned no chain for {escape(underlying)}")
        raise typer.Exit(code=1)
    _check_expiry(chain, expiry)
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
    import pandas as pd

    if not 1 <= hours <= MAX_HOURS:
        raise InvalidArgumentError(f"--hours must be between 1 and {MAX_HOURS} (got {hours})")
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
    import pandas as pd
    from rich.table import Table

    table = Table(title=f"provider health ({title})")
    for col in frame.columns:
        table.add_column(str(col))
    for row in frame.itertuples(index=False):
        table.add_row(
            *("-" if pd.isna(v) else f"{v:,.1f}" if isinstance(v, float) else str(v) for v in row)
        )
    console.print(table)
