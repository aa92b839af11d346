"""Server supervision: stopping ``up``/``dashboards`` leaves no orphan holding a port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

# A "server" that spawns a grandchild, like `dagster dev` spawning its webserver and daemon.
SERVER = (
    "import subprocess, sys, time; "
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
    "time.sleep(120)"
)
SUPERVISOR = (
    "import sys; from optionsintel.cli._servers import run_servers; "
    f"sys.exit(run_servers([[sys.executable, '-c', {SERVER!r}]] * 2))"
)


def _descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_stopping_the_supervisor_stops_every_server(sig, tmp_path: Path) -> None:
    sup = subprocess.Popen([sys.executable, "-c", SUPERVISOR])
    deadline = time.monotonic() + 30
    while len(_descendants(sup.pid)) < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    spawned = _descendants(sup.pid)
    assert len(spawned) >= 4, "two servers and their two grandchildren should be running"
    os.kill(sup.pid, sig)
    assert sup.wait(timeout=60) == 0
    _, alive = psutil.wait_procs(spawned, timeout=10)
    assert alive == [], f"orphans left running: {[p.pid for p in alive]}"


@pytest.mark.slow
def test_a_second_signal_during_the_shutdown_leaves_no_orphan() -> None:
    # a server that ignores SIGINT (started in the background of a script) takes the
    # whole SIGINT grace period; a second SIGTERM then used to end the supervisor mid-way
    deaf = "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(120)"
    sup = subprocess.Popen([sys.executable, "-c",
        "import sys; from optionsintel.cli._servers import run_servers; "
        f"sys.exit(run_servers([[sys.executable, '-c', {deaf!r}]]))"])  # fmt: skip
    deadline = time.monotonic() + 30
    while not _descendants(sup.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    spawned = _descendants(sup.pid)
    assert spawned, "the server should be running"
    time.sleep(1.0)  # the server has set its SIGINT handler
    os.kill(sup.pid, signal.SIGTERM)
    time.sleep(2.0)
    os.kill(sup.pid, signal.SIGTERM)
    assert sup.wait(timeout=60) == 0
    _, alive = psutil.wait_procs(spawned, timeout=10)
    assert alive == [], f"orphans left running: {[p.pid for p in alive]}"


def test_a_server_that_dies_stops_the_others() -> None:
    quick = [sys.executable, "-c", "import sys; sys.exit(3)"]
    slow = [sys.executable, "-c", "import time; time.sleep(120)"]
    code = subprocess.run(
        [sys.executable, "-c",
         "import sys; from optionsintel.cli._servers import run_servers; "
         f"sys.exit(run_servers([{quick!r}, {slow!r}]))"],
        timeout=60,
    ).returncode  # fmt: skip
    assert code == 3
