"""What the demo history is: recent synthetic trading days plus the recorded real days.

Pure planning only; ``dagster_project/materialise.py`` runs the plan through the
Dagster asset graph and ``optionsintel up`` drives both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from optionsintel.calendar import session_bounds, trading_days
from optionsintel.pipeline.collect import INDICES

DEMO_INTERVAL_SECONDS = 300


@dataclass(frozen=True)
class DemoPlan:
    """Partitions to materialise per source, and the synthetic snapshot interval."""

    days: dict[str, list[dt.date]]
    interval_seconds: int

    @property
    def n_partitions(self) -> int:
        """Total number of (source, day) partitions."""
        return sum(len(v) for v in self.days.values())


def recent_trading_days(now: pd.Timestamp, n: int) -> list[dt.date]:
    """The last ``n`` trading days whose session has closed at instant ``now``."""
    if n < 0:
        raise ValueError("n must be >= 0")
    now = pd.Timestamp(now)
    now = now.tz_localize("Asia/Kolkata") if now.tzinfo is None else now
    start = now.tz_convert("Asia/Kolkata").date() - dt.timedelta(days=max(14, 3 * n))
    days = [d.date() for d in trading_days(start, now.tz_convert("Asia/Kolkata").date())]
    closed = [d for d in days if session_bounds(d, tz="UTC")[1] <= now]
    return closed[-n:] if n else []


def replay_days(underlyings: Sequence[str] = INDICES) -> list[dt.date]:
    """Every day with a recorded real option-chain snapshot of ``underlyings``."""
    from optionsintel.providers.replay import ReplayProvider

    replay = ReplayProvider()
    return sorted({d for u in underlyings for d in replay.recorded_days(u)})


def demo_plan(
    now: pd.Timestamp | None = None,
    synthetic_days: int = 3,
    include_replay: bool = True,
    interval_seconds: int = DEMO_INTERVAL_SECONDS,
) -> DemoPlan:
    """The demo history: ``synthetic_days`` recent trading days and the replay days."""
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    days: dict[str, list[dt.date]] = {"synthetic": recent_trading_days(now, synthetic_days)}
    if include_replay:
        days["replay"] = replay_days()
    return DemoPlan(days, interval_seconds)
