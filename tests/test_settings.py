"""Settings: read from the environment; secrets never appear in reprs, strings or logs."""

from __future__ import annotations

import logging

import pytest

from optionsintel.settings import Settings

SECRET = "S3CR3TVALUETHATMUSTNOTLEAK"  # base32: also a well-formed TOTP secret


def test_defaults_use_embedded_database(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("OPTIONSINTEL_HOME", str(tmp_path))
    s = Settings(_env_file=None)
    assert s.embedded
    assert s.pgdata_dir == tmp_path / "pgdata"
    assert s.intraday_interval_seconds == 15


def test_database_url_from_environment(monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://u:{SECRET}@db:5432/x")
    s = Settings(_env_file=None)
    assert not s.embedded
    assert SECRET not in repr(s) and SECRET not in str(s)


def test_secrets_are_masked_everywhere(monkeypatch, caplog) -> None:
    for var in ("ANGELONE_API_KEY", "ANGELONE_PIN", "ANGELONE_TOTP_SECRET", "SMTP_PASSWORD"):
        monkeypatch.setenv(f"OPTIONSINTEL_{var}", SECRET)
    s = Settings(_env_file=None)
    assert s.angelone_pin is not None and s.angelone_pin.get_secret_value() == SECRET
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("settings: %s %r", s, s)
    for text in (repr(s), str(s), caplog.text, s.model_dump_json()):
        assert SECRET not in text


def test_env_file_is_read(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("OPTIONSINTEL_SYNTHETIC_SEED", raising=False)
    env = tmp_path / ".env"
    env.write_text("OPTIONSINTEL_SYNTHETIC_SEED=42\n")
    assert Settings(_env_file=env).synthetic_seed == 42


@pytest.mark.parametrize(
    ("var", "value", "says"),
    [
        ("DATABASE_URL", "sqlite:///oi.db", "PostgreSQL only"),
        ("DATABASE_URL", "mysql://u:p@h/db", "PostgreSQL only"),
        ("DATABASE_URL", "not a url at all", "is not a URL"),
        ("DATABASE_URL", f"postgresql://u:{SECRET}@h:99999999/x", "port"),
        ("OPTIONSINTEL_INTRADAY_INTERVAL_SECONDS", "fifteen", "valid integer"),
        ("OPTIONSINTEL_ANGELONE_TOTP_SECRET", "not-base32-" + SECRET, "base32"),
    ],
)
def test_malformed_settings_are_one_line_without_values(monkeypatch, var, value, says) -> None:
    from optionsintel.errors import ConfigurationError
    from optionsintel.settings import get_settings

    monkeypatch.setenv(var, value)
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError) as info:
            get_settings()
    finally:
        get_settings.cache_clear()
    msg = str(info.value)
    assert var in msg and says in msg and "\n" not in msg
    assert SECRET not in msg and value not in msg


def test_postgres_urls_and_base32_secrets_are_accepted(monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/x?sslmode=require")
    monkeypatch.setenv("OPTIONSINTEL_ANGELONE_TOTP_SECRET", "JBSW Y3DP EHPK 3PXP")
    s = Settings(_env_file=None)
    assert not s.embedded and s.angelone_totp_secret is not None
