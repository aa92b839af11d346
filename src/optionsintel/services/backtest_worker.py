"""The backtest worker: a process that keeps vectorbt and its kernels loaded.

A fresh process pays ~2 s importing vectorbt (plotly templates, scikit-learn, scipy) and
~0.4 s loading the first cached numba kernels before its first backtest can start
(``benchmarks/RESULTS.md``, issue 15). ``optionsintel up`` therefore starts this worker
(``optionsintel backtest worker``): it imports vectorbt, runs :func:`warm_up`, then
listens on a unix socket in the data home. A client (``optionsintel backtest run``, a
notebook through :func:`run_or_submit`) hands it a validated backtest *spec*: plain JSON
data (source, universe, provider, period, settings), never code. The worker validates it
again, runs :func:`~optionsintel.services.backtests.run_stored` and stores the run
(insert-only, as every run is); the client reads the stored run. When no worker answers
the client runs the backtest in its own process, exactly as before.

Protocol: the client sends one JSON object on one line; the worker answers with
``{"progress": f, "message": m}`` lines while it works and ends with
``{"ok": true, "run_id": ...}`` or ``{"ok": false, "type": ..., "error": ...}``. One
request at a time (numba kernels and vectorbt's caches are not shared across threads);
the socket is created owner-only (0600) in the data home. A spec names the database its
client reads (:func:`store_identity`, a digest without the password); a worker serving
another database answers "mismatch" and the client runs the backtest itself, so a run is
never stored where its client cannot read it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optionsintel import errors

if TYPE_CHECKING:
    from optionsintel.backtest.spec import BacktestSettings
    from optionsintel.services.backtest_inputs import Source
    from optionsintel.store import Store

__all__ = [
    "BacktestSpec",
    "run_or_submit",
    "serve",
    "socket_path",
    "store_identity",
    "submit",
]

PROTOCOL = 1
_MAX_REQUEST = 4 * 1024 * 1024
_CONNECT_TIMEOUT = 1.0
_REQUEST_TIMEOUT = 30.0
Progress = Callable[[float, str], None]


def socket_path() -> Path:
    """The worker's socket: ``$OPTIONSINTEL_HOME/backtest-worker.sock``."""
    from optionsintel.settings import get_settings

    return get_settings().home / "backtest-worker.sock"


def store_identity(store: Store) -> str:
    """A digest of the database a store reads (server, port, database, user; no password)."""
    url = store.engine.url
    key = f"{url.drivername}|{url.host}|{url.port}|{url.database}|{url.username}|{url.query}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class BacktestSpec:
    """A stored-data backtest as data: what a client hands the worker.

    ``source`` is a pattern or signal source's ``describe()`` form; ``settings`` is
    ``BacktestSettings.as_plain()``; ``start``/``end`` are ISO dates or None;
    ``database`` is the client's :func:`store_identity`.
    """

    database: str
    source: Mapping[str, Any]
    symbols: tuple[str, ...]
    provider: str
    settings: Mapping[str, Any]
    start: str | None = None
    end: str | None = None
    benchmark: str | None = None
    user: str = "system"
    name: str | None = None

    @classmethod
    def of(
        cls,
        source: Source,
        *,
        database: str,
        symbols: Sequence[str],
        provider: str,
        settings: BacktestSettings | None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        benchmark: str | None = None,
        user: str = "system",
        name: str | None = None,
    ) -> BacktestSpec:
        """The spec of validated inputs (as :func:`run_stored` takes them)."""
        from optionsintel.backtest.spec import BacktestSettings

        plain = (settings or BacktestSettings()).as_plain()
        return cls(
            database=database,
            source=source.describe(), symbols=tuple(map(str, symbols)), provider=provider,
            settings=plain, start=None if start is None else start.isoformat(),
            end=None if end is None else end.isoformat(), benchmark=benchmark, user=user,
            name=name,
        )  # fmt: skip

    def to_json(self) -> str:
        """One line of JSON (the request)."""
        body = {"v": PROTOCOL, **self.__dict__, "symbols": list(self.symbols)}
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_plain(cls, plain: Any) -> BacktestSpec:
        """Check the shape of a decoded request; values are validated by :meth:`inputs`."""
        if not isinstance(plain, dict) or plain.get("v") != PROTOCOL:
            raise errors.InvalidArgumentError(f"a backtest spec is a JSON object with v={PROTOCOL}")
        body = {k: v for k, v in plain.items() if k != "v"}
        unknown = sorted(set(body) - set(cls.__dataclass_fields__))
        if unknown:
            raise errors.InvalidArgumentError(f"unknown backtest spec fields {unknown[:5]}")
        for key in ("database", "source", "symbols", "provider", "settings"):
            if key not in body:
                raise errors.InvalidArgumentError(f"backtest spec without {key!r}")
        symbols = body["symbols"]
        if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
            raise errors.InvalidArgumentError("spec symbols is a list of strings")
        for key in ("database", "provider", "start", "end", "benchmark", "user", "name"):
            if body.get(key) is not None and not isinstance(body[key], str):
                raise errors.InvalidArgumentError(f"spec {key} is a string")
        for key in ("source", "settings"):
            if not isinstance(body[key], dict):
                raise errors.InvalidArgumentError(f"spec {key} is a JSON object")
        return cls(**{**body, "symbols": tuple(symbols)})

    def inputs(self) -> dict[str, Any]:
        """Validated keyword arguments of :func:`run_stored` (raises on a bad value)."""
        from optionsintel.services.backtest_inputs import settings_from_plain

        if not self.symbols:
            raise errors.InvalidArgumentError("a backtest needs at least one symbol")
        days = []
        for flag, value in (("start", self.start), ("end", self.end)):
            try:
                days.append(None if value is None else dt.date.fromisoformat(value))
            except ValueError:
                raise errors.InvalidArgumentError(
                    f"{flag} {str(value)[:20]!r} is not a date"
                ) from None
        return dict(
            source=_source_from_plain(self.source), symbols=list(self.symbols),
            provider=self.provider, start=days[0], end=days[1],
            settings=settings_from_plain(self.settings), benchmark=self.benchmark,
            user=self.user, name=self.name,
        )  # fmt: skip


