"""Errors a user can act on."""

from __future__ import annotations

import socket

import pytest

from optionsintel.errors import DatabaseUnreachableError, EmbeddedDatabaseError
from optionsintel.store.embedded import embedded_url
from optionsintel.store.engine import get_engine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_database_names_host_and_fix() -> None:
    port = _free_port()
    url = f"postgresql+psycopg://someone:hunter2@127.0.0.1:{port}/nodb"
    with pytest.raises(DatabaseUnreachableError) as info:
        get_engine(url)
    msg = str(info.value)
    assert f"127.0.0.1:{port}/nodb" in msg
    assert "DATABASE_URL" in msg
    assert "hunter2" not in msg


def test_damaged_embedded_directory_says_where(tmp_path) -> None:
    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("16\n")  # looks initialised but is not
    with pytest.raises(EmbeddedDatabaseError) as info:
        embedded_url(pgdata)
    assert str(pgdata) in str(info.value)
    assert "log" in str(info.value)


def test_vacuum_refuses_non_platform_tables(store) -> None:
    from optionsintel.errors import StoreError

    with pytest.raises(StoreError, match="not platform tables"):
        store.vacuum_analyze(["pg_class; DROP TABLE signals"])
    assert store.vacuum_analyze(["signals"]) == ["signals"]
