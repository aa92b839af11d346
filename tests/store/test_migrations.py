"""Migrations: a single head, and upgrade -> downgrade -> upgrade on a scratch database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from optionsintel.errors import SchemaOutdatedError
from optionsintel.store import Store, migrate
from optionsintel.store.admin import scratch_database
from optionsintel.store.engine import get_engine
from optionsintel.store.schema import metadata


@pytest.fixture
def scratch_url(database_url: str):
    with scratch_database(database_url) as url:
        yield url


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_single_head() -> None:
    assert migrate.head_revision() == "0005"


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    engine = get_engine(scratch_url)
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert set(metadata.tables) <= _tables(engine)
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert not (set(metadata.tables) & _tables(engine))
    migrate.upgrade(engine)
    assert set(metadata.tables) <= _tables(engine)


def test_store_refuses_unmigrated_database(scratch_url: str) -> None:
    with pytest.raises(SchemaOutdatedError, match="optionsintel db upgrade"):
        Store(get_engine(scratch_url))


def test_schema_matches_models(store: Store) -> None:
    """The migrations create exactly what schema.py declares (no drift)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)

    # Partitions created on demand are not in the metadata; ignore them.
    def on_partition(d) -> bool:
        obj = d[1]
        table = obj if d[0] == "remove_table" else getattr(obj, "table", None)
        return table is not None and "_p2" in table.name

    diff = [d for d in diff if not on_partition(d)]
    assert diff == []
