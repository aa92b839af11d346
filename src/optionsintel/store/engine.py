"""Resolve the database URL and build SQLAlchemy engines with actionable errors."""

from __future__ import annotations

import select
import threading
import time
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
_SERVING = "serving:"  # key prefix of the engines get_serving_engine builds


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


def get_engine(url: str, *, application_name: str | None = None) -> Engine:
    """Return a process-wide engine for ``url`` after checking the server answers.

    ``application_name`` names the engine's sessions in ``pg_stat_activity`` (one engine
    per name; the process environment is left alone, so nothing else takes the name).

    Raises
    ------
    DatabaseUnreachableError
        When no connection can be made; the message names host, port and database and
        says how to fix it.
    """
    key = url if application_name is None else f"{url}#application_name={application_name}"
    named = {} if application_name is None else {"application_name": application_name}
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = sa.create_engine(
                url, pool_pre_ping=False, pool_size=5, max_overflow=5, connect_args=named
            )
            _ping_when_in_doubt(engine)
            if embedded.is_embedded_url(url):
                _restart_when_refused(engine, url)
            _check_reachable(engine, url)
            _engines[key] = engine
        return engine


def get_serving_engine(url: str) -> Engine:
    """A process-wide engine for a request-serving process (the API) on ``url``.

    Unlike :func:`get_engine` it does not ping a connection on every checkout (one round
    trip per query under load): a connection found dead fails that one statement, the
    pool is invalidated and the next checkout reconnects. The pool holds as many
    connections as the server's worker threads may use at once (40), so connections are
    reused instead of opened and closed per request under load.
    """
    with _lock:
        engine = _engines.get(_SERVING + url)
        if engine is None:
            engine = sa.create_engine(url, pool_pre_ping=False, pool_size=20, max_overflow=20)
            if embedded.is_embedded_url(url):
                _restart_when_refused(engine, url)
            _check_reachable(engine, url)
            _engines[_SERVING + url] = engine
        return engine


#: A pooled connection idle for longer than this is pinged before it is handed out.
PING_IDLE_SECONDS = 5.0


def _ping_when_in_doubt(engine: Engine) -> None:
    """Check a pooled connection before use, with a round trip only when in doubt.

    SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` on every checkout: one more round
    trip per transaction, paid by every small write (an outbox append made of four).
    Here a connection checked in less than :data:`PING_IDLE_SECONDS` ago whose socket
    has nothing to read is handed out as it is: a server that closed it (restart, kill,
    ``pg_terminate_backend``) leaves the socket readable (EOF or a FATAL message). Any
    other connection is pinged, and a failed ping makes the pool replace it (the pool
    retries a checkout that raises :class:`~sqlalchemy.exc.DisconnectionError`).
    """

    @sa.event.listens_for(engine, "checkin")
    def _checkin(dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["optionsintel_checked_in"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("optionsintel_checked_in")
        if since is None:  # a connection just opened
            record.info["optionsintel_checked_in"] = time.monotonic()
            return
        if time.monotonic() - since < PING_IDLE_SECONDS and _quiet(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except psycopg.Error as exc:
            raise sa.exc.DisconnectionError(f"a pooled connection failed its ping: {exc}") from exc


def _quiet(dbapi_connection: Any) -> bool:
    """Whether an idle psycopg connection looks alive without a round trip."""
    raw = getattr(dbapi_connection, "driver_connection", dbapi_connection)
    if not isinstance(raw, psycopg.Connection) or raw.closed or raw.broken:
        return False
    pg = raw.pgconn
    if pg.status != psycopg.pq.ConnStatus.OK:
        return False
    if pg.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return False
    try:
        readable, _, _ = select.select([pg.socket], [], [], 0)
    except (OSError, ValueError, psycopg.OperationalError):
        return False
    return not readable


def _restart_when_refused(engine: Engine, url: str) -> None:
    """Let a long-lived process survive a killed embedded server: start it and reconnect.

    The checkout check (:func:`_ping_when_in_doubt`) finds the dead connections; the new
    connection is then refused, and this hook starts the server again (once per attempt)
    before trying once more.
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
        keys = [k for k in _engines if k in (url, _SERVING + url)
                or k.startswith(f"{url}#application_name=")]  # fmt: skip
        engines = [_engines.pop(k, None) for k in keys]
    for engine in engines:
        if engine is not None:
            engine.dispose()


def release_engine(engine: Engine) -> None:
    """Dispose ``engine`` and drop it from the cache (its pooled sessions close now)."""
    with _lock:
        for key in [k for k, e in _engines.items() if e is engine]:
            del _engines[key]
    engine.dispose()


def dispose_engines() -> None:
    """Dispose every cached engine (tests and forked workers call this)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
