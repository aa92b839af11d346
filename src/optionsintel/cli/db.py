"""``optionsintel db``: create, inspect, reset and stop the database."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import typer

from optionsintel.cli._common import console, friendly_errors

if TYPE_CHECKING:
    from optionsintel.store import Store

app = typer.Typer(
    help="Manage the PostgreSQL database (embedded unless DATABASE_URL is set).",
    no_args_is_help=True,
)


@app.command()
@friendly_errors
def upgrade() -> None:
    """Create or migrate the schema to the newest version."""
    from optionsintel.store import get_store, migrate

    store = get_store(check_schema=False)
    before = migrate.current_revision(store.engine)
    store.upgrade()
    after = migrate.current_revision(store.engine)
    console.print(f"database {_where(store)}: {before or 'empty'} -> {after} (head)")


@app.command()
@friendly_errors
def status() -> None:
    """Show where the database is, its schema version and table sizes."""
    from optionsintel.cli._coverage import print_coverage
    from optionsintel.settings import get_settings
    from optionsintel.store import get_store, migrate

    settings = get_settings()
    store = get_store(check_schema=False)
    current, head = migrate.current_revision(store.engine), migrate.head_revision()
    kind = "embedded (pgserver)" if settings.embedded else "external (DATABASE_URL)"
    console.print(f"database : {_where(store)} [{kind}]")
    if settings.embedded:
        console.print(f"data dir : {settings.pgdata_dir}")
    state = "up to date" if current == head else "BEHIND: run `optionsintel db upgrade`"
    console.print(f"schema   : {current or 'none'} (code head {head}) - {state}")
    if current == head:
        for table, rows in store.table_counts().items():
            console.print(f"  {table:<28} {rows:>12,d} rows")
        print_coverage(store, console.real)


@app.command()
@friendly_errors
def reset(
    yes: bool = typer.Option(False, "--yes", help="Confirm: drop every table and data."),
) -> None:
    """Drop all optionsintel tables and data, then re-create the schema."""
    from optionsintel.store import get_store, migrate

    if not yes:
        console.print("refusing to reset without --yes (this deletes all stored data)")
        raise typer.Exit(code=2)
    store = get_store(check_schema=False)
    migrate.downgrade(store.engine, "base")
    store.upgrade()
    console.print(f"database {_where(store)} reset to an empty schema at {migrate.head_revision()}")


@app.command()
@friendly_errors
def stop() -> None:
    """Stop the embedded PostgreSQL server (it otherwise keeps running for other processes)."""
    from optionsintel.settings import get_settings
    from optionsintel.store.embedded import stop_embedded
    from optionsintel.store.engine import dispose_engines

    settings = get_settings()
    if not settings.embedded:
        console.print("DATABASE_URL is set: nothing embedded to stop")
        return
    dispose_engines()
    was = stop_embedded(settings.pgdata_dir)
    console.print("stopped" if was else "the embedded server was not running")


@app.command()
@friendly_errors
def destroy(
    yes: bool = typer.Option(False, "--yes", help="Confirm deletion of the data dir."),
) -> None:
    """Stop the embedded server and delete its data directory."""
    from optionsintel.settings import get_settings
    from optionsintel.store.embedded import stop_embedded
    from optionsintel.store.engine import dispose_engines

    settings = get_settings()
    if not yes or not settings.embedded:
        console.print("refusing: needs --yes and the embedded database")
        raise typer.Exit(code=2)
    dispose_engines()
    stop_embedded(settings.pgdata_dir)
    shutil.rmtree(settings.pgdata_dir, ignore_errors=True)
    console.print(f"deleted {settings.pgdata_dir}")


def _where(store: Store) -> str:
    from optionsintel.store.engine import describe_url

    return describe_url(store.engine.url.render_as_string(hide_password=True))
