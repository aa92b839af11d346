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

from optionsintel.services.instance import dagster_storage_url


def _url(config_value: Mapping[str, Any]) -> str:
    return dagster_storage_url(schema=config_value.get("schema", "dagster"))


class _PlatformStorage:
    """``dagster.yaml`` config for the storages below: only an optional ``schema``."""

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        """Only an optional ``schema`` (default ``dagster``)."""
        return {"schema": str}

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Mapping[str, Any]) -> Any:
        """Build from ``dagster.yaml`` with the platform database's URL."""
        return cls(postgres_url=_url(config_value), inst_data=inst_data)  # type: ignore[call-arg]


class PlatformRunStorage(_PlatformStorage, PostgresRunStorage):
    """Run storage on the platform database."""


class PlatformEventLogStorage(_PlatformStorage, PostgresEventLogStorage):
    """Event-log storage on the platform database."""


class PlatformScheduleStorage(_PlatformStorage, PostgresScheduleStorage):
    """Schedule/sensor storage on the platform database."""
