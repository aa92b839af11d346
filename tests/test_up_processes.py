"""The processes `optionsintel up` supervises besides Dagster and Voila: API, dispatcher, worker.

Each command of :func:`optionsintel.cli.up.platform_commands` is started for real against
the test database; the API answers on loopback and refuses a call without a key, the
dispatcher starts (the admin dashboard sees its database sessions), finds nothing due and
stops cleanly on SIGTERM; the backtest worker
warms up, listens on its socket in the data home and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import httpx
import pytest

from optionsintel.cli.up import platform_commands

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _commands(api_port: int) -> dict[str, list[str]]:
    cmds = platform_commands("127.0.0.1", 3000, 8866, api_port)
    assert cmds[0][2:4] == ["dagster", "dev"] and any("voila" in " ".join(c) for c in cmds)
    return {"worker": cmds[-3], "api": cmds[-2], "dispatcher": cmds[-1]}


def test_up_serves_the_api_on_loopback(database_url: str) -> None:
    port = _free_port()
    cmd = _commands(port)["api"]
    assert cmd[-4:] == ["--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "DATABASE_URL": database_url}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, answer = time.monotonic() + 120, None
        while time.monotonic() < deadline and answer is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/v2/health", timeout=5)
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                time.sleep(0.5)
        assert answer is not None, "the API did not answer within 120 s"
        assert answer.status_code == 401  # a key is always required, also locally
        assert answer.json()["code"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def test_up_runs_the_alert_dispatcher(database_url: str, store) -> None:
    cmd = _commands(_free_port())["dispatcher"]
    assert cmd[-2:] == ["alerts", "dispatch"]
    env = {**os.environ, "DATABASE_URL": database_url}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out = b""
        deadline = time.monotonic() + 120
        while b"dispatcher" not in out and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            out += proc.stdout.read1(4096) if proc.stdout else b""
        assert b"dispatcher" in out
        # the admin dashboard sees it up: it names its database sessions (it has no port)
        assert _dispatcher_up(store, want=True), "no optionsintel-dispatcher session"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    assert _dispatcher_up(store, want=False), "a dispatcher session outlived its process"


def _dispatcher_up(store, want: bool, seconds: float = 60.0) -> bool:
    from optionsintel.services.admin_health import dispatcher_process
    from optionsintel.services.identity import cli_identity

    deadline = time.monotonic() + seconds
    while dispatcher_process(store, cli_identity())["up"] != want:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def test_up_runs_the_backtest_worker(database_url: str) -> None:
    import shutil
    import tempfile
    from pathlib import Path

    from optionsintel.backtest._vbt import numba_cache_dir

    cmd = _commands(_free_port())["worker"]
    assert cmd[-2:] == ["backtest", "worker"]
    home = Path(tempfile.mkdtemp(prefix="oi-up-", dir="/tmp"))  # short: AF_UNIX path limit
    env = {**os.environ, "DATABASE_URL": database_url, "OPTIONSINTEL_HOME": str(home),
           "OPTIONSINTEL_NUMBA_CACHE_DIR": str(numba_cache_dir())}  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out = b""
        deadline = time.monotonic() + 600  # an empty numba cache compiles for minutes
        while b"ready on" not in out and time.monotonic() < deadline:
            assert proc.poll() is None, out.decode() + (
                proc.stdout.read().decode() if proc.stdout else ""
            )
            out += proc.stdout.readline() if proc.stdout else b""
        assert b"ready on" in out and (home / "backtest-worker.sock").is_socket()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    assert not (home / "backtest-worker.sock").exists()
    shutil.rmtree(home, ignore_errors=True)


def test_up_pre_heats_the_dashboards_unless_told_not_to() -> None:
    def voila(preheat: bool) -> list[str]:
        cmds = platform_commands("127.0.0.1", 3000, 8866, 8000, preheat=preheat)
        [cmd] = [c for c in cmds if "voila" in " ".join(c)]
        return cmd

    assert "--VoilaConfiguration.preheat_kernel=True" in voila(True)
    assert not [a for a in voila(False) if "preheat" in a]