def _source_from_plain(plain: Mapping[str, Any]) -> Source:
    from optionsintel.services.backtest_inputs import PatternSource, SignalSource

    kind = plain.get("type")
    try:
        if kind == "pattern":
            return PatternSource(str(plain["entry"]), exit=plain.get("exit"))
        if kind == "signal":
            return SignalSource(
                str(plain["signal_type"]),
                min_confidence=float(plain.get("min_confidence", 0.0)),
                exit_signal_type=plain.get("exit_signal_type"),
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise errors.InvalidArgumentError(f"bad backtest source: {str(exc)[:80]}") from None
    raise errors.InvalidArgumentError(
        "the worker runs pattern or signal sources; code sources run in the caller's process"
    )


# ----------------------------------------------------------------------------- client


def _error_of(reply: Mapping[str, Any]) -> errors.OptionsIntelError:
    """The worker's error as the same optionsintel error class, where it can be rebuilt."""
    name, message = str(reply.get("type", "")), str(reply.get("error", "backtest worker error"))
    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, errors.OptionsIntelError):
        with contextlib.suppress(TypeError):
            return cls(message)
    return errors.BacktestWorkerError(f"{name}: {message}" if name else message)


def submit(
    spec: BacktestSpec, *, path: Path | None = None, progress: Progress | None = None
) -> str | None:
    """Run ``spec`` in the worker; the stored run's id, or None when no worker answers.

    Raises
    ------
    OptionsIntelError
        The worker refused the spec or the backtest failed (same class as in-process).
    """
    target = str(path or socket_path())
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(_CONNECT_TIMEOUT)
    try:
        sock.connect(target)
    except OSError:  # no socket, nobody listening, or a stale file: no worker
        sock.close()
        return None
    with sock, sock.makefile("rb") as replies:
        sock.settimeout(None)  # a long backtest sends progress; the worker ends every reply
        if progress is not None:  # the worker serves one run at a time: another may be first
            progress(0.0, "handed to the backtest worker (it runs one backtest at a time)")
        sock.sendall(spec.to_json().encode() + b"\n")
        for line in replies:
            try:
                reply = json.loads(line)
            except ValueError:
                raise errors.BacktestWorkerError("the backtest worker answered non-JSON") from None
            if "progress" in reply:
                if progress is not None:
                    progress(float(reply["progress"]), str(reply.get("message", "")))
                continue
            if reply.get("ok"):
                return str(reply["run_id"])
            if reply.get("mismatch"):  # it serves another database: run in the caller
                return None
            raise _error_of(reply)
    raise errors.BacktestWorkerError("the backtest worker closed the connection without a result")


def run_or_submit(
    store: Store, spec: BacktestSpec, *, progress: Progress | None = None, worker: bool = True
) -> tuple[str, bool]:
    """Run and store ``spec``: in the worker when one answers, else here; (run id, in worker).

    Either way the run is stored (insert-only) and read back by its id.
    """
    if worker:
        spec = replace(spec, database=store_identity(store))
        run_id = submit(spec, progress=progress)
        if run_id is not None:
            return run_id, True
    from optionsintel.services.backtests import run_stored

    done = run_stored(store, **spec.inputs(), save=True, progress=progress)
    assert done.run_id is not None
    return done.run_id, False


# ----------------------------------------------------------------------------- server


