"""Server-level helpers: throw-away databases for tests, benchmarks and migration checks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import sqlalchemy as sa
from psycopg import sql

from optionsintel.store.engine import dispose_engine, normalise_url


@contextmanager
def scratch_database(server_url: str, prefix: str = "oi_scratch") -> Iterator[str]:
    """Create an empty database on the server of ``server_url``; drop it on exit.

    Parameters
    ----------
    server_url
        Any URL on the server (its database part is ignored); the role needs CREATEDB.
    prefix
        Name prefix; a random suffix keeps concurrent runs apart.

    Yields
    ------
    str
        A ``postgresql+psycopg://`` URL of the new database.
    """
    url = sa.make_url(normalise_url(server_url))
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    scratch = url.set(database=name).render_as_string(hide_password=False)
    try:
        yield scratch
    finally:
        dispose_engine(scratch)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
