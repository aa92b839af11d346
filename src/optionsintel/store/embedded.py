"""The embedded PostgreSQL server (``pgserver``), used when ``DATABASE_URL`` is unset.

One server per data directory is shared by every process of the platform (CLI, Dagster
webserver/daemon/run workers, notebooks, Voila kernels): ``pgserver`` serialises start-up
with an inter-process lock and re-uses a running postmaster found in the data directory.
We start it with ``cleanup_mode=None`` so it outlives the process that started it and
survives restarts of the others; ``optionsintel db stop`` stops it explicitly.

Faults handled here
-------------------
* A ``postmaster.pid`` naming a live process that is not this directory's postmaster
  (PID reuse after a crash) is removed before starting, and never signalled by
  ``db stop``: a process is ours only if it is a ``postgres`` whose working directory is
  the data directory (the postmaster changes into it).
* A server killed under a long-lived process (Dagster, Voila) is started again on that
  process's next connection (:func:`restart` via the engine's connect hook).
* A start that fails reports the server log's last FATAL line, not the whole log.

Server settings
---------------
:data:`EMBEDDED_SETTINGS` are applied with ``ALTER SYSTEM`` and one restart, the first
time a data directory is started by this code.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from pathlib import Path
from typing import Any, Final

from optionsintel.errors import EmbeddedDatabaseError

DATABASE_NAME = "optionsintel"

EMBEDDED_SETTINGS: Final[dict[str, str]] = {"max_locks_per_transaction": "256"}
"""Settings of the embedded server, and why.

