"""One settings object, read from the environment (and an optional ``.env`` file).

Every variable is prefixed ``OPTIONSINTEL_`` except ``DATABASE_URL``, which keeps
its conventional name. Secrets are :class:`pydantic.SecretStr`: their ``repr`` and
``str`` print ``**********`` so they never reach logs, reprs or error messages.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from optionsintel.errors import ConfigurationError

_DEFAULT_HOME = Path.home() / ".optionsintel"
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


class Settings(BaseSettings):
    """Platform configuration; see the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="OPTIONSINTEL_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    database_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "OPTIONSINTEL_DATABASE_URL"),
        description="PostgreSQL URL; unset means the embedded pgserver database.",
    )
    home: Path = Field(
        default=_DEFAULT_HOME,
        description="Data home: embedded database, Dagster home, caches, artefacts.",
    )
    default_provider: str = Field(default="synthetic", description="Default market-data provider.")
    allow_synthetic_fallback: bool = Field(
        default=False, description="Let the failover chain fall back to synthetic data."
    )
    synthetic_seed: int = Field(default=7, description="Seed of the synthetic market.")
    intraday_interval_seconds: int = Field(default=15, ge=1, le=3600)
    session_signals_minutes: int = Field(
        default=15,
        description="Signals during the session: every N minutes (15 = the EOD samples; "
        "1, 3, 5 add ticks in between) or 0 = every tick.",
    )

    angelone_api_key: SecretStr | None = None
    angelone_client_code: str | None = None
    angelone_pin: SecretStr | None = None
    angelone_totp_secret: SecretStr | None = None

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str | None = None

    @field_validator("session_signals_minutes")
    @classmethod
    def _check_signals_cadence(cls, value: int) -> int:
        # the 15-minute samples of the EOD run are always computed; finer cadences divide them
        if value not in (0, 1, 3, 5, 15):
            raise ValueError("must be 0 (every tick), 1, 3, 5 or 15 minutes")
        return value

    @field_validator("home", mode="before")
    @classmethod
    def _expand_home(cls, value: object) -> object:
        return Path(str(value)).expanduser() if value is not None else value

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: SecretStr | None) -> SecretStr | None:
        """Refuse anything but a parsable PostgreSQL URL (never echoing it: it holds secrets)."""
        if value is None or not value.get_secret_value():
            return value
        # Parsed with the standard library: settings are core and never import SQLAlchemy.
        try:
            url = urlsplit(value.get_secret_value())
            port = url.port  # an unparsable port raises ValueError here
        except ValueError:
            raise ValueError(
                "is not a URL; expected postgresql://user:password@host:port/database"
            ) from None
        if not url.scheme or "://" not in value.get_secret_value():
            raise ValueError("is not a URL; expected postgresql://user:password@host:port/database")
        if url.scheme.lower() not in _POSTGRES_SCHEMES:
            backend = url.scheme.split("+", 1)[0]
            raise ValueError(
                f"uses {backend!r}: the store runs on PostgreSQL only; give a "
                "postgresql:// URL, or unset DATABASE_URL for the embedded database"
            )
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"has port {port}, outside 1..65535")
        return value

    @field_validator("angelone_totp_secret")
    @classmethod
    def _base32_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """A TOTP secret is base32 (RFC 4648); refuse others before a login is attempted."""
        if value is None:
            return value
        secret = value.get_secret_value().replace(" ", "").upper()
        try:
            base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
        except (binascii.Error, ValueError):
            raise ValueError(
                "is not a base32 TOTP secret (letters A-Z and digits 2-7, as shown by the "
                "broker when enabling TOTP)"
            ) from None
        return value

    @property
    def embedded(self) -> bool:
        """True when no ``DATABASE_URL`` is set and the embedded server is used."""
        return self.database_url is None or not self.database_url.get_secret_value()

    @property
    def pgdata_dir(self) -> Path:
        """Data directory of the embedded PostgreSQL server."""
        return self.home / "pgdata"

    @property
    def dagster_home(self) -> Path:
        """``DAGSTER_HOME`` used by the platform's Dagster processes."""
        return self.home / "dagster"

    @property
    def cache_dir(self) -> Path:
        """Directory for on-disk caches (scrip master and the like)."""
        return self.home / "cache"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once (``get_settings.cache_clear()`` re-reads).

    Raises
    ------
    ConfigurationError
        Naming each malformed variable and what it should hold, in one line; the values
        are never repeated (they may be secrets).
    """
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    """One line naming each bad environment variable and why, without its value."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False):
        name = (str(err["loc"][0]) if err["loc"] else "?").upper()
        env = name if name.startswith(("OPTIONSINTEL_", "DATABASE_URL")) else f"OPTIONSINTEL_{name}"
        why = err["msg"].removeprefix("Value error, ")
        parts.append(f"{env}: {why}")
    return "; ".join(parts)
