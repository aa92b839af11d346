"""The front door: every Voila app with its purpose, its state and a link.

:func:`build_home` renders one card per app of the catalogue the dashboards server
serves (:data:`optionsintel.apps.APPS`, passed in by ``notebooks/home.ipynb``).
Each card says whether the data the app needs is present, from cheap store reads (one
row of a table), or which command to run first. The viewer's default dashboard is
starred and linked at the top of the page.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ipywidgets as w

from optionsintel.apps import HOME, app_url
from optionsintel.services.user_settings import UserSettings
from optionsintel.ui.theme import page_style, session

if TYPE_CHECKING:
    from optionsintel.store import Store

__all__ = ["APP_INFO", "AppCard", "build_home", "render_home"]


@dataclass(frozen=True)
class AppInfo:
    """What an app is for and the stored data it needs (tables, first one to fill)."""

    purpose: str
    needs: tuple[str, ...]
    first_run: str


_DEMO = "optionsintel up (loads the demo data) or optionsintel market collect"
#: Purpose and prerequisites of each app, keyed by notebook file name.
APP_INFO: dict[str, AppInfo] = {
    "home.ipynb": AppInfo("This page: every app, its state and a link.", (), ""),
    "market_monitor.ipynb": AppInfo(
        "Live option chain, open interest, IV smile and signals of one underlying.",
        ("option_chain_snapshots",), _DEMO),
    "analytics_report.ipynb": AppInfo(
        "End-of-day research report of a symbol: trend, volatility, OI history, anomalies.",
        ("daily_ohlc",), _DEMO),
    "pattern_builder.ipynb": AppInfo(
        "Write, test and version custom chart patterns on stored history.",
        ("daily_ohlc",), _DEMO),
    "backtests.ipynb": AppInfo(
        "Backtest signals and patterns over history; compare runs.",
        ("daily_ohlc",), _DEMO),
    "strategy_builder.ipynb": AppInfo(
        "Build option strategies leg by leg: payoff, greeks, saved versions.",
        ("eod_option_chain",), _DEMO),
    "scanner.ipynb": AppInfo(
        "Scan a universe for patterns and detectors; rank, export, save scans.",
        ("daily_ohlc",), _DEMO),
    "alerts_manager.ipynb": AppInfo(
        "Alert rules, their history and deliveries; the notification feed.",
        (), ""),
    "admin.ipynb": AppInfo(
        "Administration (ADMIN and above): pipeline health, data, users, audit, system.",
        (), ""),
}  # fmt: skip


@dataclass(frozen=True)
class AppCard:
    """One app as the home page shows it."""

    title: str
    notebook: str
    url: str
    purpose: str
    ready: bool
    state: str


def _has_rows(store: Store, table: str) -> bool:
    return not store.read(table, limit=1).empty


def app_cards(
    apps: Mapping[str, str], store: Store | None, has_rows: Callable[[Store, str], bool] = _has_rows
) -> list[AppCard]:
    """A card per app of ``apps`` (title -> notebook), in order."""
    cards = []
    for title, notebook in apps.items():
        info = APP_INFO.get(notebook, AppInfo("", (), ""))
        missing: list[str] = []
        error = ""
        for table in info.needs:
            try:
                if store is None or not has_rows(store, table):
                    missing.append(table)
            except Exception as exc:  # e.g. database down: say so on the card
                error = f"cannot read the store ({type(exc).__name__})"
        if error or (store is None and info.needs):
            state = error or "no database configured (set DATABASE_URL)"
        elif missing:
            state = f"no {', '.join(missing)} yet: run {info.first_run}"
        else:
            state = "ready"
        cards.append(AppCard(title, notebook, app_url(notebook), info.purpose,
                             state == "ready", state))  # fmt: skip
    return cards


def render_home(cards: list[AppCard], prefs: UserSettings, username: str) -> str:
    """The page's HTML (escaped)."""
    rows = []
    for c in cards:
        mark = "oi-ready" if c.ready else "oi-todo"
        star = " ★" if c.notebook == prefs.default_dashboard else ""
        rows.append(
            f'<li class="oi-app {mark}"><a href="{html.escape(c.url)}">'
            f"{html.escape(c.title)}</a>{star}<div>{html.escape(c.purpose)}</div>"
            f'<div class="oi-state">{html.escape(c.state)}</div></li>'
        )
    css = (".oi-apps{list-style:none;padding:0;display:grid;gap:.6rem;"
           "grid-template-columns:repeat(auto-fill,minmax(min(100%,20rem),1fr))}"
           ".oi-app{border:1px solid #8884;border-radius:6px;padding:.6rem}"
           ".oi-app a{font-weight:600;font-size:1.1em}.oi-state{font-size:.9em;opacity:.8}"
           ".oi-ready .oi-state{color:#2e7d32}.oi-todo .oi-state{color:#b26a00}")  # fmt: skip
    return (f"<style>{css}</style><h2>optionsintel</h2>"
            f"<p>Signed in as <b>{html.escape(username)}</b> · settings: "
            "<code>optionsintel settings show</code></p>" + _default_link(cards, prefs) +
            f'<ul class="oi-apps">{"".join(rows)}</ul>')  # fmt: skip


def _default_link(cards: list[AppCard], prefs: UserSettings) -> str:
    """A prominent link to the viewer's default dashboard (none when it is this page)."""
    mine = [c for c in cards if c.notebook == prefs.default_dashboard and c.notebook != HOME]
    if not mine:
        return ""
    c = mine[0]
    return (f'<p class="oi-default">Your default dashboard: <a id="oi-default-dashboard" '
            f'href="{html.escape(c.url)}">{html.escape(c.title)} →</a>'
            f"{'' if c.ready else ' (' + html.escape(c.state) + ')'}</p>")  # fmt: skip


def build_home(apps: Mapping[str, str], store: Store | None = None) -> w.VBox:
    """The home page widget for the apps ``apps`` (title -> notebook file)."""
    if store is None:
        try:
            from optionsintel.store import get_store

            store = get_store()
        except Exception:
            store = None
    identity, prefs = session(store)
    page = w.HTML(render_home(app_cards(apps, store), prefs, identity.username))
    return w.VBox([page_style(prefs), page], layout=w.Layout(width="100%"))
