"""Concurrent starts, migrations and writers (issue 12 item 8), with real processes/threads."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import optionsintel
from optionsintel.store import Store, migrate
from optionsintel.store.admin import scratch_database
from optionsintel.store.engine import get_engine

SRC = str(Path(optionsintel.__file__).resolve().parents[1])  # the code under test


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [SRC, env.get("PYTHONPATH")]))
    return env | extra


def _together(commands: list[list[str]], env: dict[str, str]) -> list[subprocess.CompletedProcess]:
    procs = [
        subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for c in commands
    ]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    return [
        subprocess.CompletedProcess(p.args, p.returncode, o)
        for p, o in zip(procs, outs, strict=True)
    ]


@pytest.mark.slow
def test_two_commands_on_a_fresh_data_home_both_succeed(tmp_path) -> None:
    from optionsintel.store.embedded import stop_embedded

    cli = [sys.executable, "-m", "optionsintel.cli.main", "db", "upgrade"]
    try:
        results = _together([cli, cli, cli], _env(OPTIONSINTEL_HOME=str(tmp_path)))
        for r in results:
            assert r.returncode == 0, r.stdout
            assert "Traceback" not in r.stdout
    finally:
        stop_embedded(tmp_path / "pgdata")


def test_concurrent_migrations_of_one_fresh_database() -> None:
    base = os.environ.get("DATABASE_URL")
    if not base:
        pytest.skip("the embedded case is covered by the data-home test above")
    code = (
        "import sys; from optionsintel.store import migrate; "
        "from optionsintel.store.engine import get_engine; "
        "migrate.upgrade(get_engine(sys.argv[1]))"
    )
    with scratch_database(base, "oi_race") as url:
        results = _together([[sys.executable, "-c", code, url]] * 4, _env())
        for r in results:
            assert r.returncode == 0, r.stdout
        assert migrate.current_revision(get_engine(url)) == migrate.head_revision()


def _keys(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2025-07-18 09:15", tz="Asia/Kolkata").tz_convert("UTC")
    frame = pd.DataFrame(
        {
            "underlying": "NIFTY",
            "snapshot_ts": [t0 + pd.Timedelta(seconds=15 * (k // 40)) for k in range(n)],
            "expiry": pd.Timestamp("2025-07-24"),
            "strike": 24000.0 + 50 * ((np.arange(n) % 40) // 2),
            "option_type": np.where(np.arange(n) % 2 == 0, "CE", "PE"),
            "ltp": rng.uniform(1, 100, n),
            "oi": rng.integers(0, 1000, n).astype(float),
            "provider": "replay",
        }
    )
    return frame


def test_writers_of_the_same_new_keys_in_opposite_orders_both_succeed(
    clean_store: Store,
) -> None:
    frame = _keys(4000, seed=1)
    clean_store.write("option_chain_snapshots", frame.iloc[:1])  # the day's partition exists
    for trial in range(4):
        mine = frame.iloc[1:].assign(ltp=frame["ltp"].iloc[1:] + trial)
        orders = [mine, mine.iloc[::-1], mine.sample(frac=1, random_state=trial)]
        barrier, errors = threading.Barrier(len(orders)), []

        def write(
            part: pd.DataFrame, barrier: threading.Barrier = barrier, errors: list = errors
        ) -> None:
            barrier.wait()
            try:
                clean_store.write("option_chain_snapshots", part)
            except Exception as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(o,)) for o in orders]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
    assert clean_store.count("option_chain_snapshots") == len(frame)
