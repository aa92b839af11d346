"""`optionsintel scan|bulk|watchlist` against the test database."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from optionsintel.cli.main import app
from optionsintel.services import patterns
from optionsintel.settings import get_settings
from optionsintel.store import Store
from scans.helpers import seed_universe

runner = CliRunner()
SYMBOLS = [f"S{i:02d}" for i in range(8)]


@pytest.fixture
def cli_store(clean_store: Store, database_url: str, monkeypatch) -> Store:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    seed_universe(clean_store, SYMBOLS, pd.bdate_range("2025-01-01", periods=80).date)
    patterns.save_pattern(clean_store, "dip", "RSI(14) < 60", user="alice", name="Dip")
    yield clean_store
    get_settings.cache_clear()


def _one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["scan", "run", "--universe", "fno"], "at least one pattern or signal detector"),
        (["scan", "run", "--universe", "moon", "-d", "ANOMALY"], "unknown universe"),
        (["scan", "run", "-p", "dip"], "pattern_id@version"),
        (["scan", "run", "-d", "CALL_BUILDUP:9"], "less than or equal to 1"),
        (["scan", "run", "-d", "ANOMALY", "--as-of", "garbage"], "not an instant"),
        (["scan", "run", "-d", "ANOMALY", "--provider", "[/bold]"], "provider"),
        (["scan", "run", "-u", "symbols:S00", "-p", "nope@1"], "PatternNotFoundError"),
        (["scan", "show", "scan-nope"], "no bulk operation"),
        (["scan", "run", "--resume", "scan-nope"], "no stored scan run 'scan-nope' to resume"),
        (["scan", "save", "x", "-d", "ANOMALY", "--schedule", "daily"], "cron"),
        (["bulk", "status", "op-nope"], "no bulk operation"),
        (["bulk", "cancel", "op-nope"], "no bulk operation"),
        (["watchlist", "add", "nolist", "INFY", "--owner", "alice"], "no watchlist"),
        (["watchlist", "create", "[bad]", "--owner", "alice"], "not valid"),
    ],
)
def test_bad_input_is_a_one_line_error(cli_store, args, says) -> None:
    line = _one_line_error(runner.invoke(app, args))
    assert "error:" in line and says in line


def test_scan_run_show_save_list_and_bulk_status(cli_store) -> None:
    universe = "symbols:" + ",".join([*SYMBOLS, "NOPE"])
    out = runner.invoke(app, ["scan", "run", "-u", universe, "-p", "dip@1", "--provider",
                              "synthetic", "--batch-size", "3"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "PARTIAL" in out.output and "matches (provider synthetic)" in out.output
    assert "NOPE" in out.output and "UNKNOWN_SYMBOL" in out.output
    run_id = out.output.split("run ")[1].split(":")[0].strip()
    shown = runner.invoke(app, ["scan", "show", run_id, "--json"])
    assert shown.exit_code == 0 and '"provider": "synthetic"' in shown.output
    saved = runner.invoke(app, ["scan", "save", "dips", "-u", "sector:IT", "-p", "dip@1",
                                "--schedule", "45 15 * * 1-5", "--owner", "alice"])  # fmt: skip
    assert saved.exit_code == 0 and "alice/dips" in saved.output
    listed = runner.invoke(app, ["scan", "list"])
    assert listed.exit_code == 0 and "dips" in listed.output and "recent runs" in listed.output
    status = runner.invoke(app, ["bulk", "status", run_id])
    assert status.exit_code == 0 and "UNKNOWN_SYMBOL" in status.output
    cancel = runner.invoke(app, ["bulk", "cancel", run_id])
    assert cancel.exit_code == 0 and "already finished" in cancel.output
    rerun = runner.invoke(app, ["scan", "rerun", "dips", "--owner", "alice"])
    assert rerun.exit_code == 0 and "SUCCEEDED" in rerun.output


def test_watchlist_commands(cli_store) -> None:
    made = runner.invoke(app, ["watchlist", "create", "w", "S00", "S01", "NOSUCH", "--owner", "al"])
    assert made.exit_code == 0 and "2 symbols" in made.output and "NOSUCH" in made.output
    added = runner.invoke(app, ["watchlist", "add", "w", "S02", "--owner", "al"])
    assert "added 1" in added.output
    refused = runner.invoke(app, ["watchlist", "add", "w", "NOSUCH", "ZZZ", "--owner", "al"])
    assert refused.exit_code == 1 and "NOSUCH, ZZZ" in refused.output  # all refused: exit 1
    assert "3 symbols" in refused.output  # the list is untouched
    removed = runner.invoke(app, ["watchlist", "remove", "w", "S00", "S07", "--owner", "al"])
    assert "removed 1" in removed.output and "not in the list" in removed.output
    assert runner.invoke(app, ["watchlist", "rename", "w", "w2", "--owner", "al"]).exit_code == 0
    listed = runner.invoke(app, ["watchlist", "list", "--owner", "al"])
    assert "w2" in listed.output and "S01, S02" in listed.output
    assert runner.invoke(app, ["watchlist", "delete", "w2", "--owner", "al"]).exit_code == 0
