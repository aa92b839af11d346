"""``optionsintel users|keys|api`` against the test database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from accounts_helpers import SECRET, auth
from optionsintel.api import create_app
from optionsintel.cli.main import app
from optionsintel.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_env(accounts, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("OPTIONSINTEL_ADMIN_PASSWORD", raising=False)
    get_settings.cache_clear()
    yield accounts
    get_settings.cache_clear()


def test_keys_create_for_the_local_user_then_use_and_revoke(cli_env) -> None:
    made = runner.invoke(app, ["keys", "create", "--name", "notebook"])
    assert made.exit_code == 0, made.output
    key = next(line for line in made.output.splitlines() if line.startswith("oi_"))
    client = TestClient(create_app(cli_env, secret=SECRET))
    me = client.get("/api/v2/me", headers=auth(key)).json()
    assert (me["username"], me["role"]) == ("local", "SUPER_ADMIN")
    listing = runner.invoke(app, ["keys", "list"])
    assert key[:11] in listing.output and key not in listing.output
    assert runner.invoke(app, ["keys", "revoke", key[:11]]).exit_code == 0
    assert client.get("/api/v2/me", headers=auth(key)).status_code == 401


def test_first_super_admin_from_environment(cli_env, monkeypatch) -> None:
    monkeypatch.setenv("OPTIONSINTEL_ADMIN_USERNAME", "boss")
    monkeypatch.setenv("OPTIONSINTEL_ADMIN_PASSWORD", "a long enough password")
    r = runner.invoke(app, ["users", "create", "--role", "SUPER_ADMIN"])
    assert r.exit_code == 0 and "can log in" in r.output
    assert "a long enough password" not in r.output
    c = TestClient(create_app(cli_env, secret=SECRET))
    creds = {"username": "boss", "password": "a long enough password"}
    assert c.post("/api/v2/auth/login", json=creds).status_code == 200


def test_password_prompt_is_hidden_and_confirmed(cli_env) -> None:
    r = runner.invoke(app, ["users", "create", "amy", "--password"],
                      input="pw-long-enough-1\npw-long-enough-1\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "pw-long-enough-1" not in r.output


def test_users_commands_and_clear_errors(cli_env) -> None:
    assert runner.invoke(app, ["users", "create", "ben"]).exit_code == 0
    assert "ADMIN" in runner.invoke(app, ["users", "set-role", "ben", "ADMIN"]).output
    assert "VIP" in runner.invoke(app, ["users", "set-tier", "ben", "VIP"]).output
    assert "DISABLED" in runner.invoke(app, ["users", "disable", "ben"]).output
    assert "ben" in runner.invoke(app, ["users", "list"]).output
    bad = runner.invoke(app, ["users", "set-role", "ben", "ROOT"])
    assert bad.exit_code == 1 and "unknown role" in bad.output and "Traceback" not in bad.output
    short = runner.invoke(app, ["users", "create", "cy", "--password"], input="short\nshort\n")
    assert short.exit_code == 1 and "12 to 256" in short.output


def test_api_command_is_registered() -> None:
    r = runner.invoke(app, ["api", "--help"])
    assert r.exit_code == 0 and "127.0.0.1" in r.output


def test_up_says_the_api_needs_a_key_and_how_to_make_one(monkeypatch, capsys, tmp_path) -> None:
    from optionsintel.cli import up

    started: list = []
    monkeypatch.setattr(up, "run_servers", lambda cmds, cwd: started.append(cmds) or 0)
    assert up.serve(tmp_path, "127.0.0.1", 3000, 8866, api_port=8123, preheat=False) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "http://127.0.0.1:8123/api/v2/docs" in out
    assert "every call needs a key: `optionsintel keys create`" in out
    [api] = [c for c in started[0] if "api" in c]
    assert api[-4:] == ["--host", "127.0.0.1", "--port", "8123"]  # the API stays on loopback
