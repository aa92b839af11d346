import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_up_no_serve_materialises_through_dagster_and_records_runs(
    database_url, clean_store, tmp_path
):
    env = {**os.environ, "DATABASE_URL": database_url, "OPTIONSINTEL_HOME": str(tmp_path)}
    env.pop("DAGSTER_HOME", None)
    cmd = [sys.executable, "-m", "optionsintel.cli.main", "up", "--no-serve",
           "--synthetic-days", "1", "--interval", "1800", "--no-replay"]  # fmt: skip
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "option_chain_snapshots" in done.stdout and "[ 1/1]" in done.stdout
    assert (tmp_path / "dagster" / "dagster.yaml").exists()
    assert clean_store.count("trading_calendar") > 2000
    assert clean_store.count("signals") >= 0 and clean_store.count("eod_option_chain") > 0
    with clean_store.engine.connect() as conn:
        runs = conn.execute(sa.text("SELECT count(*) FROM dagster.runs")).scalar_one()
    assert runs == 1  # the run is in the PostgreSQL-backed instance the UI reads
