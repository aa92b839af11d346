"""Weekly maintenance: retention of intraday raw data, VACUUM/ANALYZE and a report."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optionsintel.store import Store

RETENTION_DAYS = 90


@dataclass
class MaintenanceReport:
    """What a maintenance run did."""

    cutoff: dt.date
    dropped: dict[str, list[str]] = field(default_factory=dict)
    vacuumed: list[str] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_markdown(self) -> str:
        """A short human report."""
        lines = [f"# Maintenance report (retention cutoff {self.cutoff})", "",
                 "| table | partitions dropped | rows now |", "|---|---|---|"]  # fmt: skip
        for table in sorted(self.row_counts):
            lines.append(
                f"| {table} | {len(self.dropped.get(table, []))} | {self.row_counts[table]} |"
            )
        lines.append(f"\nVACUUM (ANALYZE) on {len(self.vacuumed)} tables in {self.seconds:.1f}s.")
        return "\n".join(lines)


def retention_cutoff(today: dt.date, days: int = RETENTION_DAYS) -> dt.date:
    """First IST day kept: partitions of days strictly before it are dropped."""
    if days < 1:
        raise ValueError("retention must keep at least one day")
    return today - dt.timedelta(days=days)


def run_maintenance(
    store: Store, today: dt.date, retention_days: int = RETENTION_DAYS
) -> MaintenanceReport:
    """Retention, then VACUUM/ANALYZE, then row counts: the weekly maintenance."""
    start = time.perf_counter()
    report = MaintenanceReport(retention_cutoff(today, retention_days))
    report.dropped = store.drop_partitions_before(report.cutoff)
    report.vacuumed = store.vacuum_analyze()
    report.row_counts = store.table_counts()
    report.seconds = time.perf_counter() - start
    return report
