"""Shared fixtures: a real PostgreSQL for the whole session.

By default the suite starts its own embedded server (``pgserver``) in a temporary
directory. With ``DATABASE_URL`` set (e.g. ``postgresql://postgres@127.0.0.1:5432/test``)
it creates a fresh database on that server for the session and drops it afterwards.
Either way the schema is created by the real Alembic migrations.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from chain_builders import load_nse
from optionsintel.store import Store, migrate
from optionsintel.store.admin import scratch_database
from optionsintel.store.embedded import embedded_url, stop_embedded
from optionsintel.store.engine import dispose_engines, get_engine

TESTS_DIR = Path(__file__).parent
DATA_DIR = TESTS_DIR / "data"


@contextmanager
def _embedded_database() -> Iterator[str]:
    root = Path(tempfile.mkdtemp(prefix="oi_pg_"))
    try:
        yield embedded_url(root / "pgdata", database="optionsintel_test")
    finally:
        dispose_engines()
        stop_embedded(root / "pgdata")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """URL of a migrated, empty test database (embedded or on ``DATABASE_URL``'s server)."""
    base = os.environ.get("DATABASE_URL")
    gen = scratch_database(base, "oi_test") if base else _embedded_database()
    with gen as url:
        migrate.upgrade(get_engine(url))
        yield url


@pytest.fixture(scope="session")
def store(database_url: str) -> Store:
    """A store on the session's test database (tables shared across tests)."""
    return Store(get_engine(database_url))


#: Bumped whenever a test empties the tables, so seeded fixtures know to seed again.
_generation = {"emptied": 0, "demo_seeded": -1}


@pytest.fixture
def clean_store(store: Store) -> Store:
    """The session store with every table emptied first."""
    _generation["emptied"] += 1
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


@pytest.fixture
def demo_store(store: Store) -> Store:
    """The session store holding the demo days: one synthetic NIFTY day (2025-07-15) and the
    two recorded real NIFTY days (2025-07-16/17), with everything the pipeline derives.

    Seeded once, and again after any test emptied the tables (``clean_store``); seeding is
    an idempotent upsert, so data other tests added alongside does no harm.
    """
    from optionsintel.pipeline.seed import REPLAY_DAYS, seed_demo_store

    if _generation["demo_seeded"] != _generation["emptied"]:
        seed_demo_store(store, synthetic_days=[dt.date(2025, 7, 15)], replay_days=REPLAY_DAYS)
        _generation["demo_seeded"] = _generation["emptied"]
    return store
