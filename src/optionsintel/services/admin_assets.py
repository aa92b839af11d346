"""Asset freshness and asset-check results for the admin dashboard, from Dagster's GraphQL.

Two requests to the webserver's ``/graphql``: the asset nodes (latest materialisation,
Dagster's own freshness lag when a policy is set, the schedules targeting each asset
with their last due tick as Dagster computes it, and the checks defined), then every
check's recent executions in one aliased query whose asset keys and check names travel
as GraphQL variables (never pasted into the query text). A Dagster that is down or
answers with errors gives ``up``/``error`` instead of raising.
"""

from __future__ import annotations

import urllib.error
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optionsintel.services.admin_health import (
    DagsterGraphQLError,
    dagster_graphql,
    dagster_instant,
)

__all__ = ["AssetHealth", "asset_health"]

#: Grace after a schedule's due tick before an asset not materialised since is overdue.
GRACE = pd.Timedelta(hours=1)
#: Executions read per check (a planned row and an evaluation per partition run).
EXECUTIONS = 40

_NODES = """
query AdminAssets($now: Float!) { assetNodes { assetKey { path } isPartitioned
  assetMaterializations(limit: 1) { timestamp partition runId }
  freshnessInfo { currentMinutesLate }
  targetingInstigators { __typename ... on Schedule { name
      scheduleState { status } potentialTickTimestamps(startTimestamp: $now, lowerLimit: 1,
                                                       upperLimit: 1) } }
  assetChecksOrError { __typename ... on AssetChecks { checks { name blocking } } } } }
"""
_EXEC_FIELDS = ("{ runId status timestamp partition "
                "evaluation { severity success description partition timestamp } }")  # fmt: skip

FRESHNESS_COLUMNS = ["asset", "state", "last_materialized", "last_partition", "schedule",
                     "due_since", "partitioned"]  # fmt: skip
CHECK_COLUMNS = ["asset", "check", "partition", "result", "severity", "evaluated", "blocking",
                 "description", "run_id"]  # fmt: skip


@dataclass
class AssetHealth:
    """Freshness per asset and the latest check result per check and partition."""

    url: str
    up: bool
    error: str = ""
    freshness: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FRESHNESS_COLUMNS))
    checks: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CHECK_COLUMNS))


def _due_tick(instigators: list[dict[str, Any]], now: float) -> tuple[str, pd.Timestamp | None]:
    """The running schedules' names and their latest due tick at or before ``now``."""
    names, due = [], None
    for ins in instigators:
        if ins.get("__typename") != "Schedule":
            continue
        running = (ins.get("scheduleState") or {}).get("status") == "RUNNING"
        names.append(ins["name"] + ("" if running else " (stopped)"))
        past = [t for t in ins.get("potentialTickTimestamps") or [] if t <= now]
        if running and past:
            tick = dagster_instant(max(past))
            due = tick if due is None or tick > due else due
    return ", ".join(names), due


def _state(last: pd.Timestamp | None, due: pd.Timestamp | None, late: Any,
           now: pd.Timestamp, schedule: str) -> str:  # fmt: skip
    if last is None:
        return "never materialised"
    if late is not None and late > 0:
        return f"overdue ({late:.0f} min late, freshness policy)"
    if due is not None and last < due and now - due > GRACE:
        return "overdue (not materialised since its schedule's last tick)"
    if due is None and late is None:
        return "no running schedule" if schedule else "no schedule"
    return "fresh"


def _freshness(nodes: list[dict[str, Any]], now: pd.Timestamp) -> pd.DataFrame:
    rows = []
    for n in nodes:
        mat = (n.get("assetMaterializations") or [None])[0]
        last = None if mat is None else pd.Timestamp(int(mat["timestamp"]), unit="ms", tz="UTC")
        schedule, due = _due_tick(n.get("targetingInstigators") or [], now.timestamp())
        late = (n.get("freshnessInfo") or {}).get("currentMinutesLate")
        state = _state(last, due, late, now, schedule)
        rows.append({"asset": "/".join(n["assetKey"]["path"]), "state": state,
                     "last_materialized": last, "last_partition": (mat or {}).get("partition"),
                     "schedule": schedule, "due_since": due,
                     "partitioned": bool(n.get("isPartitioned"))})  # fmt: skip
    return pd.DataFrame(rows, columns=FRESHNESS_COLUMNS).sort_values("asset", ignore_index=True)


