"""Entry point of the ``optionsintel`` command."""

from __future__ import annotations

import typer

# Sub-command modules import only typer/rich at module level: the store, SQLAlchemy,
# pandas, numba and the providers load inside the command that uses them, so `--help`
# and light commands start fast (tests/test_cli_imports.py, benchmarks/bench_cli.py).
from optionsintel.cli import admin, alerts, dashboards, db, exchange, market, settings_cli, up
from optionsintel.cli import api as api_cli
from optionsintel.cli import backtest as backtest_cli
from optionsintel.cli import scans as scans_cli

app = typer.Typer(
    name="optionsintel",
    help="Options-intelligence research platform for Indian derivatives (NSE F&O).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db.app, name="db")
app.add_typer(alerts.app, name="alerts")
app.add_typer(market.fetch_app, name="fetch")
app.add_typer(market.providers_app, name="providers")
app.command(name="up")(up.up)
app.command(name="dashboards")(dashboards.dashboards)
app.add_typer(admin.users_app, name="users")
app.add_typer(admin.keys_app, name="keys")
app.command(name="api")(api_cli.api)
app.command(name="export")(exchange.export)
app.command(name="import")(exchange.import_)
app.add_typer(backtest_cli.app, name="backtest")
app.add_typer(scans_cli.scan_app, name="scan")
app.add_typer(scans_cli.bulk_app, name="bulk")
app.add_typer(scans_cli.watchlist_app, name="watchlist")
app.add_typer(settings_cli.app, name="settings")


@app.command()
def demo(
    synthetic_days: int = typer.Option(3, "--synthetic-days", min=0, help="Recent synthetic days."),
    replay: bool = typer.Option(True, "--replay/--no-replay", help="Include recorded real days."),
) -> None:
    """Load the demo history (what `up` materialises) and exit: `up --no-serve`."""
    up.up(
        no_serve=True, synthetic_days=synthetic_days, interval=up.DEMO_INTERVAL_SECONDS,
        replay=replay, host="127.0.0.1", port=3000, dashboards_port=8866, api_port=8000,
    )  # fmt: skip


@app.command()
def version() -> None:
    """Print the optionsintel version."""
    from optionsintel import __version__

    typer.echo(f"optionsintel {__version__}")


if __name__ == "__main__":  # pragma: no cover
    app()
