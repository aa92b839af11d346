"""The command line, run in-process against the test database."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from optionsintel.cli.main import app
from optionsintel.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for word in ("db", "version"):
        assert word in result.output


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0 and result.output.startswith("optionsintel ")


def test_db_status_reports_head(cli_env) -> None:
    result = runner.invoke(app, ["db", "status"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    assert "option_chain_snapshots" in result.output


def test_db_reset_needs_confirmation(cli_env) -> None:
    result = runner.invoke(app, ["db", "reset"])
    assert result.exit_code == 2
    assert "--yes" in result.output


def test_unreachable_database_is_one_clear_line(monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://x@127.0.0.1:1/none")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["db", "status"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "DatabaseUnreachableError" in result.output
    assert "Traceback" not in result.output


def test_fetch_chain_from_replay_prints_real_chain() -> None:
    result = runner.invoke(
        app,
        [
            "fetch",
            "chain",
            "NIFTY",
            "--provider",
            "replay",
            "--at",
            "2025-07-16 15:45",
            "--rows",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "from replay as of 2025-07-16 15:30:00 IST" in result.output
    assert "STRIKE" in result.output and "25,200" in result.output


def test_fetch_chain_synthetic_and_save(cli_env, clean_store) -> None:
    result = runner.invoke(
        app,
        ["fetch", "chain", "BANKNIFTY", "-p", "synthetic", "--at", "2025-07-16 11:03", "--save"],
    )
    assert result.exit_code == 0, result.output
    assert "from synthetic" in result.output
    stored = clean_store.read("option_chain_snapshots", where={"underlying": "BANKNIFTY"})
    assert len(stored) > 100 and set(stored["provider"]) == {"synthetic"}


def test_providers_status_without_history(cli_env, clean_store) -> None:
    result = runner.invoke(app, ["providers", "status"])
    assert result.exit_code == 0
    assert "--probe" in result.output


def test_providers_status_summarises_stored_metrics(cli_env, clean_store) -> None:
    import pandas as pd

    now = pd.Timestamp.now(tz="UTC")
    clean_store.write(
        "data_source_metrics",
        pd.DataFrame(
            {
                "provider": ["nse", "nse", "angelone"],
                "ts": [now - pd.Timedelta(minutes=2), now, now],
                "requests": [10, 5, 3],
                "successes": [9, 5, 0],
                "failures": [1, 0, 3],
                "avg_latency_ms": [120.0, 80.0, None],
                "breaker_state": ["closed", "closed", "open"],
                "last_error": [None, None, "AG8001 invalid token"],
            }
        ),
    )
    result = runner.invoke(app, ["providers", "status"])
    assert result.exit_code == 0, result.output
    assert "open" in result.output and "nse" in result.output


def _one_line_error(result) -> str:
    assert result.exit_code not in (0, None), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["fetch", "chain", "NIFTY", "--at", "garbage"], "--at"),
        (["fetch", "chain", "NIFTY", "--at", "2025-02-30 10:00"], "--at"),
        (["fetch", "chain", "NIFTY", "--at", "2099-01-01"], "--at"),
        (["fetch", "chain", "NIFTY", "--expiry", "2031-01-01"], "not listed"),
        (["fetch", "chain", "NIFTY", "--expiry", "soon"], "--expiry"),
        (["fetch", "chain", "NIFTY", "--rows", "0"], "--rows"),
        (["fetch", "chain", "NIFTY", "--rows", "-3"], "--rows"),
        (["fetch", "chain", "[/bold]"], "not an NSE symbol"),
        (["fetch", "chain", "[bold red]x"], "not an NSE symbol"),
        (["fetch", "chain", "NIFTY", "-p", "nse", "--at", "2025-07-16 15:30"], "--at"),
        (["fetch", "chain", "NIFTY", "-p", "angelone", "--at", "2025-07-16"], "--at"),
        (["providers", "status", "--hours", "99999999999"], "--hours"),
        (["providers", "status", "--hours", "0"], "--hours"),
    ],
)
def test_bad_arguments_are_one_line_errors(cli_env, args, says) -> None:
    line = _one_line_error(runner.invoke(app, args))
    assert "error:" in line and says in line


@pytest.mark.parametrize(
    ("var", "value", "says"),
    [
        ("OPTIONSINTEL_INTRADAY_INTERVAL_SECONDS", "1.5", "INTRADAY_INTERVAL_SECONDS"),
        ("DATABASE_URL", "sqlite:///{tmp}/oi.db", "PostgreSQL only"),
        ("DATABASE_URL", "::not a url::", "DATABASE_URL"),
        ("DATABASE_URL", "postgresql://u:hunter2@127.0.0.1:99999999/x", "port"),
        ("OPTIONSINTEL_ANGELONE_TOTP_SECRET", "hunter2!!", "base32"),
    ],
)
def test_bad_settings_are_one_line_errors(monkeypatch, tmp_path, var, value, says) -> None:
    monkeypatch.setenv(var, value.format(tmp=tmp_path))
    get_settings.cache_clear()
    try:
        line = _one_line_error(runner.invoke(app, ["db", "status"]))
    finally:
        get_settings.cache_clear()
    assert "ConfigurationError" in line and says in line
    assert "hunter2" not in line
    assert list(tmp_path.iterdir()) == []  # a sqlite:// URL creates nothing


def test_dashboards_cull_kernels_of_closed_pages() -> None:
    """Each page view starts a kernel (~350 MB); one left by a killed browser must end."""
    from pathlib import Path

    from optionsintel.cli.dashboards import KERNEL_CULLING, dashboard_server_commands

    for host in ("127.0.0.1", "0.0.0.0"):
        [cmd] = dashboard_server_commands(8866, host, folder=Path("."))
        assert set(KERNEL_CULLING) <= set(cmd)
    assert "--MappingKernelManager.cull_connected=False" in KERNEL_CULLING  # open pages stay


def test_backtest_show_header_has_no_empty_name_slot() -> None:
    from types import SimpleNamespace

    from optionsintel.cli.backtest import _header

    unnamed = SimpleNamespace(run_id="bt-1", kind="signal", name=None, created_by="cli")
    assert _header(unnamed) == "[bold]bt-1[/] signal · by cli"
    named = SimpleNamespace(run_id="bt-2", kind="options", name="iron fly", created_by="ana")
    assert _header(named) == "[bold]bt-2[/] options · iron fly · by ana"


def test_settings_files_that_cannot_be_read_or_written_are_one_line(cli_env, tmp_path) -> None:
    bad = tmp_path / "latin1.json"
    bad.write_bytes(b'{"density": "\xe9"}')
    for args in (["settings", "import", str(tmp_path / "missing.json")],
                 ["settings", "import", str(tmp_path)],
                 ["settings", "import", str(bad)],
                 ["settings", "export", str(tmp_path / "no" / "such" / "dir.json")]):  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert "InputError" in result.output and "Traceback" not in result.output
