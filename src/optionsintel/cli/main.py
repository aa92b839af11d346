"""Entry point of the ``optionsintel`` command."""

from __future__ import annotations

import typer

from optionsintel import __version__
from optionsintel.cli import db

app = typer.Typer(
    name="optionsintel",
    help="Options-intelligence research platform for Indian derivatives (NSE F&O).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db.app, name="db")


@app.command()
def version() -> None:
    """Print the optionsintel version."""
    typer.echo(f"optionsintel {__version__}")


if __name__ == "__main__":  # pragma: no cover
    app()
