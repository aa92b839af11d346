"""Platform health for the admin dashboard: Dagster, processes, versions, configuration.

Dagster is asked over HTTP, through its webserver's GraphQL endpoint (``/graphql``):
the library never imports Dagster. When the webserver is not running the answer says
so (``up=False`` and the reason) instead of raising.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import SecretStr

from optionsintel.auth import Permission
from optionsintel.calendar import is_market_open
from optionsintel.errors import InputError
from optionsintel.services import audit
from optionsintel.services.identity import Identity, authorise
from optionsintel.services.maintenance import RETENTION_DAYS, retention_cutoff
from optionsintel.store import Now
from optionsintel.store.notify import ALERTS_CHANNEL, notify

if TYPE_CHECKING:
    from optionsintel.settings import Settings
    from optionsintel.store import Store

__all__ = [
    "INTRADAY_JOB",
    "DagsterGraphQLError",
    "DagsterHealth",
    "config_in_effect",
    "daemon_process",
    "dagster_health",
    "dagster_ui_url",
    "data_volume",
    "database_usage",
    "dispatcher_process",
    "intraday_state",
    "outbox",
    "processes",
    "provider_metrics",
    "provider_timeline",
    "retry_notification",
    "run_url",
    "versions",
]  # fmt: skip

#: The Dagster job that collects chains during market hours (dagster_project.jobs).
INTRADAY_JOB = "intraday_collection_job"

DAGSTER_URL = "http://127.0.0.1:3000"
MAIN_PACKAGES = ("optionsintel", "pandas", "numpy", "sqlalchemy", "psycopg", "pydantic",
                 "dagster", "dagster-webserver", "voila", "ipywidgets", "plotly", "fastapi",
                 "uvicorn", "vectorbt", "alembic")  # fmt: skip

_QUERY = """
{ runsOrError(limit: 25) { __typename
    ... on Runs { results { runId jobName status startTime endTime } }
    ... on PythonError { message } }
  failedRuns: runsOrError(filter: {statuses: [FAILURE]}, limit: 10) { __typename
    ... on Runs { results { runId jobName status startTime endTime
        eventConnection(limit: 500) { events { __typename
            ... on ExecutionStepFailureEvent { stepKey error { message } }
            ... on RunFailureEvent { message error { message } } } } } }
    ... on PythonError { message } }
  repositoriesOrError { __typename
    ... on RepositoryConnection { nodes { name location { name }
        schedules { name scheduleState { status ticks(limit: 1) { status timestamp } } }
        sensors { name sensorState { status ticks(limit: 1) { status timestamp } } } } }
    ... on PythonError { message } }
  instance { daemonHealth { allDaemonStatuses {
      daemonType required healthy lastHeartbeatTime } } } }
