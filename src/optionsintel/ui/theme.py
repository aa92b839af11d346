"""A person's settings applied to the apps: who is looking, number formats, colours.

Every app calls :func:`session` once: it returns the viewer's
:class:`~optionsintel.services.identity.Identity` and
:class:`~optionsintel.services.user_settings.UserSettings`. Local mode (Voila on
loopback, no login) is the one local identity, SUPER_ADMIN like the CLI operator; a
server may name the viewer for its kernels with ``OPTIONSINTEL_USER`` (a platform
account, whose role is read from the store). Exposed mode (``OPTIONSINTEL_EXPOSED``) takes
the person who signed in, whom the identity provider names to each page's kernel
(``HTTP_X_OPTIONSINTEL_VIEWER``); without one the viewer is a plain USER. Then:

* :func:`format_number` - decimals and lakh/crore (Indian) or international grouping;
* :func:`apply_figure` - the plotly template of the colour scheme (``plotly_dark`` for dark);
* :func:`page_style` - an HTML ``<style>`` for the widgets (dark background, density);
* :func:`nav_bar` - a link to every other app (:data:`optionsintel.apps.APPS`).
"""

from __future__ import annotations

import html
import math
import os
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from optionsintel.apps import APPS, app_url
from optionsintel.auth import Role, Tier
from optionsintel.services.identity import Identity
from optionsintel.services.user_settings import UserSettings, get_settings
from optionsintel.services.users import LOCAL_USER

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from optionsintel.store import Store

__all__ = [
    "activate",
    "active",
    "apply_app",
    "apply_figure",
    "default_underlying",
    "fmt",
    "format_number",
    "nav_bar",
    "page_style",
    "pick_default",
    "session",
    "template_name",
]

USER_ENV = "OPTIONSINTEL_USER"
#: Exposed mode: the signed-in person, set per page by the identity provider's request
#: header (``optionsintel.ui.identity.VIEWER_HEADER``, copied by Voila into the kernel).
VIEWER_ENV = "HTTP_X_OPTIONSINTEL_VIEWER"
#: Set by ``optionsintel dashboards`` beyond loopback: kernels then never assume ``local``.
EXPOSED_ENV = "OPTIONSINTEL_EXPOSED"


def local_identity() -> Identity:
    """The local installation's person: full rights, like the operator at the CLI."""
    return Identity(username=LOCAL_USER, role=Role.SUPER_ADMIN, tier=Tier.INSTITUTIONAL,
                    via="cli", source="local")  # fmt: skip


def viewer_identity(store: Store | None) -> Identity:
    """Who the app is showing to (see the module docstring); unknown accounts are USERs."""
    name = os.environ.get(USER_ENV, "").strip()
    if os.environ.get(EXPOSED_ENV):  # exposed: the signed-in person, never a server default
        name = os.environ.get(VIEWER_ENV, "").strip()
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
    """The viewer and their settings (defaults when the store cannot be read).

    The settings become the kernel's :func:`active` ones (a Voila kernel serves one page
    of one viewer), so every number the app formats follows them.
    """
    identity = viewer_identity(store)
    try:
        prefs = get_settings(store, identity.username) if store is not None else UserSettings()
    except Exception:  # no database or an older schema: the app still opens
        prefs = UserSettings()
    activate(prefs)
    return identity, prefs


_ACTIVE: list[UserSettings] = []


def activate(prefs: UserSettings | None) -> None:
    """Make ``prefs`` the settings :func:`fmt` follows in this kernel (None: built-in style)."""
    _ACTIVE[:] = [] if prefs is None else [prefs]


def active() -> UserSettings | None:
    """The settings of this kernel's viewer, once an app has read them (else None)."""
    return _ACTIVE[0] if _ACTIVE else None


def default_underlying() -> str:
    """The active viewer's default underlying (NIFTY before any app read the settings)."""
    prefs = active()
    return prefs.default_underlying if prefs is not None else "NIFTY"


def pick_default(options: Any, fallback: str = "NIFTY") -> str | None:
    """The viewer's default underlying if ``options`` offers it, else ``fallback`` if offered.

    ``options`` are names or ``(label, value)`` pairs.
    """
    values = [o[1] if isinstance(o, tuple) else o for o in options]
    for name in (default_underlying(), fallback):
        if name in values:
            return str(name)
    return None


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


