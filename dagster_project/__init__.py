"""The optionsintel Dagster code location: ``defs`` for ``dagster dev -w workspace.yaml``.

Orchestration only: every asset is a short adapter over ``optionsintel.transforms``,
``optionsintel.collect`` or ``optionsintel.services``.
"""

from __future__ import annotations

import warnings

from dagster import Definitions
from dagster_project.assets import ALL_ASSETS
from dagster_project.checks import ALL_CHECKS
from dagster_project.jobs import ALL_JOBS
from dagster_project.resources import StoreResource, market_data_from_env
from dagster_project.scan_jobs import SCAN_JOBS
from dagster_project.scan_schedules import saved_scan_schedules
from dagster_project.schedules import ALL_SCHEDULES
from dagster_project.sensors import ALL_SENSORS

# Dagster 1.13 passes ``owners=None`` to SensorDefinition itself and then warns that the
# parameter is in beta each time a sensor definition is copied; we do not use it.
warnings.filterwarnings("ignore", message="Parameter `owners` of initializer `SensorDefinition")


def build_definitions(store: StoreResource | None = None, market=None) -> Definitions:  # type: ignore[no-untyped-def]
    """The code location's definitions, with injectable resources (tests, ``optionsintel up``).

    Saved scans with a cron get one schedule each (``scan_schedules``), read from ``store``.
    """
    return Definitions(
        assets=ALL_ASSETS,
        asset_checks=ALL_CHECKS,
        jobs=[*ALL_JOBS, *SCAN_JOBS],
        schedules=[*ALL_SCHEDULES, *saved_scan_schedules(store)],
        sensors=ALL_SENSORS,
        resources={"store": store or StoreResource(), "market": market or market_data_from_env()},
    )


defs = build_definitions()
