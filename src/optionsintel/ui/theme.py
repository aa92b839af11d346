"""A person's settings applied to the apps: who is looking, number formats, colours.

Every app calls :func:`session` once: it returns the viewer's
:class:`~optionsintel.services.identity.Identity` and
:class:`~optionsintel.services.user_settings.UserSettings`. Local mode (Voila on
loopback, no login) is the one local identity, SUPER_ADMIN like the CLI operator; a
server may name the viewer for its kernels with ``OPTIONSINTEL_USER`` (a platform
account, whose role is read from the store). Then:

* :func:`format_number` - decimals and lakh/crore (Indian) or international grouping;
* :func:`apply_figure` - the plotly template of the colour scheme (``plotly_dark`` for dark);
* :func:`page_style` - an HTML ``<style>`` for the widgets (dark background, density).
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from optionsintel.auth import Role, Tier
from optionsintel.services.identity import Identity
from optionsintel.services.user_settings import UserSettings, get_settings
from optionsintel.services.users import LOCAL_USER

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from optionsintel.store import Store

__all__ = ["apply_figure", "format_number", "page_style", "session", "template_name"]

USER_ENV = "OPTIONSINTEL_USER"
#: Set by ``optionsintel dashboards`` beyond loopback: kernels then never assume ``local``.
EXPOSED_ENV = "OPTIONSINTEL_EXPOSED"


def local_identity() -> Identity:
    """The local installation's person: full rights, like the operator at the CLI."""
    return Identity(username=LOCAL_USER, role=Role.SUPER_ADMIN, tier=Tier.INSTITUTIONAL,
                    via="cli", source="local")  # fmt: skip


def viewer_identity(store: Store | None) -> Identity:
    """Who the app is showing to (see the module docstring); unknown accounts are USERs."""
    name = os.environ.get(USER_ENV, "").strip()
    if not name and os.environ.get(EXPOSED_ENV):
        # exposed mode without a named viewer: fail closed (never the local SUPER_ADMIN)
        return Identity(username="viewer", role=Role.USER, tier=Tier.FREE, via="token")
    if not name or name == LOCAL_USER:
        return local_identity()
    from optionsintel.store.accounts import read_account

    account = read_account(store, name) if store is not None else None
    if account is None or account.get("status") != "ACTIVE":
        return Identity(username=name, role=Role.USER, tier=Tier.FREE, via="token")
    return Identity(username=name, role=Role(account["role"]), tier=Tier(account["tier"]),
                    via="token")  # fmt: skip


def session(store: Store | None) -> tuple[Identity, UserSettings]:
    """The viewer and their settings (defaults when the store cannot be read)."""
    identity = viewer_identity(store)
    try:
        prefs = get_settings(store, identity.username) if store is not None else UserSettings()
    except Exception:  # no database or an older schema: the app still opens
        prefs = UserSettings()
    return identity, prefs


def _group_indian(digits: str) -> str:
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    pairs: list[str] = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return ",".join([head, *pairs, tail]) if head else ",".join([*pairs, tail])


def format_number(
    value: Any, prefs: UserSettings | None = None, decimals: int | None = None
) -> str:
    """``value`` with the person's decimals and grouping (12,34,567.89 or 1,234,567.89).

    >>> format_number(1234567.891, UserSettings(number_format="indian"))
    '12,34,567.89'
    >>> format_number(-1234567.891, UserSettings(number_format="international", decimals=1))
    '-1,234,567.9'
    """
    prefs = prefs or UserSettings()
    places = prefs.decimals if decimals is None else decimals
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    if math.isnan(x) or math.isinf(x):
        return "—" if math.isnan(x) else ("∞" if x > 0 else "-∞")
    text = f"{abs(x):,.{places}f}"
    if prefs.number_format == "indian":
        whole, _, frac = f"{abs(x):.{places}f}".partition(".")
        text = _group_indian(whole) + (f".{frac}" if frac else "")
    negative = x < 0 and text.strip("0.,") != ""
    return f"-{text}" if negative else text


def template_name(prefs: UserSettings) -> str:
    """The plotly template of the colour scheme (auto follows light in the server render)."""
    return "plotly_dark" if prefs.colour_scheme == "dark" else "plotly_white"


def apply_figure(fig: go.Figure, prefs: UserSettings) -> go.Figure:
    """Give ``fig`` the template (and compact margins) of the person's settings."""
    fig.update_layout(template=template_name(prefs))
    if prefs.density == "compact":
        fig.update_layout(margin={"l": 30, "r": 10, "t": 40, "b": 30})
    return fig


_DARK = """
body, .jp-Notebook, .jp-Cell, .widget-html, .jp-OutputArea-output {
  background: #111418 !important; color: #e6e6e6 !important; }
.widget-label, .widget-html-content, label, th, td { color: #e6e6e6 !important; }
table.oi-table th { background: #1d232a !important; }
a { color: #7ab7ff !important; }
.jp-RenderedHTMLCommon, .jp-RenderedMarkdown, h1, h2, h3, h4, p { color: #e6e6e6 !important; }
.oi-card, .oi-app { background: #1d232a !important; }
.oi-card, .oi-card * { color: #e6e6e6 !important; }
"""
_AUTO = "@media (prefers-color-scheme: dark) {" + _DARK + "}"
_COMPACT = ".widget-box, .widget-html { margin: 1px !important; } td, th { padding: 2px 4px; }"


def page_style(prefs: UserSettings) -> w.HTML:
    """An HTML widget with the page CSS of the colour scheme and density."""
    css = {"dark": _DARK, "auto": _AUTO}.get(prefs.colour_scheme, "")
    css += _COMPACT if prefs.density == "compact" else ""
    return w.HTML(f"<style>{css}</style>", layout=w.Layout(height="0px"))
