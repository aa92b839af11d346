"""`optionsintel export` / `optionsintel import`: progress, dry run by default, one-line errors."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from conftest import PROVIDER, daily_bars
from optionsintel.cli.main import app
from optionsintel.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_export_then_import_dry_run_then_commit(cli_env, clean_store, tmp_path):
    clean_store.write("daily_ohlc", daily_bars(10))
    out = tmp_path / "bars.csv.gz"
    done = runner.invoke(app, ["export", "daily_ohlc", str(out), "--provider", PROVIDER])
    assert done.exit_code == 0, done.output
    assert "wrote 10 rows" in done.output
    clean_store.engine.dispose()
    dry = runner.invoke(app, ["import", "daily_bars", str(out), "--provider", "mine"])
    assert dry.exit_code == 0, dry.output
    assert "all valid" in dry.output and "dry run" in dry.output
    assert clean_store.count("daily_ohlc", {"provider": "mine"}) == 0
    done = runner.invoke(app, ["import", "daily_bars", str(out), "--provider", "mine", "--commit"])
    assert "imported 10 rows: 10 new" in done.output, done.output
    assert clean_store.count("daily_ohlc", {"provider": "mine"}) == 10


def test_errors_are_one_line_and_exit_1(cli_env, clean_store, tmp_path):
    bad = tmp_path / "bars.csv"
    bad.write_text("symbol,trade_date,close\nNIFTY,2025-13-01,1\n")
    result = runner.invoke(app, ["import", "daily_bars", str(bad), "--provider", "nse"])
    assert result.exit_code == 1
    assert "ProviderNameError" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["import", "daily_bars", str(bad), "--provider", "mine"])
    assert result.exit_code == 1 and "row 1, column 'trade_date'" in result.output
    result = runner.invoke(app, ["export", "daily_ohlc", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and "ExportError" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "notadate"], "--start 'notadate' is not a date or instant"),
        (["--end", "2025-02-30"], "--end '2025-02-30' is not a date or instant"),
        (["--start", "2025-01-02", "--end", "2025-01-01"], "is after --end '2025-01-01'"),
    ],
)
def test_export_refuses_bad_bounds_in_one_line(cli_env, clean_store, tmp_path, args, message):
    out = tmp_path / "bars.csv"
    result = runner.invoke(app, ["export", "daily_ohlc", str(out), "-p", PROVIDER, *args])
    assert result.exit_code == 1, result.output
    assert "ExportError" in result.output and message in " ".join(result.output.split())
    assert "Traceback" not in result.output and not out.exists()


@pytest.mark.parametrize("dataset", ["daily_ohlc", "patterns", "alert_history"])
def test_export_to_a_missing_folder_or_a_folder_is_one_line(cli_env, clean_store, tmp_path,
                                                            dataset):  # fmt: skip
    extra = ["-p", PROVIDER] if dataset == "daily_ohlc" else []
    for target, message in ((tmp_path / "nope" / "x.json", "does not exist"),
                            (tmp_path, "it is a folder")):  # fmt: skip
        result = runner.invoke(app, ["export", dataset, str(target), "-f", "json", *extra])
        assert result.exit_code == 1, result.output
        assert "ExportError" in result.output and message in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "nope").exists()


def test_documents_export_and_import_through_their_services(cli_env, clean_store, tmp_path):
    from optionsintel.services.patterns import list_patterns, save_pattern

    save_pattern(clean_store, "rsi_dip", "RSI(14) < 30", user="asha", name="RSI dip")
    out = tmp_path / "patterns.json"
    done = runner.invoke(app, ["export", "patterns", str(out)])
    assert "wrote 1 rows of patterns" in done.output, done.output
    clean_store.engine.dispose()
    out.write_text(out.read_text().replace('"rsi_dip"', '"rsi_dip2"'))
    dry = runner.invoke(app, ["import", "patterns", str(out)])
    assert "all valid" in dry.output and "dry run" in dry.output, dry.output
    assert [p.pattern_id for p in list_patterns(clean_store)] == ["rsi_dip"]
    done = runner.invoke(app, ["import", "patterns", str(out), "--commit"])
    assert "1 new" in done.output, done.output
    assert {p.pattern_id for p in list_patterns(clean_store)} == {"rsi_dip", "rsi_dip2"}
    missing = runner.invoke(app, ["export", "backtest_run", str(tmp_path / "b.csv")])
    assert missing.exit_code == 1 and "--run-id" in missing.output
