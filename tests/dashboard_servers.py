"""Helper shared by the API and e2e tests: the dashboards' Voila server in exposed mode."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

from accounts_helpers import SECRET
from optionsintel.cli.dashboards import dashboard_server_commands


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_answers(url: str, timeout_s: float = 60.0) -> None:
    """Return once ``url`` answers HTTP at all; RuntimeError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered at {url} within {timeout_s:g} s")


@contextmanager
def exposed_server(
    database_url: str, folder: Path | None = None, log: IO[bytes] | None = None
) -> Iterator[str]:
    """Serve ``folder`` (default: the apps) as ``optionsintel dashboards --host`` does.

    The command line is the exposed one (identity provider, viewer header) with Voila
    bound to 127.0.0.1 instead of every interface, and the environment is what the CLI
    sets (``OPTIONSINTEL_EXPOSED``) plus the API's signing secret. Yields the base URL
    once ``/login`` answers.
    """
    port = free_port()
    [cmd] = dashboard_server_commands(port, "0.0.0.0", folder=folder)
    cmd = [c if not c.startswith("--Voila.ip=") else "--Voila.ip=127.0.0.1" for c in cmd]
    env = {**os.environ, "DATABASE_URL": database_url, "OPTIONSINTEL_API_SECRET": SECRET,
           "OPTIONSINTEL_EXPOSED": "1"}  # fmt: skip
    env.pop("OPTIONSINTEL_USER", None)  # exposed mode ignores it anyway
    out = log if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{base}/login")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
