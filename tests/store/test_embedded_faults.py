"""Embedded server edges (issue 12 item 9): stale PID files, damaged directories, kills."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from optionsintel.errors import EmbeddedDatabaseError
from optionsintel.store.embedded import EMBEDDED_SETTINGS, embedded_url, stop_embedded
from optionsintel.store.engine import dispose_engine, get_engine

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pgdata(tmp_path_factory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("oi_embedded")
    yield root / "pgdata"
    stop_embedded(root / "pgdata")


def _postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().splitlines()[0])


def test_settings_are_applied(pgdata: Path) -> None:
    url = embedded_url(pgdata)
    with get_engine(url).connect() as conn:
        for name, value in EMBEDDED_SETTINGS.items():
            assert conn.execute(sa.text(f"SHOW {name}")).scalar_one() == value


def test_stale_pid_of_a_live_foreign_process_is_never_signalled(pgdata: Path) -> None:
    url = embedded_url(pgdata)
    dispose_engine(url)
    lines = (pgdata / "postmaster.pid").read_text().splitlines()
    assert stop_embedded(pgdata)
    bystander = subprocess.Popen(["sleep", "120"])
    try:
        (pgdata / "postmaster.pid").write_text("\n".join([str(bystander.pid), *lines[1:]]) + "\n")
        assert stop_embedded(pgdata) is False
        assert bystander.poll() is None  # still alive: not signalled
        url = embedded_url(pgdata)  # starts despite the stale file
        with get_engine(url).connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_a_killed_server_is_restarted_on_the_next_call(pgdata: Path) -> None:
    url = embedded_url(pgdata)
    engine = get_engine(url)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    pid = _postmaster_pid(pgdata)
    os.kill(pid, signal.SIGKILL)
    psutil.Process(pid).wait(10) if psutil.pid_exists(pid) else None
    time.sleep(1.0)  # backends notice their postmaster's death and exit
    with engine.connect() as conn:  # the same long-lived engine
        assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
    assert _postmaster_pid(pgdata) != pid


def test_damaged_directory_gives_cause_and_a_way_out_that_works(tmp_path, monkeypatch) -> None:
    from optionsintel.cli.main import app
    from optionsintel.settings import get_settings

    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("16\n")  # looks initialised but is not
    with pytest.raises(EmbeddedDatabaseError) as info:
        embedded_url(pgdata)
    msg = str(info.value)
    assert "\n" not in msg and len(msg) < 900
    assert "postgresql.conf" in msg  # the real cause, from the server log
    assert "optionsintel db destroy --yes" in msg

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("OPTIONSINTEL_HOME", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["db", "destroy", "--yes"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    url = embedded_url(pgdata)  # the way out worked: a fresh server starts
    try:
        with get_engine(url).connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
    finally:
        dispose_engine(url)
        stop_embedded(pgdata)
