"""Supervise long-running server processes (Dagster, Voila) for ``up`` and ``dashboards``."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_servers(commands: Sequence[Sequence[str]], cwd: Path | None = None) -> int:
    """Run ``commands`` until one exits or we are told to stop; then stop them all.

    Each server gets its own process group, so stopping it also stops what it spawned
    (code servers, daemon, kernels). Ctrl-C, SIGTERM and SIGHUP all end in the same
    clean shutdown (SIGINT, then SIGTERM, then SIGKILL to each group): no orphans are
    left holding the ports.

    Returns
    -------
    int
        The highest exit code of the servers (0 when stopped on request).
    """
    previous = {s: signal.signal(s, _interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    procs: list[subprocess.Popen[bytes]] = []
    requested = False
    try:
        for cmd in commands:
            procs.append(
                subprocess.Popen(list(cmd), cwd=cwd, env=os.environ.copy(), start_new_session=True)
            )
        while all(p.poll() is None for p in procs):
            time.sleep(1.0)
    except KeyboardInterrupt:
        requested = True
    finally:
        # A second Ctrl-C or SIGTERM while the servers stop must not cut the shutdown
        # short: the supervisor would exit and leave the servers running, orphaned.
        previous[signal.SIGINT] = signal.getsignal(signal.SIGINT)
        for s in previous:
            signal.signal(s, signal.SIG_IGN)
        try:
            stop_servers(procs)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    if requested:
        return 0
    return max((p.returncode or 0 for p in procs), default=0)


def stop_servers(procs: Sequence[subprocess.Popen[bytes]], grace: float = 15.0) -> None:
    """Stop each process group: SIGINT, then SIGTERM, then SIGKILL, ``grace`` s apart."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        alive = [p for p in procs if p.poll() is None]
        for p in alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, sig)
        deadline = time.monotonic() + grace
        while any(p.poll() is None for p in alive) and time.monotonic() < deadline:
            time.sleep(0.5)
