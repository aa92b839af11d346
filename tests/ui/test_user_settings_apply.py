"""The apps apply the viewer's settings; the ``optionsintel settings`` commands."""

import json

import pytest
from typer.testing import CliRunner

from optionsintel.cli.main import app as cli
from optionsintel.services import user_settings as us
from optionsintel.settings import get_settings
from optionsintel.ui import build_market_monitor, theme
from optionsintel.ui.theme import USER_ENV, format_number


@pytest.mark.parametrize(
    ("value", "fmt", "decimals", "want"),
    [
        (1234567.891, "indian", 2, "12,34,567.89"),
        (123456789, "indian", 0, "12,34,56,789"),
        (999, "indian", 1, "999.0"),
        (-100000, "indian", 0, "-1,00,000"),
        (1234567.891, "international", 2, "1,234,567.89"),
        (-0.001, "international", 2, "0.00"),
        (float("nan"), "indian", 2, "—"),
        (None, "indian", 2, ""),
    ],
)
def test_number_format_hand_computed(value, fmt, decimals, want):
    prefs = us.UserSettings(number_format=fmt, decimals=decimals)
    assert format_number(value, prefs) == want


def test_market_monitor_applies_dark_template_and_refresh(clean_store, monkeypatch):
    monkeypatch.delenv(USER_ENV, raising=False)
    us.set_setting(clean_store, "local", "colour_scheme", "dark")
    us.set_setting(clean_store, "local", "refresh_seconds", 60)
    app = build_market_monitor(clean_store, autostart=False)
    assert app.refresh_seconds == 60
    assert all(f.layout.template.layout.paper_bgcolor == "rgb(17,17,17)" for f in app._figures())
    assert "#111418" in app.children[0].value  # page CSS of the dark scheme


def test_viewer_is_local_super_admin_or_the_named_account(clean_store, monkeypatch):
    monkeypatch.delenv(USER_ENV, raising=False)
    assert theme.viewer_identity(clean_store).role.value == "SUPER_ADMIN"
    monkeypatch.setenv(USER_ENV, "nobody")
    ident = theme.viewer_identity(clean_store)
    assert (ident.username, ident.role.value) == ("nobody", "USER")
    monkeypatch.delenv(USER_ENV)
    monkeypatch.setenv(theme.EXPOSED_ENV, "1")  # exposed mode, viewer not named: fail closed
    assert theme.viewer_identity(clean_store).role.value == "USER"


@pytest.fixture
def env_db(database_url, monkeypatch, clean_store):
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield clean_store
    get_settings.cache_clear()


def test_cli_show_set_reset_export_import(env_db, tmp_path):
    run = CliRunner().invoke
    out = run(cli, ["settings", "set", "number_format", "international"])
    assert out.exit_code == 0 and "number_format = international" in out.output
    bad = run(cli, ["settings", "set", "refresh_seconds", "2"])
    assert bad.exit_code != 0 and "greater than or equal to 5" in bad.output
    assert "Traceback" not in bad.output
    shown = run(cli, ["settings", "show"]).output
    assert "number_format = international" in shown and "refresh_seconds = 15" in shown
    path = tmp_path / "s.json"
    assert run(cli, ["settings", "export", str(path)]).exit_code == 0
    assert json.loads(path.read_text())["settings"]["number_format"] == "international"
    assert "number_format = indian" in run(cli, ["settings", "reset"]).output
    assert run(cli, ["settings", "import", str(path), "--user", "bob"]).exit_code == 0
    assert us.get_settings(env_db, "bob").number_format == "international"
