"""The backtest worker (`optionsintel backtest worker`): a real process on a unix socket.

A client hands it a spec (data), the worker runs and stores the run, the client reads the
stored run; bad input is refused with the same error class as in-process and the worker
keeps serving; with no worker the client runs the backtest itself.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from optionsintel.backtest import BacktestSettings, CostModel, ExitRules, Sizing
from optionsintel.backtest._vbt import numba_cache_dir
from optionsintel.errors import BacktestError, InvalidArgumentError
from optionsintel.services import backtest_worker as w
from optionsintel.services import backtests as bt
from optionsintel.settings import get_settings
from optionsintel.store import Store

from .test_stored_runs import cli_database, market  # noqa: F401  (fixtures)

SETTINGS = BacktestSettings(
    exit_rules=ExitRules(max_bars=5, stop_loss=0.04),
    sizing=Sizing(amount=100_000),
    costs=CostModel(),
)


def _spec(**changes: object) -> w.BacktestSpec:
    spec = w.BacktestSpec.of(
        bt.SignalSource("PUT_BUILDUP", min_confidence=70), database="set-by-test",
        symbols=["NIFTY", "AAA"],
        provider="synthetic", settings=SETTINGS, user="tester", name="via worker",
    )  # fmt: skip
    return w.BacktestSpec(**{**spec.__dict__, **changes})


def test_spec_round_trips_through_json_to_the_same_inputs() -> None:
    spec = _spec(start="2024-01-03", end="2024-04-01", benchmark="NIFTY")
    again = w.BacktestSpec.from_plain(json.loads(spec.to_json()))
    assert again == spec
    inputs = again.inputs()
    assert inputs["settings"].as_plain() == SETTINGS.as_plain()
    assert inputs["source"] == bt.SignalSource("PUT_BUILDUP", min_confidence=70)
    assert str(inputs["start"]) == "2024-01-03" and inputs["benchmark"] == "NIFTY"


@pytest.mark.parametrize(
    ("plain", "error", "message"),
    [
        ([1, 2], InvalidArgumentError, "JSON object"),
        ({"v": 99}, InvalidArgumentError, "v=1"),
        ({**json.loads(_spec().to_json()), "code": "x"}, InvalidArgumentError, "unknown"),
        ({**json.loads(_spec().to_json()), "symbols": "NIFTY"}, InvalidArgumentError, "list"),
        ({k: v for k, v in json.loads(_spec().to_json()).items() if k != "database"},
         InvalidArgumentError, "without 'database'"),
        ({**json.loads(_spec().to_json()), "source": {"type": "code"}}, InvalidArgumentError,
         "caller's process"),
        ({**json.loads(_spec().to_json()), "source": {"type": "signal", "signal_type": "NOPE"}},
         InvalidArgumentError, "unknown signal"),
        ({**json.loads(_spec().to_json()), "start": "2024-13-01"}, InvalidArgumentError,
         "not a date"),
        ({**json.loads(_spec().to_json()), "settings": {"direction": "up"}}, BacktestError,
         "direction 'long' or 'short'"),
        ({**json.loads(_spec().to_json()), "settings": {"eval": "1"}}, BacktestError, "unknown"),
    ],
)  # fmt: skip
def test_bad_specs_are_refused(plain: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        w.BacktestSpec.from_plain(plain).inputs()


def test_without_a_worker_the_client_runs_in_process(
    market: Store,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("OPTIONSINTEL_HOME", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert w.submit(_spec(), path=tmp_path / "absent.sock") is None
        run_id, in_worker = w.run_or_submit(market, _spec())
    finally:
        get_settings.cache_clear()
    assert not in_worker
    assert bt.read_run(market, run_id).record.name == "via worker"


def _start_worker(database_url: str, home: Path) -> subprocess.Popen[str]:
    cache = str(numba_cache_dir())  # the warm numba cache, not one under the new home
    env = {**os.environ, "DATABASE_URL": database_url, "OPTIONSINTEL_HOME": str(home),
           "OPTIONSINTEL_NUMBA_CACHE_DIR": cache}  # fmt: skip
    cmd = [sys.executable, "-m", "optionsintel.cli.main", "backtest", "worker"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)  # fmt: skip
    deadline, out = time.monotonic() + 600, ""
    while "ready on" not in out:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line or proc.poll() is None, out
        assert time.monotonic() < deadline, out
        out += line
    return proc


def _raw(path: Path, payload: bytes) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(str(path))
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        lines = s.makefile("rb").read().splitlines()
    return json.loads(lines[-1])


@pytest.mark.e2e
def test_a_real_worker_runs_stores_refuses_bad_input_and_keeps_serving(
    cli_database: str,  # noqa: F811
    market: Store,  # noqa: F811
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = Path(tempfile.mkdtemp(prefix="oi-w-", dir="/tmp"))  # short: AF_UNIX path limit
    monkeypatch.setenv("OPTIONSINTEL_HOME", str(home))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    proc = _start_worker(database_url, home)
    path = w.socket_path()
    try:
        assert path.is_socket() and oct(path.stat().st_mode & 0o777) == "0o600"
        here_db = w.store_identity(market)
        garbage = _raw(path, b"import os; os.system('x')\n")
        assert garbage["ok"] is False and garbage["type"] == "InvalidArgumentError"
        with pytest.raises(InvalidArgumentError, match="unknown signal"):
            w.submit(_spec(source={"type": "signal", "signal_type": "NOPE"}, database=here_db))
        with pytest.raises(BacktestError, match="has no daily bars for"):
            w.submit(_spec(symbols=("ZZZ",), database=here_db))
        assert w.submit(_spec(database="another-database")) is None  # the caller runs it
        seen: list[tuple[float, str]] = []
        run_id = w.submit(_spec(database=here_db), progress=lambda f, m: seen.append((f, m)))
        assert run_id is not None and seen and seen[-1][0] == 1.0
        assert seen[0] == (0.0, "handed to the backtest worker (it runs one backtest at a time)")
        stored = bt.read_run(market, run_id).record
        here = bt.run_stored(market, **_spec().inputs(), save=False).result
        assert stored.created_by == "tester" and stored.name == "via worker"
        pd.testing.assert_series_equal(
            pd.Series(stored.metrics, dtype=float).sort_index(),
            here.metrics.astype(float).sort_index(), check_names=False,
        )  # fmt: skip
        from typer.testing import CliRunner

        from optionsintel.cli.main import app

        args = ["backtest", "run", "--provider", "synthetic", "--signal", "PUT_BUILDUP",
                "--symbols", "NIFTY", "--max-bars", "5"]  # fmt: skip
        out = CliRunner().invoke(app, args)
        assert out.exit_code == 0, out.output
        assert "ran in the backtest worker" in out.output and "n_trades" in out.output
        assert len(bt.list_runs(market)) == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        get_settings.cache_clear()
    assert code == 0 and not path.exists()
    shutil.rmtree(home, ignore_errors=True)


def test_a_path_it_cannot_bind_makes_the_worker_wait_not_exit(tmp_path, capsys) -> None:
    """An exiting worker would stop every server of `up`: it says why once and retries."""
    import threading

    from optionsintel.services import backtest_worker

    path = tmp_path / "w.sock"
    path.write_text("not a socket")
    got: list = []
    waiter = threading.Thread(
        target=lambda: got.append(backtest_worker._listen_when_free(path, retry_s=0.05))
    )
    waiter.start()
    time.sleep(0.5)
    assert waiter.is_alive() and not got
    path.unlink()  # the path is free now: the worker binds it
    waiter.join(10)
    assert got and got[0].getsockname() == str(path)
    got[0].close()
    err = capsys.readouterr().err
    assert err.count("cannot listen") == 1 and "is not the worker's socket" in err


def test_a_client_that_goes_away_cancels_its_run(
    market: Store,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    # the client hands over its spec and is gone (Ctrl-C) before the first progress reply
    before = len(bt.list_runs(market))
    server, client = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with server, client:
        client.sendall(_spec(database=w.store_identity(market)).to_json().encode() + b"\n")
        client.close()
        w.handle(market, server)
    assert len(bt.list_runs(market)) == before  # cancelled, nothing stored
    assert "cancelled, not stored" in capsys.readouterr().err
    # the same spec from a client that stays is run and stored
    server, client = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with client:
        with server:
            client.sendall(_spec(database=w.store_identity(market)).to_json().encode() + b"\n")
            w.handle(market, server)  # its few replies fit in the socket's buffer
        replies = [json.loads(line) for line in client.makefile("rb")]
    assert [r["progress"] for r in replies[:-1]] == sorted(r["progress"] for r in replies[:-1])
    assert replies[-1]["ok"] is True
    assert len(bt.list_runs(market)) == before + 1


def test_a_closed_client_is_seen_before_the_next_reply() -> None:
    server, client = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with server:
        server.settimeout(30)  # as while serving: must not wait for readability
        started = time.monotonic()
        assert w._peer_closed(server) is False and time.monotonic() - started < 1
        client.close()  # Ctrl-C: before storing, the run sees it without sending first
        assert w._peer_closed(server) is True