def _check_list(nodes: list[dict[str, Any]]) -> list[tuple[list[str], str, bool]]:
    out = []
    for n in nodes:
        checks = n.get("assetChecksOrError") or {}
        for c in checks.get("checks", []) if checks.get("__typename") == "AssetChecks" else []:
            out.append((n["assetKey"]["path"], c["name"], bool(c.get("blocking"))))
    return out


def _latest_per_partition(asset: str, check: str, blocking: bool,
                          execs: list[dict[str, Any]]) -> list[dict[str, Any]]:  # fmt: skip
    """One row per partition: the newest evaluation (its partition from its run if unset)."""
    run_partition = {e["runId"]: e["partition"] for e in execs if e.get("partition")}
    seen: dict[Any, dict[str, Any]] = {}
    for e in sorted(execs, key=lambda e: e["timestamp"], reverse=True):
        ev = e.get("evaluation")
        if ev is None and e["status"] not in ("EXECUTION_FAILED",):
            continue  # planned/skipped/in progress: no result yet
        part = (ev or {}).get("partition") or e.get("partition") or run_partition.get(e["runId"])
        if part in seen:
            continue
        passed = bool(ev and ev["success"])
        seen[part] = {"asset": asset, "check": check, "partition": part,
                      "result": "passed" if passed else "FAILED",
                      "severity": (ev or {}).get("severity", "ERROR"),
                      "evaluated": dagster_instant((ev or e)["timestamp"]), "blocking": blocking,
                      "description": (ev or {}).get("description") or
                      ("the check itself failed to run" if ev is None else ""),
                      "run_id": e["runId"]}  # fmt: skip
    return list(seen.values())


def _checks(url: str, nodes: list[dict[str, Any]], timeout: float) -> pd.DataFrame:
    wanted = _check_list(nodes)
    if not wanted:
        return pd.DataFrame(columns=CHECK_COLUMNS)
    params = ", ".join(f"$k{i}: AssetKeyInput!, $n{i}: String!" for i in range(len(wanted)))
    body = " ".join(f"c{i}: assetCheckExecutions(assetKey: $k{i}, checkName: $n{i}, "
                    f"limit: {EXECUTIONS}) {_EXEC_FIELDS}" for i in range(len(wanted)))  # fmt: skip
    variables: dict[str, Any] = {}
    for i, (path, name, _b) in enumerate(wanted):
        variables |= {f"k{i}": {"path": path}, f"n{i}": name}
    data = dagster_graphql(url, f"query AdminChecks({params}) {{ {body} }}", variables, timeout)
    rows = []
    for i, (path, name, blocking) in enumerate(wanted):
        rows += _latest_per_partition("/".join(path), name, blocking, data.get(f"c{i}") or [])
    frame = pd.DataFrame(rows, columns=CHECK_COLUMNS)
    return frame.sort_values(["evaluated", "asset", "check"], ascending=[False, True, True],
                             ignore_index=True)  # fmt: skip


def asset_health(url: str, now: pd.Timestamp | None = None, timeout: float = 5.0) -> AssetHealth:
    """Freshness of every asset and its checks' latest result per partition, from ``url``."""
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    try:
        data = dagster_graphql(url, _NODES, {"now": now.timestamp()}, timeout)
        nodes = data.get("assetNodes") or []
        return AssetHealth(url, True, "", _freshness(nodes, now), _checks(url, nodes, timeout))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return AssetHealth(url, False, f"Dagster UI not running at {url} ({reason})")
    except (DagsterGraphQLError, KeyError, TypeError) as exc:
        return AssetHealth(url, True, f"Dagster asset health unavailable: {exc}")
