"""Resolve the database URL and build SQLAlchemy engines with actionable errors."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from optionsintel.errors import DatabaseUnreachableError
from optionsintel.settings import Settings, get_settings
from optionsintel.store import embedded
from optionsintel.store.embedded import embedded_url

_lock = threading.Lock()
_engines: dict[str, Engine] = {}


def resolve_database_url(settings: Settings | None = None) -> str:
    """Return the SQLAlchemy URL of the platform database.

    ``DATABASE_URL`` wins when set (``postgresql://`` and ``postgres://`` are mapped to
    the psycopg 3 driver); otherwise the embedded server under the data home is started
    (or attached to) and its URL returned.
    """
    settings = settings or get_settings()
    if not settings.embedded:
        assert settings.database_url is not None
        return normalise_url(settings.database_url.get_secret_value())
    return embedded_url(settings.pgdata_dir)


def normalise_url(url: str) -> str:
    """Map ``postgres://`` / ``postgresql://`` URLs onto the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def describe_url(url: str) -> str:
    """A password-free description of where ``url`` points (for messages and logs)."""
    u = make_url(url)
    host = u.host or (u.query.get("host") if u.query else None) or "local socket"
    port = u.port or (u.query.get("port") if u.query else None) or 5432
    return f"{host}:{port}/{u.database}"


def raw_connection(conn: sa.Connection) -> psycopg.Connection[Any]:
    """The psycopg connection under a SQLAlchemy connection (for COPY and DDL)."""
    raw = conn.connection.driver_connection
    if not isinstance(raw, psycopg.Connection):
        raise TypeError("the store needs the psycopg 3 driver (postgresql+psycopg://)")
    return raw


def get_engine(url: str) -> Engine:
    """Return a process-wide engine for ``url`` after checking the server answers.

    Raises
    ------
    DatabaseUnreachableError
        When no connection can be made; the message names host, port and database and
        says how to fix it.
    """
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
            if embedded.is_embedded_url(url):
                _restart_when_refused(engine, url)
            _check_reachable(engine, url)
            _engines[url] = engine
        return engine


def _restart_when_refused(engine: Engine, url: str) -> None:
    """Let a long-lived process survive a killed embedded server: start it and reconnect.

    The pool's pre-ping finds the dead connections; the new connection is then refused,
    and this hook starts the server again (once per attempt) before trying once more.
    """

    @sa.event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, conn_rec: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except psycopg.OperationalError:
            embedded.restart(url)
            return dialect.connect(*cargs, **cparams)


def _check_reachable(engine: Engine, url: str) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        where = describe_url(url)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise DatabaseUnreachableError(
            f"cannot connect to PostgreSQL at {where}: {reason}. Check that the server runs "
            "and that DATABASE_URL is right, or unset DATABASE_URL to use the embedded database."
        ) from None


def dispose_engine(url: str) -> None:
    """Dispose and forget the cached engine of ``url``, if any."""
    with _lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def dispose_engines() -> None:
    """Dispose every cached engine (tests and forked workers call this)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