"""
INSTIGATOR_COLUMNS = ["kind", "name", "status", "last_tick", "last_tick_status", "url"]
FAILURE_COLUMNS = ["job", "status", "started", "seconds", "error", "run_id"]
DAEMON_COLUMNS = ["daemon", "required", "healthy", "last_heartbeat"]


@dataclass
class DagsterHealth:
    """What the Dagster webserver reported (``up`` False with ``error`` when unreachable)."""

    url: str
    up: bool
    error: str = ""
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)
    failures: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FAILURE_COLUMNS))
    instigators: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=INSTIGATOR_COLUMNS)
    )
    daemons: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DAEMON_COLUMNS))


class DagsterGraphQLError(RuntimeError):
    """The Dagster webserver answered, with GraphQL errors (its first message, cut short)."""


def dagster_graphql(
    url: str, query: str, variables: dict[str, Any] | None, timeout: float
) -> dict[str, Any]:
    """POST ``query`` (with ``variables`` as GraphQL variables) to the webserver at ``url``.

    Returns the answer's ``data``. Raises :class:`DagsterGraphQLError` when the answer
    carries ``errors`` (the one place that check lives), and ``urllib``'s
    ``URLError``/``OSError`` (or ``ValueError`` for a body that is not JSON) when the
    webserver cannot be asked.
    """
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    data = json.dumps(body).encode()
    req = urllib.request.Request(
        f"{url.rstrip('/')}/graphql", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        answer = dict(json.loads(resp.read()))
    if answer.get("errors"):
        first = answer["errors"][0]
        message = first.get("message", "") if isinstance(first, dict) else str(first)
        raise DagsterGraphQLError(str(message)[:200])
    return dict(answer.get("data") or {})


def dagster_instant(x: Any) -> pd.Timestamp | None:
    """A Dagster timestamp (seconds since the epoch, or None) as a UTC instant."""
    return None if x is None else pd.Timestamp(float(x), unit="s", tz="UTC")


def _runs(payload: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for r in payload.get("results", []):
        start, end = dagster_instant(r.get("startTime")), dagster_instant(r.get("endTime"))
        secs = (end - start).total_seconds() if start is not None and end is not None else None
        rows.append({"job": r["jobName"], "status": r["status"], "started": start,
                     "seconds": secs, "run_id": r["runId"]})  # fmt: skip
    return pd.DataFrame(rows, columns=["job", "status", "started", "seconds", "run_id"])


def dagster_ui_url(base: str, *parts: str, query: str = "") -> str:
    """A page of the Dagster UI at ``base``: ``parts`` are path segments, each URL-quoted.

    >>> dagster_ui_url("http://h:3000/", "assets", "a b", query="view=checks")
    'http://h:3000/assets/a%20b?view=checks'
    """
    path = "/".join(urllib.parse.quote(p, safe="@") for p in parts)
    return f"{base.rstrip('/')}/{path}" + (f"?{query}" if query else "")


def _run_error(events: list[dict[str, Any]]) -> str:
    """The first failed step's error (``step: message``), else the run failure's message."""
    for e in events:
        if e.get("__typename") == "ExecutionStepFailureEvent":
            text = ((e.get("error") or {}).get("message") or "").strip().splitlines()
            return f"{e.get('stepKey') or 'step'}: {text[0] if text else 'failed'}"[:300]
    for e in events:
        if e.get("__typename") == "RunFailureEvent":
            error = (e.get("error") or {}).get("message") or e.get("message") or ""
            return str(error).strip().splitlines()[0][:300] if error.strip() else "run failed"
    return "no failure event among the run's first 500 events: see the run's page"


def _failures(payload: dict[str, Any]) -> pd.DataFrame:
    found = payload.get("results", [])
    frame = _runs(payload)
    errors = [_run_error((r.get("eventConnection") or {}).get("events") or []) for r in found]
    return frame.assign(error=errors)[FAILURE_COLUMNS]


def _instigators(payload: dict[str, Any], base: str) -> pd.DataFrame:
    rows = []
    for repo in payload.get("nodes", []):
        location = str((repo.get("location") or {}).get("name") or "")
        for kind, state in (("schedule", "scheduleState"), ("sensor", "sensorState")):
            for item in repo.get(f"{kind}s", []):
                st = item.get(state) or {}
                tick = (st.get("ticks") or [{}])[0]
                # the Dagster UI's address of a schedule or sensor: repository@location, or
                # the location alone for the implicit repository of a Definitions object
                dunder = repo["name"] == "__repository__"
                address = location if dunder else f"{repo['name']}@{location}"
                url = dagster_ui_url(base, "locations", address, f"{kind}s", item["name"])
                rows.append({"kind": kind, "name": item["name"], "status": st.get("status"),
                             "last_tick": dagster_instant(tick.get("timestamp")),
                             "last_tick_status": tick.get("status"),
                             "url": url if location else ""})  # fmt: skip
    return pd.DataFrame(rows, columns=INSTIGATOR_COLUMNS)


def _daemons(payload: dict[str, Any]) -> pd.DataFrame:
    statuses = (payload.get("daemonHealth") or {}).get("allDaemonStatuses") or []
    rows = [{"daemon": d["daemonType"], "required": bool(d.get("required")),
             "healthy": bool(d.get("healthy")),
             "last_heartbeat": dagster_instant(d.get("lastHeartbeatTime"))}
            for d in statuses]  # fmt: skip
    return pd.DataFrame(rows, columns=DAEMON_COLUMNS).sort_values("daemon", ignore_index=True)


def daemon_process(health: DagsterHealth) -> dict[str, Any]:
    """The Dagster daemon as a row of :func:`processes`.

    Up when every required daemon is healthy (Dagster's own heartbeat check).
    """
    row = {"process": "Dagster daemon", "url": dagster_ui_url(health.url, "health")}
    if not health.up or health.error:
        return row | {"up": False, "detail": health.error or "Dagster not reachable"}
    need = health.daemons[health.daemons["required"]] if not health.daemons.empty else None
    if need is None or need.empty:
        return row | {"up": False, "detail": "Dagster reported no daemon"}
    sick = need.loc[~need["healthy"], "daemon"].tolist()
    return row | {"up": not sick,
                  "detail": f"not healthy: {', '.join(sick)}" if sick
                  else f"{len(need)} daemons healthy"}  # fmt: skip


def dispatcher_process(store: Store, identity: Identity) -> dict[str, Any]:
    """The alert dispatcher as a row of :func:`processes` (needs ``system:metrics``).

    Up while a process that named its database sessions
    ``services.dispatch.APPLICATION_NAME`` is connected.
    """
    from optionsintel.services.dispatch import APPLICATION_NAME
    from optionsintel.store.sysinfo import connected_clients

    authorise(identity, Permission.SYSTEM_METRICS)
    sessions = connected_clients(store, APPLICATION_NAME)
    detail = (f"{len(sessions)} database sessions, since "
              f"{pd.Timestamp(sessions['backend_start'].min()):%d %b %H:%M:%S %Z}"
              if not sessions.empty else "no dispatcher connected to the database")  # fmt: skip
    return {"process": "Alert dispatcher", "url": f"postgresql session {APPLICATION_NAME}",
            "up": not sessions.empty, "detail": detail}  # fmt: skip


def dagster_health(url: str = DAGSTER_URL, timeout: float = 3.0) -> DagsterHealth:
    """What the Dagster webserver at ``url`` says about the pipeline.

    The latest runs, the latest failed runs with their error (the first failed step's, or
    the run failure's message), schedules and sensors with their last tick and UI link,
    and the daemons' health.
    """
    try:
        data = dagster_graphql(url, _QUERY, None, timeout)
    except DagsterGraphQLError as exc:
        return DagsterHealth(url, True, f"Dagster answered with errors: {exc}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return DagsterHealth(url, False, f"Dagster UI not running at {url} ({reason})")
    try:
        return DagsterHealth(url, True, "", _runs(data.get("runsOrError") or {}),
                             _failures(data.get("failedRuns") or {}),
                             _instigators(data.get("repositoriesOrError") or {}, url),
                             _daemons(data.get("instance") or {}))  # fmt: skip
    except (KeyError, TypeError, AttributeError) as exc:  # a Dagster of another shape
        return DagsterHealth(url, True, f"Dagster's answer lacks a field this page reads ({exc})")


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


def run_url(base: str, run_id: str) -> str:
    """The Dagster UI page of one run."""
    return f"{base.rstrip('/')}/runs/{run_id}"


def intraday_state(runs: pd.DataFrame, now: pd.Timestamp) -> tuple[str, str]:
    """``(kind, text)`` of the intraday collection: ok/warn/info and one line.

    During market hours a collection run should be STARTED (or queued); outside them
    the last run's status is shown for information.
    """
    mine = runs[runs["job"] == INTRADAY_JOB] if not runs.empty else runs
    last = None if mine.empty else mine.sort_values("started", na_position="first").iloc[-1]
    said = (
        "no intraday collection run yet"
        if last is None
        else (f"latest intraday collection run {last['run_id']} is {last['status']}")
    )
    if not bool(is_market_open(now)):
        return "info", f"Market closed: {said}."
    running = last is not None and last["status"] in ("STARTED", "STARTING", "QUEUED")
    return ("ok" if running else "warn"), f"Market open: {said}."


def data_volume(store: Store, identity: Identity, today: Any = None) -> dict[str, Any]:
    """Today's rows per intraday dataset and provider, partitions and sizes, retention.

    Returns ``{"day", "today", "partitions", "retention_days", "retention_cutoff"}``
    (needs ``system:metrics``).
    """
    from optionsintel.store.sysinfo import day_counts, partition_sizes

    authorise(identity, Permission.SYSTEM_METRICS)
    day = today or pd.Timestamp.now(tz="Asia/Kolkata").date()
    return {"day": day, "today": day_counts(store, day), "partitions": partition_sizes(store),
            "retention_days": RETENTION_DAYS,
            "retention_cutoff": retention_cutoff(day, RETENTION_DAYS)}  # fmt: skip


def database_usage(store: Store, identity: Identity) -> tuple[int, pd.DataFrame]:
    """Bytes of the database and its largest tables (needs ``system:metrics``)."""
    from optionsintel.store.sysinfo import database_size, table_sizes

    authorise(identity, Permission.SYSTEM_METRICS)
    return database_size(store), table_sizes(store)


def provider_metrics(store: Store, identity: Identity, since: pd.Timestamp) -> pd.DataFrame:
    """``data_source_metrics`` rows since ``since`` (needs ``system:metrics``)."""
    authorise(identity, Permission.SYSTEM_METRICS)
    return store.read("data_source_metrics", start=since, time_column="ts")


#: Breaker states as a level for charts (stored names are case-insensitive).
BREAKER_LEVEL = {"closed": 0, "half_open": 1, "open": 2}
TIMELINE_COLUMNS = ["provider", "ts", "requests", "failures", "error_rate_%", "avg_latency_ms",
                    "p95_latency_ms", "breaker_state", "breaker_level"]  # fmt: skip


def provider_timeline(metrics: pd.DataFrame, bucket: str = "15min") -> pd.DataFrame:
    """Per provider and ``bucket`` of ``data_source_metrics`` rows: what the day chart draws.

    ``requests``/``failures`` are summed, ``error_rate_%`` is ``100 * failures / requests``
    (empty without requests), ``avg_latency_ms`` is the request-weighted mean of the rows'
    averages, ``p95_latency_ms`` the largest p95 reported in the bucket (the rows' own
    percentiles cannot be merged exactly, so the worst one is shown), ``breaker_state``
    the last reported state (lower case) and ``breaker_level`` 0 closed, 1 half open, 2 open.
    """
    if metrics.empty:
        return pd.DataFrame(columns=TIMELINE_COLUMNS)
    m = metrics.sort_values("ts").assign(
        ts=lambda f: pd.to_datetime(f["ts"], utc=True).dt.floor(bucket),
        weighted=lambda f: f["avg_latency_ms"] * f["requests"],
        lat_requests=lambda f: f["requests"].where(f["avg_latency_ms"].notna(), 0),
        breaker_state=lambda f: f["breaker_state"].str.lower(),
    )
    out = m.groupby(["provider", "ts"]).agg(
        requests=("requests", "sum"), failures=("failures", "sum"),
        weighted=("weighted", "sum"), lat_requests=("lat_requests", "sum"),
        p95_latency_ms=("p95_latency_ms", "max"), breaker_state=("breaker_state", "last"),
    ).reset_index()  # fmt: skip
    out["error_rate_%"] = 100.0 * out["failures"] / out["requests"].where(out["requests"] > 0)
    out["avg_latency_ms"] = out["weighted"] / out["lat_requests"].where(out["lat_requests"] > 0)
    out["breaker_level"] = out["breaker_state"].map(BREAKER_LEVEL)
    return out[TIMELINE_COLUMNS]


def retry_notification(store: Store, identity: Identity, dedupe_key: str) -> bool:
    """Queue a FAILED notification again: PENDING, attempts 0, due now; audited.

    A compare-and-set FAILED -> PENDING (the dispatcher's own state transition), so a
    row that is not FAILED any more is left alone (False). Raises
    :class:`~optionsintel.errors.RecordNotFoundError` for an unknown key.
    """
    authorise(identity, Permission.SYSTEM_METRICS)
    key = dedupe_key.strip()
    if not key:
        raise InputError("give the notification's dedupe key (first column of the outbox)")
    with store.transaction() as tx:
        moved = tx.transition("alert_notifications", {"dedupe_key": key}, "FAILED", "PENDING",
                              attempts=0, next_attempt_at=Now(), claimed_by=None)  # fmt: skip
        if moved:
            audit.record(tx, identity.username, "alert.retry", key)
            notify(tx, ALERTS_CHANNEL)  # wake an idle dispatcher
    return moved
