"""Entry point of the ``optionsintel`` command."""

from __future__ import annotations

import typer

from optionsintel import __version__
from optionsintel.cli import db, market

app = typer.Typer(
    name="optionsintel",
    help="Options-intelligence research platform for Indian derivatives (NSE F&O).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db.app, name="db")
app.add_typer(market.fetch_app, name="fetch")
app.add_typer(market.providers_app, name="providers")


@app.command()
def version() -> None:
    """Print the optionsintel version."""
    typer.echo(f"optionsintel {__version__}")


from optionsintel.cli.up import up as _up  # noqa: E402

app.command(name="up")(_up)


if __name__ == "__main__":  # pragma: no cover
    app()

from optionsintel.cli import dashboards  # noqa: E402

app.command(name="dashboards")(dashboards.dashboards)
