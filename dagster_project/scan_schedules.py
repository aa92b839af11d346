"""One Dagster schedule per saved scan with a cron (``optionsintel scan save --schedule``).

The schedules are built from the ``saved_scans`` table when the code location loads
(reload the code location in the Dagster UI after saving or changing a schedule). Every
schedule runs ``scan_job`` for its saved scan, on NSE trading days only, in IST:

- an end-of-day cron (e.g. ``45 15 * * 1-5`` or ``0 16 * * 1-5``) fires once a day;
- an in-session cron (e.g. ``*/15 9-15 * * 1-5``) fires every N minutes, and the ticks
  outside 09:15-15:30 IST are skipped with a reason.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re

import pandas as pd

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
)
from dagster_project.resources import StoreResource
from dagster_project.scan_jobs import SCAN_TAG, scan_job, scan_run_config
from optionsintel.calendar import is_trading_day
from optionsintel.services.saved_scans import SavedScan, list_saved_scans
from optionsintel.tz import EXCHANGE_TZ

_log = logging.getLogger(__name__)
SESSION_OPEN, SESSION_CLOSE = dt.time(9, 15), dt.time(15, 30)
SAVED_SCAN_TAG = "optionsintel/saved_scan"


def schedule_name(owner: str, name: str) -> str:
    """A valid, stable Dagster name for a saved scan's schedule."""
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", f"{owner}__{name}").strip("_").lower()
    return f"scan_{slug}_schedule"


def is_in_session_cron(cron: str) -> bool:
    """True when the cron fires more than once an hour or over several hours (intraday)."""
    minute, hour = cron.split()[:2]
    return not (minute.isdigit() and hour.isdigit())


def scan_tick_decision(saved: SavedScan, scheduled: pd.Timestamp) -> RunRequest | SkipReason:
    """Run or skip the saved scan at the schedule's tick ``scheduled`` (pure, testable)."""
    local = scheduled.tz_convert(EXCHANGE_TZ)
    if not bool(is_trading_day(local.date())):
        return SkipReason(f"{local.date()} is not an NSE trading day: no scan")
    cron = saved.schedule or ""
    if is_in_session_cron(cron) and not SESSION_OPEN <= local.time() <= SESSION_CLOSE:
        return SkipReason(f"{local:%H:%M} IST is outside the session (09:15-15:30)")
    key = f"{schedule_name(saved.owner, saved.name)}-{local:%Y%m%dT%H%M}"
    config = scan_run_config(owner=saved.owner, saved_name=saved.name, name=saved.name)
    tags = {SAVED_SCAN_TAG: f"{saved.owner}/{saved.name}"}
    return RunRequest(run_key=key, run_config=config, tags=tags)


def saved_scan_schedule(saved: SavedScan) -> ScheduleDefinition:
    """The schedule of one saved scan (``saved.schedule`` is a validated five-field cron)."""

    def evaluate(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
        return scan_tick_decision(saved, pd.Timestamp(context.scheduled_execution_time))

    return ScheduleDefinition(
        name=schedule_name(saved.owner, saved.name), job=scan_job,
        cron_schedule=str(saved.schedule), execution_timezone=EXCHANGE_TZ,
        execution_fn=evaluate, default_status=DefaultScheduleStatus.RUNNING,
        description=f"Saved scan {saved.owner}/{saved.name} ({saved.schedule} IST, trading days)",
        tags={SCAN_TAG: "scheduled"},
    )  # fmt: skip


def saved_scan_schedules(store: StoreResource | None = None) -> list[ScheduleDefinition]:
    """Schedules of every scheduled saved scan; [] (logged) when the store is unreachable.

    Without an explicit ``store`` the platform store is read only inside a Dagster
    instance (``DAGSTER_HOME`` set: webserver, daemon, run workers), so importing the
    code location elsewhere never starts a database.
    """
    if store is None and not os.environ.get("DAGSTER_HOME"):
        return []
    try:
        saved = list_saved_scans((store or StoreResource()).get(), scheduled_only=True)
    except Exception as exc:  # a code location must load without its schedules
        _log.warning("saved-scan schedules not loaded: %s", str(exc).splitlines()[0][:200])
        return []
    return [saved_scan_schedule(s) for s in saved]  # scheduled_only: each has a cron
