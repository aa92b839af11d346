"""The administration dashboard (Voila app ``notebooks/admin.ipynb``), ADMIN and above.

Tabs: pipeline (Dagster runs, schedules and sensors, daemons, asset freshness and the
latest check result per partition, over the webserver's GraphQL, each linked into the
Dagster UI), data (coverage and gaps, table sizes, database size, provider health with
charts over the day), users and keys (API calls today against the tier's daily limit;
disable a user, revoke a key - audited by the services), operations (bulk operations in
flight, cancel), alert outbox (retry), audit log (filters, CSV export) and system
(versions, configuration with secrets masked, background processes up/down). A viewer
without ``system:metrics`` (a USER) gets a
page saying so and nothing else is read.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import pandas as pd

from optionsintel.auth import TIER_QUOTAS, Permission, Tier
from optionsintel.errors import InputError, OptionsIntelError
from optionsintel.services import admin_health as health
from optionsintel.services import audit, bulk, keys, quotas, users
from optionsintel.services.admin_assets import asset_health
from optionsintel.services.coverage import data_coverage
from optionsintel.services.identity import Identity
from optionsintel.services.user_settings import UserSettings
from optionsintel.tz import EXCHANGE_TZ as IST
from optionsintel.ui import admin_panels as ap
from optionsintel.ui.plotly_grid import PlotlyGrid
from optionsintel.ui.theme import nav_bar, page_style, session

if TYPE_CHECKING:
    from optionsintel.store import Store

__all__ = ["AdminApp", "build_admin"]

PROCESS_URLS = {
    "Dagster webserver": f"{health.DAGSTER_URL}/server_info",
    "Voila dashboards": "http://127.0.0.1:8866/",
    "REST API": "http://127.0.0.1:8000/api/v2/docs",
}
TABS = ("Pipeline", "Data", "Users & keys", "Operations", "Alert outbox", "Audit log", "System")


class AdminApp(w.VBox):
    """The admin dashboard for ``identity`` (see the module docstring)."""

    def __init__(self, store: Store, identity: Identity, prefs: UserSettings, *,
                 dagster_url: str = health.DAGSTER_URL,
                 process_urls: dict[str, str] | None = None) -> None:  # fmt: skip
        self.store, self.identity, self.prefs = store, identity, prefs
        self.dagster_url = dagster_url
        self.process_urls = PROCESS_URLS if process_urls is None else process_urls
        self.status = w.HTML()
        self.refused = not identity.can(Permission.SYSTEM_METRICS)
        who = f"{html.escape(identity.username)}</b> ({identity.role.value})"
        head = w.HTML(ap.STYLE + f"<h2>Administration</h2><p>Signed in as <b>{who}</p>")
        if self.refused:
            self.status.value = ap.message("error", (
                f"The admin dashboard needs the ADMIN or SUPER_ADMIN role; "
                f"{identity.username} is {identity.role.value}. Ask an administrator, "
                "or go back to the home page."))  # fmt: skip
            super().__init__([page_style(prefs), nav_bar("admin.ipynb"), head, self.status])
            return
        self.panes = {name: w.VBox() for name in TABS}
        self.tabs = w.Tab(children=list(self.panes.values()), titles=TABS)
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self._build_forms()
        super().__init__([page_style(prefs), nav_bar("admin.ipynb"), head, self.refresh_button,
                          self.status, self.tabs], layout=w.Layout(width="100%"))  # fmt: skip
        self.refresh()

    # -- actions -----------------------------------------------------------------------
    def _build_forms(self) -> None:
        self.user_name = w.Text(placeholder="username", description="User")
        self.disable_button = w.Button(description="Disable user", button_style="danger")
        self.key_prefix = w.Text(placeholder="key prefix", description="Key")
        self.revoke_button = w.Button(description="Revoke key", button_style="danger")
        self.operation_id = w.Text(placeholder="operation id", description="Operation")
        self.cancel_button = w.Button(description="Cancel operation", button_style="warning")
        self.retry_key = w.Text(
            placeholder="dedupe key of a FAILED row", description="Notification"
        )
        self.retry_button = w.Button(description="Retry notification", button_style="warning")
        self.retry_button.on_click(lambda _b: self._act(self._retry))
        self.audit_actor = w.Text(description="User")
        self.audit_action = w.Text(description="Action", placeholder="e.g. key.revoke")
        self.audit_target = w.Text(description="Object", placeholder="e.g. a username")
        self.audit_start = w.Text(description="From", placeholder="2026-11-01")
        self.audit_end = w.Text(description="To", placeholder="2026-11-30")
        self.audit_button = w.Button(description="Filter")
        self.disable_button.on_click(lambda _b: self._act(self._disable))
        self.revoke_button.on_click(lambda _b: self._act(self._revoke))
        self.cancel_button.on_click(lambda _b: self._act(self._cancel))
        self.audit_button.on_click(lambda _b: self._guard("Audit log", self._audit_tab))

    def _act(self, step: Callable[[], str]) -> None:
        try:
            self.status.value = ap.message("ok", step())
        except (OptionsIntelError, ValueError) as exc:  # refused or bad input: its message
            self.status.value = ap.message("error", str(exc))
            return
        except Exception as exc:  # anything else: one line, naming what failed
            self.status.value = ap.message("error", f"{type(exc).__name__}: {exc}")
            return
        self.refresh()

    def _disable(self) -> str:
        name = _given(self.user_name.value.strip(), "a user name")
        users.disable_user(self.store, self.identity, name)
        return f"user {name} disabled (audited)"

    def _revoke(self) -> str:
        prefix = _given(self.key_prefix.value.strip(), "a key prefix")
        keys.revoke_key(self.store, self.identity, prefix)
        return f"key {prefix} revoked (audited)"

    def _cancel(self) -> str:
        op = _given(self.operation_id.value.strip(), "an operation id")
        done = bulk.cancel_operation(self.store, op)
        return f"operation {op} " + ("cancelled" if done else "had already finished")

    def _retry(self) -> str:
        key = self.retry_key.value.strip()  # the service names what to give when empty
        if health.retry_notification(self.store, self.identity, key):
            return f"notification {key} queued again (audited); the dispatcher sends it next"
        raise ValueError(f"notification {key} is not FAILED (already queued or sent)")

    # -- panels ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read every panel (a failing panel says why; the others still show)."""
        if self.refused:
            return
        for name, fill in zip(TABS, (self._pipeline_tab, self._data_tab, self._users_tab,
                                     self._operations_tab, self._outbox_tab, self._audit_tab,
                                     self._system_tab), strict=True):  # fmt: skip
            self._guard(name, fill)

    def _guard(self, name: str, fill: Callable[[], list[w.Widget]]) -> None:
        try:
            self.panes[name].children = fill()
        except Exception as exc:
            self.panes[name].children = [w.HTML(ap.message("error",
                                         f"{name}: {type(exc).__name__}: {exc}"))]  # fmt: skip

    def _html(self, *parts: str) -> w.HTML:
        return w.HTML("".join(parts), layout=w.Layout(width="100%"))

    def _pipeline_tab(self) -> list[w.Widget]:
        d = self.dagster = health.dagster_health(self.dagster_url)
        if not d.up or d.error:
            return [self._html(ap.message("warn" if not d.up else "error", d.error))]
        return [*self._runs_panel(d), self._assets_panel()]

    def _assets_panel(self) -> w.HTML:
        """Asset freshness and check results: any failure is one line here, nothing else."""
        try:
            a = asset_health(self.dagster_url)
            if a.error:
                return self._html(ap.message("warn" if not a.up else "error", a.error))
            fresh = ap.with_asset_links(a.freshness, a.url)
            checks = ap.with_asset_links(ap.with_run_links(a.checks, a.url), a.url,
                                         column="check", query="view=checks")  # fmt: skip
            failed = (a.checks["result"] == "FAILED").tolist()
            stale = a.freshness["state"].str.startswith(("overdue", "never")).tolist()
            return self._html(
                "<h4>Asset freshness</h4>",
                ap.frame_html(fresh, self.prefs, "no assets defined", raw=("asset",), bad=stale),
                f"<h4>Asset checks: latest result per partition ({sum(failed)} failed)</h4>",
                ap.frame_html(checks, self.prefs, "no check evaluated yet",
                              raw=("run", "check"), bad=failed),
            )  # fmt: skip
        except Exception as exc:  # a surprise in Dagster's answer: this panel only
            return self._html(ap.message("error", f"Asset health: {type(exc).__name__}: {exc}"))

    def _runs_panel(self, d: health.DagsterHealth) -> list[w.Widget]:
        link = f'<p><a href="{html.escape(d.url)}/runs" target="_blank">Open the Dagster UI</a></p>'
        kind, line = health.intraday_state(d.runs, pd.Timestamp.now(tz="UTC"))
        runs = ap.frame_html(ap.with_run_links(d.runs, d.url), self.prefs, "no runs yet",
                             raw=("run",))  # fmt: skip
        failed = ap.with_run_links(d.failures, d.url)
        instigators = ap.with_links(d.instigators, "name", d.instigators["url"].tolist())
        daemons = d.daemons
        sick = (daemons["required"] & ~daemons["healthy"].astype(bool)).tolist()
        return [self._html(link, ap.message(kind, line), "<h4>Latest runs</h4>", runs,
                           f"<h4>Latest failed runs, with their error ({len(failed)})</h4>",
                           ap.frame_html(failed, self.prefs, "no failed runs", raw=("run",)),
                           "<h4>Schedules and sensors</h4>",
                           ap.frame_html(instigators.drop(columns=["url"]), self.prefs,
                                         "none defined", raw=("name",)),
                           "<h4>Dagster daemons</h4>",
                           ap.frame_html(daemons, self.prefs, "Dagster reported no daemon",
                                         bad=sick))]  # fmt: skip

    def _data_tab(self) -> list[w.Widget]:
        total, tables = health.database_usage(self.store, self.identity)
        size = ap.human_bytes(total)
        since = pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=1)
        metrics = health.provider_metrics(self.store, self.identity, since)
        self.provider_timeline = health.provider_timeline(metrics)
        vol = health.data_volume(self.store, self.identity)
        parts = vol["partitions"].assign(size=lambda f: f["bytes"].map(ap.human_bytes))
        self.provider_figure = ap.provider_chart(self.provider_timeline, self.prefs)
        chart = PlotlyGrid(column_min_width="300px", layout=w.Layout(width="100%"))
        chart.show([self.provider_figure])
        sizes = tables.assign(size=lambda f: f["bytes"].map(ap.human_bytes))
        volume = self._html(
            f"<h4>Rows stored today ({vol['day']:%d %b %Y} IST)</h4>",
            ap.frame_html(vol["today"], self.prefs, "no intraday rows stored today"),
            f"<h4>Intraday partitions (retention {vol['retention_days']} days: kept from "
            f"{vol['retention_cutoff']:%d %b %Y})</h4>",
            ap.frame_html(parts, self.prefs),
        )
        return [self._html(f"<p>Database size: <b>{size}</b></p><h4>Coverage and gaps</h4>",
                           ap.frame_html(data_coverage(self.store).drop(columns="stored_days"),
                                         self.prefs, "no market data"),  # `days` counts them
                           "<h4>Provider health (last 24 h)</h4>",
                           ap.frame_html(ap.provider_health(metrics), self.prefs,
                                        "no provider metrics recorded in the last 24 h")),
                chart, volume,
                self._html("<h4>Largest tables</h4>",
                           ap.frame_html(sizes, self.prefs))]  # fmt: skip

    def _users_tab(self) -> list[w.Widget]:
        people = pd.DataFrame(users.list_users(self.store, self.identity, limit=500))
        if not people.empty:
            people = people[[c for c in ("username", "role", "tier", "status", "last_login_at")
                             if c in people.columns]].copy()  # fmt: skip
            people["calls_today"] = [quotas.calls_today(self.store, u) for u in people["username"]]
            limits = [TIER_QUOTAS[Tier(t)].api_calls_per_day for t in people["tier"]]
            people["daily_limit"] = pd.Series(limits, index=people.index, dtype=object)
            used = zip(people["calls_today"], limits, strict=True)
            people["quota_used_%"] = [None if lim is None else 100.0 * n / lim for n, lim in used]
        can_keys = self.identity.can(Permission.KEYS_MANAGE)
        listing = keys.list_keys(self.store, self.identity, everyone=can_keys, limit=500)
        key_frame = pd.DataFrame(listing)
        note = (
            ""
            if can_keys
            else "<p><i>Only your own keys: listing everyone's needs SUPER_ADMIN.</i></p>"
        )
        forms = w.HBox([self.user_name, self.disable_button, self.key_prefix, self.revoke_button],
                       layout=w.Layout(flex_flow="row wrap"))  # fmt: skip
        return [
            self._html("<h4>Users</h4>", ap.frame_html(people, self.prefs)),
            forms,
            self._html("<h4>API keys</h4>", note, ap.frame_html(key_frame, self.prefs, "no keys")),
        ]

    def _operations_tab(self) -> list[w.Widget]:
        ops = [o for o in bulk.list_operations(self.store, limit=200) if not o.finished]
        frame = pd.DataFrame([{"operation": o.operation_id, "kind": o.kind, "status": o.status,
                               "progress_%": round(100 * o.fraction, 1), "done": o.done,
                               "failed": o.failed, "total": o.total, "by": o.requested_by,
                               "started": o.created_at} for o in ops])  # fmt: skip
        return [
            self._html(
                "<h4>Bulk operations in flight</h4>",
                ap.frame_html(frame, self.prefs, "no operation in flight"),
            ),
            w.HBox([self.operation_id, self.cancel_button], layout=w.Layout(flex_flow="row wrap")),
        ]

    def _outbox_tab(self) -> list[w.Widget]:
        box = health.outbox(self.store, self.identity)
        counts = box["status"].value_counts().to_dict() if not box.empty else {}
        line = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "empty"
        return [
            self._html(
                f"<p>Outbox: <b>{html.escape(line)}</b> (the dispatcher retries "
                "PENDING with backoff)</p>",
                ap.frame_html(box, self.prefs, "nothing pending or failed"),
            ),
            w.HBox([self.retry_key, self.retry_button], layout=w.Layout(flex_flow="row wrap")),
        ]

    def _audit_tab(self) -> list[w.Widget]:
        def opt(text: w.Text) -> Any:
            return text.value.strip() or None

        rows = audit.list_audit(self.store, self.identity, limit=500, actor=opt(self.audit_actor),
                                action=opt(self.audit_action), target=opt(self.audit_target),
                                start=opt(self.audit_start),
                                end=_through_the_day(opt(self.audit_end)))  # fmt: skip
        frame = pd.DataFrame(rows)
        filters = w.HBox([self.audit_actor, self.audit_action, self.audit_target, self.audit_start,
                          self.audit_end, self.audit_button],
                         layout=w.Layout(flex_flow="row wrap"))  # fmt: skip
        export = ap.csv_link(frame, "audit_log.csv") if not frame.empty else ""
        return [
            filters,
            self._html(export, ap.frame_html(frame, self.prefs, "no audit records match")),
        ]

    def _system_tab(self) -> list[w.Widget]:
        from optionsintel.settings import get_settings

        vers = pd.DataFrame(list(health.versions().items()), columns=["package", "version"])
        conf = health.config_in_effect(self.identity, get_settings())
        conf_frame = pd.DataFrame(list(conf.items()), columns=["setting", "value"])
        dagster = getattr(self, "dagster", None) or health.dagster_health(self.dagster_url)
        procs = pd.concat([health.processes(self.process_urls),
                           pd.DataFrame([health.daemon_process(dagster),
                                         health.dispatcher_process(self.store, self.identity)])],
                          ignore_index=True)  # fmt: skip
        down = (~procs["up"].astype(bool)).tolist()
        return [self._html("<h4>Background processes</h4>",
                           ap.frame_html(procs, self.prefs, bad=down),
                           "<p><i>The alert dispatcher has no HTTP port: it is up while its "
                           "database sessions are connected.</i></p>",
                           "<h4>Versions</h4>", ap.frame_html(vers, self.prefs),
                           "<h4>Configuration in effect (secrets masked)</h4>",
                           ap.frame_html(conf_frame, self.prefs))]  # fmt: skip


def build_admin(store: Store | None = None, **kwargs: Any) -> w.VBox:
    """The admin dashboard for the viewer (local mode: the local SUPER_ADMIN identity)."""
    try:
        if store is None:
            from optionsintel.store import get_store

            store = get_store()
    except Exception as exc:  # no database: say so in the page
        return w.VBox([w.HTML(ap.message("error", f"cannot open the store: {exc}"))])
    identity, prefs = session(store)
    return AdminApp(store, identity, prefs, **kwargs)


def _through_the_day(end: str | None) -> Any:
    """A bare day in the "To" box means through that day (India time), not its first instant."""
    if end is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", end):
        return end
    return pd.Timestamp(end, tz=IST) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


def _given(value: str, what: str) -> str:
    """``value``, or a plain error when the box was left empty."""
    if not value:
        raise InputError(f"type {what} first")
    return value
