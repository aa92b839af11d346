"""Saved scans: a named spec per owner, an optional cron schedule, rerun on demand.

The Dagster schedule per saved scan reads :func:`list_saved_scans` (those with a
``schedule``) and calls :func:`rerun_saved_scan`; each run's matches feed the alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from optionsintel.errors import ScanSpecError
from optionsintel.scans import ScanSpec
from optionsintel.scans.spec import validate_cron
from optionsintel.services.bulk import Progress
from optionsintel.services.scans import DEFAULT_BATCH, ScanRun, run_scan
from optionsintel.services.watchlists import check_name
from optionsintel.store import Store
from optionsintel.store import scans as repo


@dataclass(frozen=True)
class SavedScan:
    """A stored scan."""

    owner: str
    name: str
    spec: ScanSpec
    schedule: str | None
    description: str | None
    last_run_id: str | None


def save_scan(
    store: Store,
    owner: str,
    name: str,
    spec: ScanSpec,
    *,
    schedule: str | None = None,
    description: str | None = None,
) -> SavedScan:
    """Create or replace a saved scan (``schedule``: five-field cron, None = on demand).

    Raises
    ------
    ScanSpecError
        A bad schedule; WatchlistError-style name errors for a bad owner/name.
    """
    owner, name = check_name(owner, name)
    cron = None if schedule in (None, "") else validate_cron(str(schedule))
    if not isinstance(spec, ScanSpec):
        raise ScanSpecError("save_scan needs a ScanSpec (optionsintel.scans.scan_spec)")
    row = {"owner": owner, "name": name, "spec": spec.to_json(), "schedule": cron,
           "description": (description or None) and str(description)[:2000],
           "updated_at": pd.Timestamp.now(tz="UTC")}  # fmt: skip
    previous = repo.read_saved_scans(store, owner=owner, name=name)
    if not previous.empty:
        row["last_run_id"] = previous["last_run_id"].iloc[0]
    store.write("saved_scans", pd.DataFrame([row]))
    return load_saved_scan(store, owner, name)


def _from_row(r: Any) -> SavedScan:
    def text(v: Any) -> str | None:
        return v if isinstance(v, str) and v else None

    return SavedScan(str(r.owner), str(r.name), ScanSpec.from_json(r.spec), text(r.schedule),
                     text(r.description), text(r.last_run_id))  # fmt: skip


def load_saved_scan(store: Store, owner: str, name: str) -> SavedScan:
    """One saved scan; :class:`ScanSpecError` when absent."""
    owner, name = check_name(owner, name)
    rows = repo.read_saved_scans(store, owner=owner, name=name)
    if rows.empty:
        raise ScanSpecError(f"no saved scan {name!r} of {owner!r}")
    return _from_row(next(rows.itertuples()))


def list_saved_scans(
    store: Store, *, owner: str | None = None, scheduled_only: bool = False
) -> list[SavedScan]:
    """Saved scans, by owner and name (``scheduled_only``: those with a schedule)."""
    rows = [_from_row(r) for r in repo.read_saved_scans(store, owner=owner).itertuples()]
    return [s for s in rows if s.schedule] if scheduled_only else rows


def delete_saved_scan(store: Store, owner: str, name: str) -> None:
    """Delete a saved scan; :class:`ScanSpecError` when absent."""
    owner, name = check_name(owner, name)
    with store.transaction() as writer:
        if not repo.delete_saved_scan(writer, owner, name):
            raise ScanSpecError(f"no saved scan {name!r} of {owner!r}")


def rerun_saved_scan(
    store: Store,
    owner: str,
    name: str,
    *,
    as_of: Any = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
) -> ScanRun:
    """Run a saved scan now (or ``as_of`` a past instant); records it as the latest run."""
    saved = load_saved_scan(store, owner, name)
    spec = saved.spec if as_of is None else saved.spec.model_copy(update={"as_of": None})
    if as_of is not None:
        spec = ScanSpec.from_json({**spec.to_json(), "as_of": str(pd.Timestamp(as_of))})
    run = run_scan(store, spec, name=name, batch_size=batch_size, progress=progress,
                   requested_by=owner)  # fmt: skip
    repo.set_last_run(store, owner, name, run.run_id)
    return run
