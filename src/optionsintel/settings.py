"""One settings object, read from the environment (and an optional ``.env`` file).

Every variable is prefixed ``OPTIONSINTEL_`` except ``DATABASE_URL``, which keeps
its conventional name. Secrets are :class:`pydantic.SecretStr`: their ``repr`` and
``str`` print ``**********`` so they never reach logs, reprs or error messages.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_DEFAULT_HOME = Path.home() / ".optionsintel"


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
    """Return the process-wide settings, read once (``get_settings.cache_clear()`` re-reads)."""
    return Settings()
