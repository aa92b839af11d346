"""Resources: the PostgreSQL store and the market-data source.

The market-data resource follows Dagster's pattern for swappable services: assets and
ops ask for the abstract :class:`MarketDataResource`, and the definitions bind one of
its implementations (:class:`LiveMarketData`, :class:`ReplayMarketData`,
:class:`SyntheticMarketData`); tests bind a small implementation of their own. Source
names are resolved by :mod:`optionsintel.providers.registry`; settings are read once,
in :func:`market_data_from_env`, and reach the providers as plain typed values.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, cast

import pandas as pd
from pydantic import Field

from dagster import ConfigurableResource, EnvVar
from optionsintel import collect
from optionsintel._typing import ProviderName
from optionsintel.providers.base import BackfillSource, MarketDataProvider
from optionsintel.providers.registry import (
    BackfillNotSupportedError,
    ProviderConfig,
    build_backfill,
    build_provider,
    provider_spec,
)
from optionsintel.services import alert_ticks
from optionsintel.store import Store, get_store
from optionsintel.store.bulk import MergeResult
from optionsintel.store.engine import get_engine, normalise_url
from optionsintel.transforms.session_signals import EOD_SAMPLE_MINUTES, SessionSignals

_ANGEL_FIELDS = ("angelone_api_key", "angelone_client_code", "angelone_pin", "angelone_totp_secret")


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

    def write_tick(self, frames: Mapping[str, pd.DataFrame]) -> dict[str, MergeResult]:
        """Write one collection tick and evaluate the alert rules on it, in one transaction.

        :func:`optionsintel.services.alert_ticks.write_tick`: the notifications commit
        with the data that triggered them (transactional outbox).
        """
        return alert_ticks.write_tick(self.get(), frames)


class MarketDataResource(ConfigurableResource, ABC):
    """Where market data comes from (abstract: bind one of the implementations).

    ``source`` is the provider name stamped on the rows, and the one every read of
    the partition's market data chooses.
    """

    source: str
    underlyings: list[str] = Field(default=list(collect.INDICES))
    interval_seconds: int = Field(default=15, description="Snapshot interval (multiple of 15).")
    signals_minutes: int = Field(
        default=EOD_SAMPLE_MINUTES,
        description="Session signals cadence: 15 (the EOD samples), 1, 3, 5, or 0 = every tick.",
    )

    @abstractmethod
    def provider_config(self) -> ProviderConfig:
        """The plain typed provider values of this configuration."""

    @property
    def expected_interval(self) -> int | None:
        """Cadence of the stored series (None when the source's snapshots are sparse)."""
        return self.interval_seconds

    def provider(self) -> MarketDataProvider:
        """The live provider (the intraday collection session asks it for snapshots)."""
        return build_provider(cast(ProviderName, self.source), self.provider_config())

    def backfill(self) -> BackfillSource:
        """The past-days source.

        Raises
        ------
        BackfillNotSupportedError
            For live sources.
        """
        return build_backfill(cast(ProviderName, self.source), self.provider_config())

    def collect_day(self, day: dt.date) -> collect.Collected:
        """Collect one trading day (``pipeline.collect.collect_day``)."""
        return collect.collect_day(self.backfill(), day, self.underlyings, self.interval_seconds)

    def daily_bars(self, day: dt.date, quotes: pd.DataFrame) -> pd.DataFrame:
        """``daily_ohlc`` rows of ``day`` (the source's daily candles when it has them)."""
        source: ProviderName | BackfillSource = cast(ProviderName, self.source)
        with contextlib.suppress(BackfillNotSupportedError):
            source = self.backfill()
        return collect.daily_bars(source, day, self.underlyings, quotes)

    def collect_session(
        self,
        write: Callable[[Mapping[str, pd.DataFrame]], Any],
        resume: Callable[[], pd.DataFrame] | None = None,
    ) -> collect.SessionReport:
        """Collect every remaining aligned tick of today's session, writing each tick.

        Each tick's frames (``write``'s argument) include its ``signals`` rows
        (:class:`~optionsintel.transforms.session_signals.SessionSignals` at
        ``signals_minutes``), keyed as the EOD ``signals`` asset keys them. ``resume``
        returns the day's stored samples (a restarted collector carries on from them).
        """
        signals = SessionSignals(self.signals_minutes)
        if resume is not None:
            signals.resume(resume())
        return collect.run_collection_session(
            self.provider(), write, underlyings=self.underlyings,
            interval_seconds=self.interval_seconds, clock=self.now, sleep=self.sleep,
            signals=signals,
        )  # fmt: skip

    def now(self) -> pd.Timestamp:
        """The session clock (UTC)."""
        return pd.Timestamp.now(tz="UTC")

    def sleep(self, seconds: float) -> None:
        """Wait for the next tick."""
        time.sleep(seconds)


class SyntheticMarketData(MarketDataResource):
    """The synthetic market: any past day (backfills) and a simulated live session."""

    source: Literal["synthetic"] = "synthetic"
    seed: int = 7

    def provider_config(self) -> ProviderConfig:
        """Only the market seed."""
        return ProviderConfig(synthetic_seed=self.seed)


class ReplayMarketData(MarketDataResource):
    """Recorded real data: the recorded days (sparse snapshots, so no gap checks)."""

    source: Literal["replay"] = "replay"
    data_dir: str = Field(default="", description="Recorded data folder; empty = packaged.")

    @property
    def expected_interval(self) -> int | None:
        """None: recorded snapshots do not lie on the interval grid."""
        return None

    def provider_config(self) -> ProviderConfig:
        """Only the data folder."""
        return ProviderConfig(replay_data_dir=Path(self.data_dir) if self.data_dir else None)


class LiveMarketData(MarketDataResource):
    """NSE, Angel One or the failover chain: the present only (the intraday session).

    Angel One credentials are passed as ``EnvVar``s (see :func:`market_data_from_env`).
    """

    source: Literal["nse", "angelone", "failover"] = "failover"
    failover_chain: list[str] = Field(
        default=[], description="Chain order; empty = nse, then angelone when configured."
    )
    allow_synthetic_fallback: bool = False
    seed: int = Field(default=7, description="Seed of the synthetic fallback.")
    cache_dir: str = Field(default="", description="On-disk caches (Angel One scrip master).")
    angelone_api_key: str | None = None
    angelone_client_code: str | None = None
    angelone_pin: str | None = None
    angelone_totp_secret: str | None = None

    def provider_config(self) -> ProviderConfig:
        """Chain, fallback switch and credentials as typed values."""
        creds = None
        values = {f.removeprefix("angelone_"): getattr(self, f) for f in _ANGEL_FIELDS}
        if all(values.values()):
            from optionsintel.providers.angelone_client import AngelOneCredentials

            creds = AngelOneCredentials.from_settings(None, **values)
        chain = tuple(provider_spec(n).name for n in self.failover_chain) or None
        return ProviderConfig(
            synthetic_seed=self.seed, allow_synthetic_fallback=self.allow_synthetic_fallback,
            failover_chain=chain, angelone=creds,
            cache_dir=Path(self.cache_dir) if self.cache_dir else None,
        )  # fmt: skip


_IMPLEMENTATIONS: dict[str, type[MarketDataResource]] = {
    "synthetic": SyntheticMarketData,
    "replay": ReplayMarketData,
    "nse": LiveMarketData,
    "angelone": LiveMarketData,
    "failover": LiveMarketData,
}


def market_data_resource(source: str, **config: Any) -> MarketDataResource:
    """The implementation serving ``source``, given the fields it takes from ``config``.

    Keys of ``config`` that the implementation has no field for are ignored, so one
    set of resolved settings configures whichever source is chosen.
    """
    cls = _IMPLEMENTATIONS[provider_spec(source).name]
    fields = {k: v for k, v in config.items() if k in cls.model_fields}
    return cls(source=source, **fields)


def market_data_from_env(source: str | None = None) -> MarketDataResource:
    """The market-data resource configured from the environment, read once here.

    Angel One credentials go in as ``EnvVar`` (resolved by Dagster at run time, never
    stored in the definitions).
    """
    import os

    from optionsintel.settings import get_settings

    settings = get_settings()
    creds: dict[str, Any] = {
        field: EnvVar(f"OPTIONSINTEL_{field.upper()}")
        for field in _ANGEL_FIELDS
        if os.environ.get(f"OPTIONSINTEL_{field.upper()}")
    }
    return market_data_resource(
        source or settings.default_provider,
        interval_seconds=settings.intraday_interval_seconds,
        signals_minutes=settings.session_signals_minutes,
        seed=settings.synthetic_seed,
        allow_synthetic_fallback=settings.allow_synthetic_fallback,
        cache_dir=str(settings.cache_dir),
        **creds,
    )