``max_locks_per_transaction = 256`` (PostgreSQL's default is 64): the shared lock table
holds ``max_locks_per_transaction * max_connections`` slots, and each daily partition
costs about three (table, primary key, BRIN index). The store's own maintenance never
holds more than a bounded batch (``partitions.PARTITION_BATCH``), but an ad-hoc query or
``pg_dump`` over the unpruned parents of several years of the four intraday tables
(~4 x 365 x 3 x years slots) needs the room: 256 x 100 = 25,600 slots cost ~7 MB of
shared memory.
"""

_DATA_DIRS: dict[str, Path] = {}
logging.getLogger("pgserver").addHandler(logging.NullHandler())  # no 60-line log dumps


def embedded_url(pgdata: Path, database: str = DATABASE_NAME) -> str:
    """Start (or attach to) the embedded server in ``pgdata``; return a SQLAlchemy URL.

    Parameters
    ----------
    pgdata
        The data directory; created and initialised on first use.
    database
        Database to connect to; created when missing.

    Returns
    -------
    str
        A ``postgresql+psycopg://`` URL over the server's Unix socket.

    Raises
    ------
    EmbeddedDatabaseError
        When the server cannot be started (locked, damaged or unwritable data directory);
        the message gives the cause in one line, the server log and a way out.
    """
    pgdata = Path(pgdata)
    server = _start(pgdata)
    info = server.get_postmaster_info()
    _ensure_database(info, database)
    url = f"postgresql+psycopg://postgres@/{database}?host={info.socket_dir}&port={info.port}"
    _DATA_DIRS[url] = pgdata
    return url


def is_embedded_url(url: str) -> bool:
    """Whether ``url`` was returned by :func:`embedded_url` in this process."""
    return url in _DATA_DIRS


def restart(url: str) -> None:
    """Start the embedded server behind ``url`` again if it stopped (killed, OOM, reboot)."""
    pgdata = _DATA_DIRS.get(url)
    if pgdata is not None:
        _start(pgdata)


def _start(pgdata: Path):  # type: ignore[no-untyped-def]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
            import pgserver

            pgdata.mkdir(parents=True, exist_ok=True)
            with pgserver.PostgresServer._lock:
                _clear_stale_pid(pgdata)
            server = pgserver.get_server(pgdata, cleanup_mode=None)
            with pgserver.PostgresServer._lock:
                # a cached handle: the directory may have been deleted, the server killed
                server.ensure_pgdata_inited()
                server.ensure_postgres_running()
                _tune(server, pgdata)
            return server
    except Exception as exc:  # pgserver raises bare subprocess/assertion errors
        raise EmbeddedDatabaseError(_start_failure(pgdata, exc)) from exc


def _start_failure(pgdata: Path, exc: Exception) -> str:
    cause = _log_cause(pgdata) or (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return (
        f"could not start the embedded PostgreSQL in {pgdata}: {cause[:300]}. Server log: "
        f"{pgdata / 'log'}. To start afresh, move the directory away (mv {pgdata} "
        f"{pgdata}.broken) or delete it with `optionsintel db destroy --yes` (this deletes "
        "the stored data), or set DATABASE_URL to use another server."
    )


def _log_cause(pgdata: Path) -> str | None:
    """The last FATAL/PANIC line of the server log, else its last line (why a start failed)."""
    try:
        lines = (pgdata / "log").read_text(errors="replace").splitlines()[-200:]
    except OSError:
        return None
    fatal = [ln for ln in lines if "FATAL:" in ln or "PANIC:" in ln]
    if fatal:
        return fatal[-1].strip()
    said = [ln.strip() for ln in lines if ln.strip()]
    return said[-1] if said else None  # e.g. "postgres: could not access ... postgresql.conf"


def _pid_in(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def _is_our_postmaster(pid: int, pgdata: Path) -> bool:
    """Whether ``pid`` is a ``postgres`` process serving ``pgdata``."""
    import psutil

    try:
        proc = psutil.Process(pid)
        if not proc.name().startswith("postgres"):
            return False
        try:
            return Path(proc.cwd()).resolve() == pgdata.resolve()
        except psutil.AccessDenied:
            return str(pgdata.resolve()) in " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return False


def _clear_stale_pid(pgdata: Path) -> None:
    """Remove a ``postmaster.pid`` that names a dead or foreign process.

    PostgreSQL refuses to start while the file names any live process, and ``pg_ctl
    stop`` would signal that process; after a crash the PID may belong to anything.
    """
    pidfile = pgdata / "postmaster.pid"
    pid = _pid_in(pidfile)
    if pidfile.exists() and (pid is None or not _is_our_postmaster(pid, pgdata)):
        pidfile.unlink(missing_ok=True)


def _connect(info: Any, dbname: str = "postgres"):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(
        host=str(info.socket_dir), port=info.port, user="postgres", dbname=dbname,
        autocommit=True,
    )  # fmt: skip


def _tune(server: Any, pgdata: Path) -> None:
    """Apply :data:`EMBEDDED_SETTINGS` (``ALTER SYSTEM`` + one restart) where they differ."""
    from psycopg import sql

    with _connect(server.get_postmaster_info()) as conn:
        wrong = {
            name: value
            for name, value in EMBEDDED_SETTINGS.items()
            if conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone() != (value,)
        }
        for name, value in wrong.items():
            conn.execute(
                sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
            )
    if wrong:
        _pg_ctl(pgdata, ["-w", "stop", "-m", "fast"])
        server.ensure_postgres_running()


def _ensure_database(info: Any, database: str) -> None:
    import psycopg
    from psycopg import sql

    with _connect(info) as conn:
        # two first starts race on CREATE DATABASE (UniqueViolation, not DuplicateDatabase):
        # a session advisory lock serialises them; it ends with the connection
        conn.execute("SELECT pg_advisory_lock(hashtext('optionsintel:create-database'))")
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def _pg_ctl(pgdata: Path, args: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(args, pgdata=Path(pgdata), user="pgserver" if _running_as_root() else None)


def stop_embedded(pgdata: Path) -> bool:
    """Stop the embedded server of ``pgdata`` if it runs; return whether it was running.

    Only a process verified to be this directory's postmaster is signalled; a stale
    ``postmaster.pid`` naming anything else is removed instead.
    """
    pgdata = Path(pgdata)
    pid = _pid_in(pgdata / "postmaster.pid")
    if pid is None:
        return False
    if not _is_our_postmaster(pid, pgdata):
        _clear_stale_pid(pgdata)
        return False
    try:
        # the shutdown checkpoint of years of partitions can outlast pg_ctl's 60 s default
        _pg_ctl(pgdata, ["-w", "-t", "300", "stop", "-m", "fast"])
    except Exception as exc:  # pg_ctl fails as a bare CalledProcessError
        if _is_our_postmaster(pid, pgdata):
            raise EmbeddedDatabaseError(
                f"could not stop the embedded PostgreSQL in {pgdata}: "
                f"{_log_cause(pgdata) or exc}. Server log: {pgdata / 'log'}"
            ) from exc
    return True


def _running_as_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0