def fmt(value: Any, decimals: int | None = None, suffix: str = "", *, signed: bool = False) -> str:
    """``value`` in the active viewer's style (:func:`active`); '–' when missing.

    ``decimals=None`` takes the viewer's decimals (2 before any app read settings); an
    explicit count is kept (a strike has none whatever the setting). Without active
    settings grouping is international (``1,234.50``), as before settings existed.
    """
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–" if value is None else str(value)
    if not math.isfinite(x):
        return "–"
    prefs = active() or UserSettings(number_format="international")
    text = format_number(x, prefs, prefs.decimals if decimals is None else decimals)
    plus = "+" if signed and x > 0 and text.strip("0.,") else ""
    return f"{plus}{text}{suffix}"


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
table.oi-chain th, table.oi-list th, .oi-bt-table th, table.oi-admin-table th,
table.oi-chain td.strike { background: #1d232a !important; }
table.oi-chain th, table.oi-chain td, table.oi-list th, table.oi-list td {
  border-color: #3a4048 !important; }
table.oi-chain td.itm { background: #3a3413 !important; }
table.oi-chain td.big { background: #123a66 !important; }
table.oi-chain tr.atm td.strike { background: #e6e6e6 !important; color: #111418 !important; }
table.oi-chain td.up, table.oi-list td.SENT, table.oi-list td.ACTIVE { color: #7fd99a !important; }
table.oi-chain td.down, table.oi-list td.FAILED, table.oi-list td.ABANDONED {
  color: #ff8a80 !important; }
table.oi-list td.MUTED { color: #f0c36d !important; }
.oi-msg.empty, .oi-admin-warn { background: #3a3413 !important; }
.oi-msg.error, .oi-admin-error, .oi-admin-bad td { background: #4a1c1c !important; }
.oi-msg.info, .oi-admin-info { background: #15293f !important; }
.oi-msg, .oi-msg * { color: #e6e6e6 !important; }
pre.oi-diff { background: #1d232a !important; color: #e6e6e6 !important; }
.oi-bell.unread button { background: #5a4a10 !important; color: #e6e6e6 !important; }
.oi-shortcuts, .oi-shortcuts *, .widget-readout { color: #e6e6e6 !important; }
"""
_AUTO = "@media (prefers-color-scheme: dark) {" + _DARK + "}"
_COMPACT = ".widget-box, .widget-html { margin: 1px !important; } td, th { padding: 2px 4px; }"


def apply_app(app: w.Box, prefs: UserSettings) -> w.Box:
    """Apply ``prefs`` to a built app: numbers, charts, the page CSS; add the navigation.

    Activates ``prefs``: :func:`fmt` then formats every number in the viewer's style and
    :func:`optionsintel.ui.plotly_grid.figure_json` gives every chart drawn from now on
    the colour scheme's template. Puts the :func:`page_style` first in ``app.children``,
    then the :func:`nav_bar`. Returns ``app``.
    """
    activate(prefs)
    app.add_class("oi-app")
    app.children = (page_style(prefs), nav_bar(), *app.children)
    return app


_NAV_CSS = (".oi-nav{display:flex;flex-wrap:wrap;gap:.2rem .9rem;font-size:.9em;"
            "padding:.2rem 0 .4rem;border-bottom:1px solid #8884;margin-bottom:.4rem}"
            ".oi-nav a{text-decoration:none}"
            ".oi-nav a:hover{text-decoration:underline}")  # fmt: skip


def nav_bar(current: str | None = None) -> w.HTML:
    """Links to every app of :data:`optionsintel.apps.APPS` (``current`` is marked, not linked).

    Moving between apps never needs a typed URL; the default dashboard is one click away
    from the home page.
    """
    links = [
        f'<b aria-current="page">{html.escape(title)}</b>' if notebook == current else
        f'<a href="{html.escape(app_url(notebook))}">{html.escape(title)}</a>'
        for title, notebook in APPS.items()
    ]  # fmt: skip
    body = f'<style>{_NAV_CSS}</style><nav class="oi-nav" aria-label="apps">{"".join(links)}</nav>'
    return w.HTML(body, layout=w.Layout(width="100%"))


# On a phone the tab bars wrap onto a second row instead of cutting every label short
# ("Pipel", "Oper"...): ipywidgets shrinks each tab to share one row.
_PHONE_TABS = (
    "@media (max-width: 600px) {"
    " body .jupyter-widgets.jupyter-widget-tab > .lm-TabBar > .lm-TabBar-content"
    " { flex-wrap: wrap; }"
    " body .jupyter-widgets.jupyter-widget-tab > .lm-TabBar .lm-TabBar-tab"
    " { flex: 0 0 auto; min-width: 0; max-width: none; }"
    "}"
)


def page_style(prefs: UserSettings) -> w.HTML:
    """An HTML widget with the page CSS: phone layout, the colour scheme and density."""
    css = _PHONE_TABS + {"dark": _DARK, "auto": _AUTO}.get(prefs.colour_scheme, "")
    css += _COMPACT if prefs.density == "compact" else ""
    return w.HTML(f"<style>{css}</style>", layout=w.Layout(height="0px"))
