"""Helper shared by the Dagster tests: a DAGSTER_HOME whose storage is a fresh schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa


@contextmanager
def dagster_home_on_schema(database_url: str, folder: Path, prefix: str) -> Iterator[Path]:
    """``folder`` made a DAGSTER_HOME whose runs and event logs live in a new schema.

    The schema (``<prefix>_<random>``) is dropped afterwards. ``update_query_dict`` keeps
    the embedded server's ``?host=<socket dir>`` beside the ``search_path`` option.
    """
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    plain = sa.make_url(database_url).set(drivername="postgresql+psycopg2")
    url = plain.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )
    (folder / "dagster.yaml").write_text(
        f'storage:\n  postgres:\n    postgres_url: "{url}"\ntelemetry:\n  enabled: false\n'
    )
    try:
        yield folder
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()
