"""Local Celery workers for ``scan_celery_job`` (tests, benchmarks, a one-machine trial).

In production the workers are long-lived services on other machines (``celery -A
dagster_celery.app worker -Q <queue>``, or the dagster-celery Helm chart); this module
starts a few on this machine as subprocesses, waits until each answers a ping, and
stops them all on exit, including on failure (each worker is its own process group, so
the pool children go too). The queue is deleted from the broker afterwards.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from celery import Celery

BROKER = "pyamqp://guest:guest@127.0.0.1:5672//"


@dataclass
class LocalWorkers:
    """Running workers: their queue, node names, processes and log files."""

    broker: str
    queue: str
    names: list[str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)


def unique_queue(prefix: str = "optionsintel") -> str:
    """A queue name no other run uses (workers of concurrent test runs never mix)."""
    return f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _worker_command(broker: str, queue: str, name: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "dagster_celery.app", "-b", broker, "worker",
            "-Q", queue, "-n", name, "--pool=solo", "--concurrency=1", "--prefetch-multiplier=1",
            "--without-gossip", "--without-mingle", "--loglevel=INFO"]  # fmt: skip


def _wait_ready(app: Celery, workers: LocalWorkers, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc, log in zip(workers.processes, workers.logs, strict=True):
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"celery worker exited with {proc.returncode}:\n{tail}")
        replies = app.control.ping(destination=workers.names, timeout=1.0) or []
        if {name for reply in replies for name in reply} >= set(workers.names):
            return
    raise TimeoutError(f"celery workers {workers.names} not ready after {timeout:.0f} s")


def _stop(workers: LocalWorkers, grace: float = 20.0) -> None:
    for proc in workers.processes:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)  # warm shutdown of the worker's group
    deadline = time.monotonic() + grace
    for proc in workers.processes:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _delete_queue(app: Celery, queue: str) -> None:
    with contextlib.suppress(Exception), app.connection_for_write() as conn:
        conn.default_channel.queue_delete(queue)


@contextlib.contextmanager
def local_celery_workers(
    count: int = 2,
    *,
    broker: str = BROKER,
    queue: str | None = None,
    env: Mapping[str, str] | None = None,
    log_dir: Path,
    ready_timeout: float = 90.0,
) -> Iterator[LocalWorkers]:
    """Start ``count`` workers on ``queue`` (a unique one by default); stop them on exit.

    ``env`` is the workers' environment (``PYTHONPATH`` reaching ``dagster_project`` and
    ``optionsintel``, ``DAGSTER_HOME`` of the instance the runs live in).
    """
    queue = queue or unique_queue()
    tag = uuid.uuid4().hex[:6]
    workers = LocalWorkers(broker, queue, [f"w{k}-{tag}@{queue}" for k in range(count)])
    app = Celery("optionsintel-control", broker=broker)
    try:
        for name in workers.names:
            log = log_dir / f"{name.split('@')[0]}.log"
            workers.logs.append(log)
            with log.open("wb") as out:
                workers.processes.append(subprocess.Popen(
                    _worker_command(broker, queue, name), stdout=out, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, env=dict(env or os.environ), start_new_session=True,
                ))  # fmt: skip
        _wait_ready(app, workers, ready_timeout)
        yield workers
    finally:
        _stop(workers)
        _delete_queue(app, queue)
        app.close()
