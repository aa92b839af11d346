import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster_project.materialise import main, parse_partitions

from optionsintel.cli.up import materialise_command
from optionsintel.services.demo import DemoPlan

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_cli_never_imports_dagster_or_the_code_location():
    code = ("import sys, optionsintel.cli.main, optionsintel.ui.notebook_helpers; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'dagster', 'dagster_project'}))"
            )  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_up_hands_its_plan_to_the_code_location_entry_point():
    plan = DemoPlan({"synthetic": [dt.date(2025, 7, 15)], "replay": [dt.date(2025, 7, 16)]},
                    interval_seconds=900, underlyings=("NIFTY", "BANKNIFTY"))  # fmt: skip
    cmd = materialise_command(plan)
    assert cmd[:3] == [sys.executable, "-m", "dagster_project.materialise"]
    assert parse_partitions(a for a in cmd if ":" in a and "/" not in a) == plan.days
    assert cmd[cmd.index("--interval") + 1] == "900"
    assert [cmd[i + 1] for i, a in enumerate(cmd) if a == "--underlying"] == ["NIFTY", "BANKNIFTY"]


@pytest.mark.parametrize("spec", ["synthetic", "synthetic:", ":2025-07-15", "replay:2025-13-01"])
def test_bad_partition_specs_are_refused_before_any_run(spec, capsys):
    with pytest.raises(ValueError, match="SOURCE:YYYY-MM-DD"):
        parse_partitions([spec])
    assert main(["--interval", "900", "replay:2025-07-16", spec]) == 2
    out = capsys.readouterr()
    assert "SOURCE:YYYY-MM-DD" in out.err and "[ 1/" not in out.out


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
