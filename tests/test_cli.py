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
