"""Alembic migrations driven from code (no ``alembic.ini`` to find on disk).

``upgrade``/``downgrade``/``current_revision``/``head_revision`` are what the CLI's
``db`` commands and the store's schema check call.
"""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

_LOCK = text("SELECT pg_advisory_lock(hashtext('optionsintel:migrate'))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtext('optionsintel:migrate'))")


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(files("optionsintel.store") / "migrations"))
    return cfg


def head_revision() -> str:
    """The newest migration the code knows."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations must have a single head, found {heads}")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (each in its own transaction)."""
    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Revert migrations down to ``revision`` (``"base"`` removes everything)."""
    _run(engine, command.downgrade, revision)


def _run(engine: Engine, fn, revision: str) -> None:  # type: ignore[no-untyped-def]
    """Run an Alembic command under a session advisory lock.

    Why: two processes started together on a fresh database (``up`` and a Dagster
    worker, two CLI commands) otherwise both create the schema and one dies on a
    ``UniqueViolation`` (``alembic_version``, a table). The second waits, then finds the
    schema at the requested revision and does nothing.
    """
    cfg = alembic_config()
    with engine.connect() as conn:
        conn.execute(_LOCK)
        conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                fn(cfg, revision)
        finally:
            conn.execute(_UNLOCK)
            conn.commit()
