"""Shared fixtures: a real PostgreSQL for the whole session.

By default the suite starts its own embedded server (``pgserver``) in a temporary
directory. With ``DATABASE_URL`` set (e.g. ``postgresql://postgres@127.0.0.1:5432/test``)
it creates fresh databases on that server for the session and drops them afterwards.
Either way the schema is created by the real Alembic migrations.

Two databases: the scratch one every store test writes to (``store``, ``clean_store``),
and the demo one (``demo_store``), filled once per session through the real Dagster asset
graph exactly as ``optionsintel demo`` fills it, and only read afterwards. Apps, notebooks
and tests that write to demo data (a saved pattern, a scan run, a settings row) use a copy
of it, ``demo_scratch_url`` / ``demo_scratch_store``, so the demo database stays read-only
for every test. Filling it takes 10-30 s, so every test that needs it is marked ``slow``
(out of the fast lane, ``pytest -m "not e2e and not slow"``; the full run keeps them).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from chain_builders import load_nse
from optionsintel.store import Store, migrate
from optionsintel.store.admin import scratch_database
from optionsintel.store.embedded import embedded_url, stop_embedded
from optionsintel.store.engine import dispose_engine, dispose_engines, get_engine

TESTS_DIR = Path(__file__).parent
DATA_DIR = TESTS_DIR / "data"


@contextmanager
def _embedded_server() -> Iterator[Callable[[str], str]]:
    root = Path(tempfile.mkdtemp(prefix="oi_pg_"))
    try:
        yield lambda name: embedded_url(root / "pgdata", database=name)
    finally:
        dispose_engines()
        stop_embedded(root / "pgdata")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def _new_database() -> Iterator[Callable[[str], str]]:
    """Make a migrated, empty database (embedded or on ``DATABASE_URL``'s server) by name."""
    base = os.environ.get("DATABASE_URL")
    with ExitStack() as stack:
        if base:

            def make(name: str) -> str:
                return stack.enter_context(scratch_database(base, f"oi_{name}"))
        else:
            server = stack.enter_context(_embedded_server())

            def make(name: str) -> str:
                return server(f"optionsintel_{name}")

        def migrated(name: str) -> str:
            url = make(name)
            migrate.upgrade(get_engine(url))
            return url

        yield migrated


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that needs the demo database (materialised on first use)."""
    for item in items:
        if "demo_database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def database_url(_new_database) -> str:
    """URL of the migrated, empty test database the store tests share."""
    return _new_database("test")


@pytest.fixture(scope="session")
def store(database_url: str) -> Store:
    """A store on the session's test database (tables shared across tests)."""
    return Store(get_engine(database_url))


@pytest.fixture
def clean_store(store: Store) -> Store:
    """The session store with every table emptied first."""
    from optionsintel.store.schema import metadata

    names = ", ".join(f'"{t}"' for t in metadata.tables)
    with store.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} CASCADE"))
    return store


@pytest.fixture(scope="session")
def nifty_0716():
    return load_nse("NIFTY_2025-07-16_ethanelliott50")


@pytest.fixture(scope="session")
def nifty_0717():
    return load_nse("NIFTY_2025-07-17_ethanelliott50")


#: The demo days: one synthetic NIFTY day and the two recorded real NIFTY days after it.
DEMO_SYNTHETIC_DAY = dt.date(2025, 7, 15)


@pytest.fixture(scope="session")
def demo_database_url(_new_database) -> str:
    """URL of the demo database: seeded once through the asset graph, then only read.

    What ``optionsintel demo`` does, at test size: reference data, a year of daily history
    (real replay index bars, synthetic index bars, ten synthetic equities), then
    ``market_data_job`` for one synthetic NIFTY day (2025-07-15, 5-minute snapshots) and
    the two recorded real NIFTY days (2025-07-16/17): every asset and asset check,
    including the ML cluster labels.
    """
    from dagster_project.materialise import materialise_plan
    from dagster_project.resources import StoreResource

    from optionsintel.reference import load_reference_data
    from optionsintel.services.demo import REPLAY_PAIR_DAYS, DemoPlan, load_daily_history

    url = _new_database("demo")
    store = Store(get_engine(url))
    load_reference_data(store)
    load_daily_history(store, DEMO_SYNTHETIC_DAY, years=1, equities=10)
    plan = DemoPlan({"synthetic": [DEMO_SYNTHETIC_DAY], "replay": list(REPLAY_PAIR_DAYS)},
                    interval_seconds=300, underlyings=("NIFTY",))  # fmt: skip
    runs = materialise_plan(plan, store=StoreResource(database_url=url))
    failed = [(r.source, r.day, r.failed_steps) for r in runs if not r.success]
    assert not failed, f"demo partitions failed: {failed}"
    return url


@pytest.fixture(scope="session")
def demo_store(demo_database_url: str) -> Store:
    """The demo store (see :func:`demo_database_url`); tests only read it."""
    return Store(get_engine(demo_database_url))


def _copy_database(url: str, suffix: str) -> str:
    """Copy the database of ``url`` (``CREATE DATABASE … TEMPLATE``); return the copy's URL.

    A template must have no connection: ours are disposed and any left (a Voila kernel
    still exiting) are ended first.
    """
    source = sa.make_url(url)
    name = f"{source.database}_{suffix}"[:63]
    dispose_engine(url)
    admin = sa.create_engine(
        source.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
    )
    try:
        with admin.connect() as conn:
            conn.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :db AND pid <> pg_backend_pid()"),
                {"db": source.database},
            )  # fmt: skip
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"'))
    finally:
        admin.dispose()
    return source.set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    dispose_engine(url)
    target = sa.make_url(url)
    admin = sa.create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
    )
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def demo_scratch_url(demo_database_url: str) -> Iterator[str]:
    """URL of a writable copy of the demo database, made once per session on first use.

    For the apps, notebooks and tests that write (the scanner's pattern and scan run, the
    notebooks' saves, a viewer's settings row): the demo database itself stays read-only.
    """
    url = _copy_database(demo_database_url, "scratch")
    yield url
    _drop_database(url)


@pytest.fixture(scope="session")
def demo_scratch_store(demo_scratch_url: str) -> Store:
    """A store on :func:`demo_scratch_url` (demo data; tests may write)."""
    return Store(get_engine(demo_scratch_url))