def _reply(conn: socket.socket, body: Mapping[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the client may have gone; the run is stored anyway
        conn.sendall(json.dumps(body, default=str).encode() + b"\n")


def _read_request(conn: socket.socket) -> Any:
    data = b""
    conn.settimeout(_REQUEST_TIMEOUT)  # a client that connects and never writes
    while not data.endswith(b"\n"):
        try:
            chunk = conn.recv(65536)
        except TimeoutError:
            raise errors.InvalidArgumentError("no backtest spec within 30 s") from None
        if not chunk:
            break
        data += chunk
        if len(data) > _MAX_REQUEST:
            raise errors.InvalidArgumentError(f"a backtest spec is at most {_MAX_REQUEST} bytes")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise errors.InvalidArgumentError("a backtest spec is one line of JSON") from None


class _ClientGoneError(Exception):
    """The client closed its end (Ctrl-C) or stopped reading while its run was going."""


def _peer_closed(conn: socket.socket) -> bool:
    """True when the client closed or reset its end (it sends nothing after the spec)."""
    # select, not MSG_DONTWAIT: a socket with a timeout waits for readability first
    readable, _, _ = select.select([conn], [], [], 0)
    if not readable:
        return False  # open, nothing to read
    try:
        return conn.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True  # reset


def handle(store: Store, conn: socket.socket) -> None:
    """Serve one connection: read the spec, run and store it, answer (never raises).

    A client that goes away during its run (Ctrl-C on ``optionsintel backtest run``)
    cancels it: the next progress reply fails, which aborts ``run_stored`` at that step;
    the last one is sent just before the run is stored, so a cancelled run is not stored.
    """
    from optionsintel.services.backtests import run_stored

    def say(fraction: float, message: str) -> None:
        body = {"progress": fraction, "message": message}
        # A closed peer is seen first: the kernel would take the first send after a close
        # and only the next one fails, so the step before storing would pass unseen.
        if _peer_closed(conn):
            raise _ClientGoneError
        try:
            conn.sendall(json.dumps(body).encode() + b"\n")
        except OSError as exc:  # broken pipe, reset, or 30 s without reading
            raise _ClientGoneError from exc

    try:
        spec = BacktestSpec.from_plain(_read_request(conn))
        conn.settimeout(_REQUEST_TIMEOUT)  # replies: a client that stops reading
        if spec.database != store_identity(store):
            _reply(conn, {"ok": False, "mismatch": True, "type": "BacktestWorkerError",
                          "error": "this worker serves another database"})  # fmt: skip
            return
        done = run_stored(store, **spec.inputs(), save=True, progress=say)
        _reply(conn, {"ok": True, "run_id": done.run_id})
    except _ClientGoneError:
        print("backtest worker: the client went away; its run was cancelled, not stored",
              file=sys.stderr, flush=True)  # fmt: skip
    except errors.OptionsIntelError as exc:
        _reply(conn, {"ok": False, "type": type(exc).__name__, "error": str(exc)})
    except Exception as exc:  # a bug must not take the worker (and `up`) down
        text = " ".join(str(exc).split())[:300]
        print(f"backtest worker: {type(exc).__name__}: {text}", file=sys.stderr, flush=True)
        _reply(conn, {"ok": False, "type": "BacktestWorkerError",
                      "error": f"internal error in the worker: {type(exc).__name__}"})  # fmt: skip


def _answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(_CONNECT_TIMEOUT)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def _listen(path: Path) -> socket.socket | None:
    """Bind the socket (owner-only); None when another live worker already holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        if not path.is_socket():
            raise errors.ConfigurationError(f"{path} exists and is not the worker's socket")
        if _answers(path):
            return None
        path.unlink()  # a stale socket left by a killed worker
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        server.bind(str(path))
    finally:
        os.umask(old)
    server.listen(16)
    return server


def _listen_when_free(path: Path, retry_s: float = 5.0) -> socket.socket:
    """The bound socket, once there is no other live worker and the path can be bound.

    Never raises over the socket (a worker exiting would stop every server of ``up``):
    it says once why it waits (another worker answers; a path it cannot bind, e.g. a
    regular file there or a data home too long for a unix socket) and retries, so it
    takes over when the other worker ends. Clients meanwhile run in their own process.
    """
    said = None
    while True:
        try:
            server = _listen(path)
            why = "another worker answers there; standing by"
        except (OSError, errors.ConfigurationError) as exc:
            server, why = None, f"cannot listen ({exc}); backtests run in-process; retrying"
        if server is not None:
            return server
        if why != said:
            print(f"backtest worker: {path}: {why}", file=sys.stderr, flush=True)
            said = why
        time.sleep(retry_s)


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def serve(store: Store, path: Path | None = None, *, warm: bool = True) -> int:
    """Warm up, then serve specs on ``path`` until SIGINT/SIGTERM; the exit code (0)."""
    from optionsintel.backtest.run import warm_up

    target = path or socket_path()
    signal.signal(signal.SIGTERM, _stop)
    t0 = time.perf_counter()
    if warm:
        try:
            warm_up()
        except Exception as exc:  # only slower without it; never stop `up` over it
            print(f"backtest worker: warm-up failed ({type(exc).__name__}); serving cold",
                  file=sys.stderr, flush=True)  # fmt: skip
    server: socket.socket | None = None
    try:
        server = _listen_when_free(target)
        print(f"backtest worker ready on {target} ({time.perf_counter() - t0:.1f}s)", flush=True)
        while True:
            conn, _ = server.accept()
            with conn:
                handle(store, conn)
    except KeyboardInterrupt:
        return 0
    finally:
        if server is not None:
            server.close()
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
