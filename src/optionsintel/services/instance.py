"""Where the orchestrator keeps its own state: a ``dagster`` schema in the platform database.

Dagster's run, event-log and schedule storages live on the same PostgreSQL as the
data (embedded server or ``DATABASE_URL``), in their own schema so that Dagster's
Alembic history never meets the platform's. This module only builds the URL; the
storage classes that use it are in ``dagster_project/instance.py``.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from optionsintel.settings import Settings, get_settings
from optionsintel.store import get_store, resolve_database_url

DAGSTER_SCHEMA = "dagster"


def dagster_storage_url(settings: Settings | None = None, schema: str = DAGSTER_SCHEMA) -> str:
    """A ``postgresql+psycopg2`` URL of the platform database with search path ``schema``.

    The schema is created when missing (the embedded server is started if needed).

    Raises
    ------
    ValueError
        If ``schema`` is not a plain lower-case identifier.
    """
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
        raise ValueError(f"schema must be a lower-case identifier, got {schema!r}")
    settings = settings or get_settings()
    url = resolve_database_url(settings)
    store = get_store(settings, check_schema=False)
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    # dagster-postgres speaks psycopg2; SQLAlchemy 2.1 would pick psycopg 3 for "postgresql://".
    plain = url.replace("postgresql+psycopg://", "postgresql+psycopg2://", 1)
    sep = "&" if "?" in plain else "?"
    return f"{plain}{sep}options={quote(f'-csearch_path={schema}', safe='')}"
