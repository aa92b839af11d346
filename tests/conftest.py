"""Shared fixtures: a real PostgreSQL for the whole session.

By default the suite starts its own embedded server (``pgserver``) in a temporary
directory. With ``DATABASE_URL`` set (e.g. ``postgresql://postgres@127.0.0.1:5432/test``)
it creates a fresh database on that server for the session and drops it afterwards.
Either way the schema is created by the real Alembic migrations.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql

from optionsintel.store import Store, migrate
from optionsintel.store.embedded import embedded_url, stop_embedded
from optionsintel.store.engine import dispose_engines, get_engine, normalise_url

TESTS_DIR = Path(__file__).parent
DATA_DIR = TESTS_DIR / "data"


def _server_database(base_url: str) -> Iterator[str]:
    """Create a throw-away database on the server of ``base_url``; yield its URL."""
    url = sa.make_url(normalise_url(base_url))
    name = f"oi_test_{uuid.uuid4().hex[:10]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_engines()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


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
    gen = _server_database(base) if base else _embedded_database()
    url = next(gen)
    migrate.upgrade(get_engine(url))
    try:
        yield url
    finally:
        gen.close()


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
