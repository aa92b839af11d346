"""Dagster instance storages on the platform's PostgreSQL (referenced from ``dagster.yaml``).

Each class is the dagster-postgres storage with its URL resolved by optionsintel at
start-up (embedded server or ``DATABASE_URL``, schema ``dagster``), so ``dagster dev``
needs no URL in its configuration and every Dagster process (webserver, daemon, run
workers) shares the same durable runs, event logs and schedules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from optionsintel.pipeline.instance import dagster_storage_url


def _url(config_value: Mapping[str, Any]) -> str:
    return dagster_storage_url(schema=config_value.get("schema", "dagster"))


class PlatformRunStorage(PostgresRunStorage):
    """Run storage on the platform database."""

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        """Only an optional ``schema`` (default ``dagster``)."""
        return {"schema": str}

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: Any, config_value: Mapping[str, Any]
    ) -> PlatformRunStorage:
        """Build from ``dagster.yaml``."""
        return cls(postgres_url=_url(config_value), inst_data=inst_data)


class PlatformEventLogStorage(PostgresEventLogStorage):
    """Event-log storage on the platform database."""

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        """Only an optional ``schema`` (default ``dagster``)."""
        return {"schema": str}

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: Any, config_value: Mapping[str, Any]
    ) -> PlatformEventLogStorage:
        """Build from ``dagster.yaml``."""
        return cls(postgres_url=_url(config_value), inst_data=inst_data)


class PlatformScheduleStorage(PostgresScheduleStorage):
    """Schedule/sensor storage on the platform database."""

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        """Only an optional ``schema`` (default ``dagster``)."""
        return {"schema": str}

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: Any, config_value: Mapping[str, Any]
    ) -> PlatformScheduleStorage:
        """Build from ``dagster.yaml``."""
        return cls(postgres_url=_url(config_value), inst_data=inst_data)
