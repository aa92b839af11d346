"""Resources: the PostgreSQL store and the configurable market-data source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, cast

import pandas as pd
from pydantic import Field

from dagster import ConfigurableResource, EnvVar
from optionsintel.pipeline import collect
from optionsintel.providers.base import MarketDataProvider
from optionsintel.providers.factory import build_provider
from optionsintel.settings import Settings, get_settings
from optionsintel.store import Store, get_store
from optionsintel.store.bulk import MergeResult
from optionsintel.store.engine import get_engine, normalise_url


class StoreResource(ConfigurableResource):
    """The platform store; empty ``database_url`` = the configured one (embedded or env)."""

    database_url: str = Field(default="", description="PostgreSQL URL; empty = platform default.")

    def get(self) -> Store:
        """The store (engines are cached per process, nothing is shared between steps)."""
        if self.database_url:
            return Store(get_engine(normalise_url(self.database_url)))
        return get_store()

    def write_all(self, frames: Mapping[str, pd.DataFrame]) -> dict[str, MergeResult]:
        """Upsert several tables in one transaction: all are written or none."""
        with self.get().transaction() as writer:
            return {name: writer.write(name, frame) for name, frame in frames.items()}


class MarketDataResource(ConfigurableResource):
    """Where market data comes from; the provider chain is configuration.

    ``source``: ``synthetic`` and ``replay`` serve any past day (backfills); ``nse``,
    ``angelone`` and ``failover`` serve the present (the intraday collection job).
    Angel One credentials come from environment variables through ``EnvVar``.
    """

    source: str = Field(
        default="synthetic", description="synthetic | replay | nse | angelone | failover"
    )
    failover_chain: list[str] = Field(default=["nse", "angelone"])
    allow_synthetic_fallback: bool = False
    underlyings: list[str] = Field(default=list(collect.INDICES))
    interval_seconds: int = Field(default=15, description="Snapshot interval (multiple of 15).")
    seed: int = 7
    angelone_api_key: str | None = None
    angelone_client_code: str | None = None
    angelone_pin: str | None = None
    angelone_totp_secret: str | None = None

    @property
    def expected_interval(self) -> int | None:
        """Cadence of the stored series (None for replay: recorded snapshots are sparse)."""
        return None if self.source == "replay" else self.interval_seconds

    def collect_day(self, day: dt.date) -> collect.Collected:
        """Collect one trading day from a backfill source (``pipeline.collect.collect_day``)."""
        source = cast(collect.SourceName, self.source)
        return collect.collect_day(source, day, self.underlyings, self.interval_seconds, self.seed)

    def daily_bars(self, day: dt.date, quotes: pd.DataFrame) -> pd.DataFrame:
        """``daily_ohlc`` rows of ``day`` (provider candles when it has them)."""
        return collect.daily_bars(self.source, day, self.underlyings, quotes, self.seed)  # type: ignore[arg-type]

    def provider(self) -> MarketDataProvider:
        """A live provider built from this configuration."""
        overrides = {k: v for k, v in self._credentials().items() if v}
        settings = Settings(
            **{
                **get_settings().model_dump(),
                **overrides,
                "allow_synthetic_fallback": self.allow_synthetic_fallback,
            }
        )
        if self.source == "failover":
            return build_provider("failover", settings, chain=list(self.failover_chain))
        return build_provider(self.source, settings)  # type: ignore[arg-type]

    def _credentials(self) -> dict[str, str | None]:
        return {
            "angelone_api_key": self.angelone_api_key,
            "angelone_client_code": self.angelone_client_code,
            "angelone_pin": self.angelone_pin,
            "angelone_totp_secret": self.angelone_totp_secret,
        }  # fmt: skip


def market_data_from_env(source: str | None = None) -> MarketDataResource:
    """The market-data resource configured from the environment (credentials via ``EnvVar``)."""
    import os

    settings = get_settings()
    creds: dict[str, Any] = {
        field: EnvVar(f"OPTIONSINTEL_{field.upper()}")
        for field in (
            "angelone_api_key",
            "angelone_client_code",
            "angelone_pin",
            "angelone_totp_secret",
        )
        if os.environ.get(f"OPTIONSINTEL_{field.upper()}")
    }
    return MarketDataResource(
        source=source or settings.default_provider,
        interval_seconds=settings.intraday_interval_seconds,
        seed=settings.synthetic_seed,
        allow_synthetic_fallback=settings.allow_synthetic_fallback,
        **creds,
    )
