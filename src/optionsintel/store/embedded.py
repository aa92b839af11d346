"""The embedded PostgreSQL server (``pgserver``), used when ``DATABASE_URL`` is unset.

One server per data directory is shared by every process of the platform (CLI, Dagster
webserver/daemon/run workers, notebooks, Voila kernels): ``pgserver`` serialises start-up
with an inter-process lock and re-uses a running postmaster found in the data directory.
We start it with ``cleanup_mode=None`` so it outlives the process that started it and
survives restarts of the others; ``optionsintel db stop`` stops it explicitly.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

from optionsintel.errors import EmbeddedDatabaseError

DATABASE_NAME = "optionsintel"


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
        the message names the directory and the server log.
    """
    server = _start(Path(pgdata))
    info = server.get_postmaster_info()
    _ensure_database(server, database)
    return f"postgresql+psycopg://postgres@/{database}?host={info.socket_dir}&port={info.port}"


def _start(pgdata: Path):  # type: ignore[no-untyped-def]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
            import pgserver

            pgdata.mkdir(parents=True, exist_ok=True)
            return pgserver.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:  # pgserver raises bare subprocess/assertion errors
        log = pgdata / "log"
        hint = ""
        if (pgdata / "postmaster.pid").exists():
            hint = " A stale postmaster.pid is present: another server may hold the directory."
        raise EmbeddedDatabaseError(
            f"could not start the embedded PostgreSQL in {pgdata} ({type(exc).__name__}: {exc})."
            f"{hint} See the server log at {log}. If the directory is damaged, move it away "
            "(or run `optionsintel db reset --yes`) and try again, or set DATABASE_URL to use "
            "another server."
        ) from exc


def _ensure_database(server, database: str) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    info = server.get_postmaster_info()
    with psycopg.connect(
        host=str(info.socket_dir),
        port=info.port,
        user="postgres",
        dbname="postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            from psycopg import sql

            # another process may create it between our check and our create
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def stop_embedded(pgdata: Path) -> bool:
    """Stop the embedded server of ``pgdata`` if it runs; return whether it was running."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]
        from pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(Path(pgdata))
        if info is None or not info.is_running():
            return False
        user = "pgserver" if _running_as_root() else None
        pg_ctl(["-w", "stop"], pgdata=Path(pgdata), user=user)
        return True


def _running_as_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0
