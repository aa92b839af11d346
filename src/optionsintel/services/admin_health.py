"""Platform health for the admin dashboard: Dagster, processes, versions, configuration.

Dagster is asked over HTTP, through its webserver's GraphQL endpoint (``/graphql``):
the library never imports Dagster. When the webserver is not running the answer says
so (``up=False`` and the reason) instead of raising.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import SecretStr

from optionsintel.auth import Permission
from optionsintel.services.identity import Identity, authorise

if TYPE_CHECKING:
    from optionsintel.settings import Settings
    from optionsintel.store import Store

__all__ = ["DagsterHealth", "config_in_effect", "dagster_health", "outbox", "processes",
           "versions"]  # fmt: skip

DAGSTER_URL = "http://127.0.0.1:3000"
MAIN_PACKAGES = ("optionsintel", "pandas", "numpy", "sqlalchemy", "psycopg", "pydantic",
                 "dagster", "dagster-webserver", "voila", "ipywidgets", "plotly", "fastapi",
                 "uvicorn", "vectorbt", "alembic")  # fmt: skip

_QUERY = """
{ runsOrError(limit: 25) { __typename
    ... on Runs { results { runId jobName status startTime endTime } }
    ... on PythonError { message } }
  repositoriesOrError { __typename
    ... on RepositoryConnection { nodes { name
        schedules { name scheduleState { status ticks(limit: 1) { status timestamp } } }
        sensors { name sensorState { status ticks(limit: 1) { status timestamp } } } } }
    ... on PythonError { message } } }
"""


@dataclass
class DagsterHealth:
    """What the Dagster webserver reported (``up`` False with ``error`` when unreachable)."""

    url: str
    up: bool
    error: str = ""
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)
    instigators: pd.DataFrame = field(default_factory=pd.DataFrame)


def _post_json(url: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return dict(json.loads(resp.read()))


def _ts(x: Any) -> pd.Timestamp | None:
    return None if x is None else pd.Timestamp(float(x), unit="s", tz="UTC")


def _runs(payload: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for r in payload.get("results", []):
        start, end = _ts(r.get("startTime")), _ts(r.get("endTime"))
        secs = (end - start).total_seconds() if start is not None and end is not None else None
        rows.append({"job": r["jobName"], "status": r["status"], "started": start,
                     "seconds": secs, "run_id": r["runId"]})  # fmt: skip
    return pd.DataFrame(rows, columns=["job", "status", "started", "seconds", "run_id"])


def _instigators(payload: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for repo in payload.get("nodes", []):
        for kind, state in (("schedule", "scheduleState"), ("sensor", "sensorState")):
            for item in repo.get(f"{kind}s", []):
                st = item.get(state) or {}
                tick = (st.get("ticks") or [{}])[0]
                rows.append({"kind": kind, "name": item["name"], "status": st.get("status"),
                             "last_tick": _ts(tick.get("timestamp")),
                             "last_tick_status": tick.get("status")})  # fmt: skip
    return pd.DataFrame(rows, columns=["kind", "name", "status", "last_tick", "last_tick_status"])


def dagster_health(url: str = DAGSTER_URL, timeout: float = 3.0) -> DagsterHealth:
    """Latest runs and schedules/sensors from the Dagster webserver at ``url``."""
    try:
        answer = _post_json(f"{url.rstrip('/')}/graphql", {"query": _QUERY}, timeout)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return DagsterHealth(url, False, f"Dagster UI not running at {url} ({reason})")
    data = answer.get("data") or {}
    if answer.get("errors"):
        return DagsterHealth(url, True, f"Dagster answered with errors: "
                             f"{answer['errors'][0].get('message', '')[:200]}")  # fmt: skip
    return DagsterHealth(url, True, "", _runs(data.get("runsOrError") or {}),
                         _instigators(data.get("repositoriesOrError") or {}))  # fmt: skip


def processes(urls: dict[str, str], timeout: float = 2.0) -> pd.DataFrame:
    """Each background process by name: its URL and whether it answers HTTP."""
    rows = []
    for name, url in urls.items():
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                up, detail = True, f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:  # it answered: the process is up
            up, detail = True, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            up, detail = False, str(getattr(exc, "reason", exc))
        rows.append({"process": name, "url": url, "up": up, "detail": detail})
    return pd.DataFrame(rows, columns=["process", "url", "up", "detail"])


def versions() -> dict[str, str]:
    """Installed versions of the platform and its main dependencies (metadata only)."""
    out = {}
    for name in MAIN_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def config_in_effect(identity: Identity, settings: Settings) -> dict[str, str]:
    """The settings in effect, every secret masked (needs ``system:metrics``)."""
    authorise(identity, Permission.SYSTEM_METRICS)
    out = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = "•••••• (set)" if value.get_secret_value() else "(empty)"
        out[name] = "(not set)" if value is None else str(value)
    return out


def outbox(store: Store, identity: Identity, limit: int = 200) -> pd.DataFrame:
    """Alert notifications not sent yet or given up on (PENDING, SENDING, FAILED)."""
    authorise(identity, Permission.SYSTEM_METRICS)
    cols = ["dedupe_key", "owner", "rule_name", "channel", "status", "attempts", "last_error",
            "created_at", "next_attempt_at"]  # fmt: skip
    return store.read("alert_notifications", where={"status": ["PENDING", "SENDING", "FAILED"]},
                      columns=cols, order_by=["-created_at"], limit=limit)  # fmt: skip
