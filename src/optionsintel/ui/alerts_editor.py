"""The alert-rule form: condition fields per type, channels, gates; JSON out, JSON in.

:class:`RuleEditor` turns its fields into the rule document ``services.alerts`` stores
(:meth:`RuleEditor.document`) and back (:meth:`RuleEditor.load`); validation is the
domain's (:func:`optionsintel.alerts.parse_rule`), so the form never accepts a rule the
library would refuse. PATTERN rules pick a saved pattern and a pinned version with
:class:`PatternPicker` (the pattern builder's saved patterns and version history).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from optionsintel.alerts import AlertRule, rule_document
from optionsintel.signals.config import SignalType, Strength
from optionsintel.ui import theme

CONDITION_TYPES = ("PRICE", "OI_CHANGE", "VOLUME_SPIKE", "VOLATILITY", "SIGNAL", "PATTERN", "SCAN")
_DIRECTIONS = ("either", "up", "down")
_WIDE = w.Layout(width="auto", min_width="200px", max_width="360px")


def _dd(label: str, options: Any, value: Any = None) -> w.Dropdown:
    return w.Dropdown(description=label, options=options, value=value or options[0], layout=_WIDE)


def _num(label: str, value: float = 0.0) -> w.FloatText:
    return w.FloatText(description=label, value=value, layout=_WIDE)


def _int(label: str, value: int = 0) -> w.IntText:
    return w.IntText(description=label, value=value, layout=_WIDE)


def _text(label: str, placeholder: str = "") -> w.Text:
    return w.Text(description=label, placeholder=placeholder, layout=_WIDE)


class PatternPicker(w.HBox):
    """A saved pattern and one of its versions (the pin a PATTERN rule fires on)."""

    def __init__(self, patterns: Callable[[], list[Any]], versions: Callable[[str], list[Any]]):
        self._patterns, self._versions = patterns, versions
        self.pattern = w.Dropdown(description="Pattern", layout=_WIDE)
        self.version = w.Dropdown(description="Version", layout=_WIDE)
        self.pattern.observe(lambda _c: self._show_versions(), "value")
        super().__init__([self.pattern, self.version], layout=w.Layout(flex_flow="row wrap"))
        self.refresh()

    def refresh(self) -> None:
        """Re-read the saved patterns."""
        heads = self._patterns()
        self.pattern.options = [(f"{h.name} ({h.pattern_id})", h.pattern_id) for h in heads]
        self._show_versions()

    def _show_versions(self) -> None:
        pid = self.pattern.value
        found = self._versions(pid) if pid else []
        self.version.options = [
            (f"v{v.version} by {v.created_by}", v.version) for v in reversed(found)
        ]

    def select(self, pattern: str, version: int) -> None:
        """Show ``pattern`` at ``version`` (when saved)."""
        if pattern in [v for _, v in self.pattern.options]:
            self.pattern.value = pattern
            if version in [v for _, v in self.version.options]:
                self.version.value = version


class _Condition:
    """The fields of every condition type; only the chosen type's are shown."""

    def __init__(self, picker: PatternPicker) -> None:
        self.f: dict[str, w.Widget] = {
            "price_op": _dd("Op", ("above", "below", "crosses", "pct_change")),
            "price_value": _num("Level / %", 25000.0),
            "price_window": _int("Window min"),
            "price_direction": _dd("Direction", _DIRECTIONS),
            "oi_scope": _dd("Scope", ("total", "expiry", "strike")),
            "oi_side": _dd("Side", ("both", "CE", "PE")),
            "oi_measure": _dd("Measure", ("absolute", "pct")),
            "oi_threshold": _num("Threshold", 100000.0),
            "oi_direction": _dd("Direction", _DIRECTIONS),
            "oi_expiry": _text("Expiry", "YYYY-MM-DD"),
            "oi_strike": _num("Strike"),
            "vol_multiple": _num("Multiple", 3.0),
            "vol_window": _int("Intervals", 20),
            "iv_metric": _dd("Metric", ("atm_iv", "atm_iv_change", "iv_rank")),
            "iv_op": _dd("Op", ("above", "below")),
            "iv_value": _num("Value", 20.0),
            "iv_window": _int("Window min"),
            "sig_types": w.SelectMultiple(
                description="Signals", rows=4, layout=_WIDE, options=[s.value for s in SignalType]
            ),
            "sig_conf": _num("Min conf.", 60.0),
            "sig_strength": _dd("Min strength", tuple(s.value for s in Strength)),
            "scan_id": _text("Scan", "saved scan name"),
        }
        self.picker = picker
        self.groups: dict[str, list[w.Widget]] = {
            "PRICE": [
                self.f[k] for k in ("price_op", "price_value", "price_window", "price_direction")
            ],
            "OI_CHANGE": [
                self.f[k]
                for k in (
                    "oi_scope",
                    "oi_side",
                    "oi_measure",
                    "oi_threshold",
                    "oi_direction",
                    "oi_expiry",
                    "oi_strike",
                )
            ],
            "VOLUME_SPIKE": [self.f["vol_multiple"], self.f["vol_window"]],
            "VOLATILITY": [self.f[k] for k in ("iv_metric", "iv_op", "iv_value", "iv_window")],
            "SIGNAL": [self.f["sig_types"], self.f["sig_conf"], self.f["sig_strength"]],
            "PATTERN": [picker],
            "SCAN": [self.f["scan_id"]],
        }

    def document(self, kind: str) -> dict[str, Any]:
        """The condition JSON of type ``kind`` from the fields (optional ones left out)."""
        v: dict[str, Any] = {k: getattr(x, "value", None) for k, x in self.f.items()}
        if kind == "PRICE":
            doc = {"op": v["price_op"], "value": v["price_value"]}
            if v["price_op"] == "pct_change":
                doc |= {"window_minutes": v["price_window"], "direction": v["price_direction"]}
        elif kind == "OI_CHANGE":
            doc = {
                "scope": v["oi_scope"],
                "side": v["oi_side"],
                "measure": v["oi_measure"],
                "threshold": v["oi_threshold"],
                "direction": v["oi_direction"],
            }
            if v["oi_scope"] != "total":
                doc["expiry"] = v["oi_expiry"].strip() or None
            if v["oi_scope"] == "strike":
                doc["strike"] = v["oi_strike"]
        elif kind == "VOLUME_SPIKE":
            doc = {"multiple": v["vol_multiple"], "window": v["vol_window"]}
        elif kind == "VOLATILITY":
            doc = {"metric": v["iv_metric"], "op": v["iv_op"], "value": v["iv_value"]}
            if v["iv_metric"] == "atm_iv_change":
                doc["window_minutes"] = v["iv_window"]
        elif kind == "SIGNAL":
            doc = {
                "signal_types": list(v["sig_types"]),
                "min_confidence": v["sig_conf"],
                "min_strength": v["sig_strength"],
            }
        elif kind == "PATTERN":
            doc = {"pattern": self.picker.pattern.value, "version": self.picker.version.value}
        else:
            doc = {"scan_id": v["scan_id"].strip()}
        return {"type": kind, **doc}

    def load(self, c: dict[str, Any]) -> None:
        """Show the stored condition ``c`` in the fields."""
        kind, f = c["type"], self.f
        pairs: dict[str, tuple[str, ...]] = {
            "PRICE": (
                "price_op:op",
                "price_value:value",
                "price_window:window_minutes",
                "price_direction:direction",
            ),
            "OI_CHANGE": (
                "oi_scope:scope",
                "oi_side:side",
                "oi_measure:measure",
                "oi_threshold:threshold",
                "oi_direction:direction",
                "oi_expiry:expiry",
                "oi_strike:strike",
            ),
            "VOLUME_SPIKE": ("vol_multiple:multiple", "vol_window:window"),
            "VOLATILITY": (
                "iv_metric:metric",
                "iv_op:op",
                "iv_value:value",
                "iv_window:window_minutes",
            ),
            "SIGNAL": (
                "sig_types:signal_types",
                "sig_conf:min_confidence",
                "sig_strength:min_strength",
            ),
            "SCAN": ("scan_id:scan_id",),
        }
        for pair in pairs.get(kind, ()):
            field, key = pair.split(":")
            if c.get(key) is not None:
                f[field].value = tuple(c[key]) if field == "sig_types" else c[key]
        if kind == "PATTERN":
            self.picker.select(c["pattern"], c["version"])


_CHANNELS: dict[str, tuple[str, str]] = {
    "in_app": ("In-app feed", "user (default: the owner)"),
    "webhook": ("Webhook", "https://… URL"),
    "email": ("E-mail", "a@x.in, b@y.in"),
    "telegram": ("Telegram", "chat id or @channel"),
    "sms": ("SMS", "+9198…"),
}


class _Channels(w.VBox):
    """One row per channel kind: a checkbox and its target (a webhook also names its secret)."""

    def __init__(self) -> None:
        self.on = {
            k: w.Checkbox(
                description=label, value=k == "in_app", indent=False, layout=w.Layout(width="130px")
            )
            for k, (label, _) in _CHANNELS.items()
        }
        self.target = {k: _text("", hint) for k, (_, hint) in _CHANNELS.items()}
        self.secret_env = _text("", "OPTIONSINTEL_WEBHOOK_SECRET_DESK")
        rows = []
        for k in _CHANNELS:
            extra = [self.secret_env] if k == "webhook" else []
            rows.append(
                w.HBox([self.on[k], self.target[k], *extra], layout=w.Layout(flex_flow="row wrap"))
            )
        super().__init__(rows)

    def document(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for k, box in self.on.items():
            if not box.value:
                continue
            value = self.target[k].value.strip()
            if k == "in_app":
                out.append({"kind": k, **({"user": value} if value else {})})
            elif k == "webhook":
                out.append({"kind": k, "url": value, "secret_env": self.secret_env.value.strip()})
            elif k == "email":
                out.append({"kind": k, "to": [a.strip() for a in value.split(",") if a.strip()]})
            else:
                out.append({"kind": k, ("chat_id" if k == "telegram" else "to"): value})
        return out

    def load(self, channels: list[dict[str, Any]]) -> None:
        for k in _CHANNELS:
            self.on[k].value, self.target[k].value = False, ""
        for c in channels:
            k = c["kind"]
            self.on[k].value = True
            value = c.get("user") or c.get("url") or c.get("chat_id") or c.get("to") or ""
            self.target[k].value = ", ".join(value) if isinstance(value, list) else str(value)
            if k == "webhook":
                self.secret_env.value = c.get("secret_env", "")


class RuleEditor(w.VBox):
    """Every field of a rule (see the module docstring)."""

    def __init__(self, picker: PatternPicker) -> None:
        self.name = _text("Name", "nifty-25k")
        first = theme.default_underlying()  # the viewer's default underlying
        self.symbols = _text("Symbols", f"{first}, BANKNIFTY" if first != "BANKNIFTY" else first)
        self.watchlist = _text("Watchlist", "or a watchlist name")
        self.kind = _dd("Type", CONDITION_TYPES)
        self.condition = _Condition(picker)
        self.fields = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.kind.observe(lambda _c: self._show_fields(), "value")
        self.channels = _Channels()
        self.cooldown = _int("Cooldown s", 900)
        self.hysteresis = w.Checkbox(
            description="Hysteresis (re-arm when clear)", value=True, indent=False
        )
        self.active_from = _text("From (IST)", "09:15")
        self.active_until = _text("Until (IST)", "15:30")
        self.days = _dd("Days", ("trading_days", "weekdays", "every_day"))
        self.expires = _text("Expires", "YYYY-MM-DD HH:MM (IST)")
        self.max_per_day = _int("Max/day (0=∞)")
        # as wide as its text: the default 80 px label cut it to 'Max/day (0…'
        self.max_per_day.style.description_width = "initial"
        wrap = w.Layout(flex_flow="row wrap")
        super().__init__(
            [
                w.HBox([self.name, self.symbols, self.watchlist], layout=wrap),
                w.HBox([self.kind], layout=wrap),
                self.fields,
                w.HTML("<b>Channels</b>"),
                self.channels,
                w.HBox([self.cooldown, self.hysteresis, self.max_per_day], layout=wrap),
                w.HBox([self.active_from, self.active_until, self.days, self.expires], layout=wrap),
            ]
        )
        self.clear()

    def clear(self) -> None:
        """Empty form (a new PRICE rule with the defaults)."""
        self.load(
            {
                "name": "",
                "symbols": [],
                "condition": {"type": "PRICE"},
                "channels": [{"kind": "in_app"}],
                "cooldown_seconds": 900,
                "hysteresis": True,
                "active_from": "09:15",
                "active_until": "15:30",
                "active_days": "trading_days",
            }
        )
        self.name.disabled = False

    def document(self, owner: str) -> dict[str, Any]:
        """The rule JSON of the form (validated later by the library)."""
        symbols = [s.strip().upper() for s in self.symbols.value.split(",") if s.strip()]
        doc: dict[str, Any] = {
            "owner": owner,
            "name": self.name.value.strip(),
            "condition": self.condition.document(self.kind.value),
            "channels": self.channels.document(),
            "cooldown_seconds": self.cooldown.value,
            "hysteresis": self.hysteresis.value,
            "active_days": self.days.value,
            "active_from": self.active_from.value.strip() or "09:15",
            "active_until": self.active_until.value.strip() or "15:30",
        }
        if self.watchlist.value.strip():
            doc["watchlist"] = self.watchlist.value.strip()
        if symbols or not self.watchlist.value.strip():
            doc["symbols"] = symbols
        if self.expires.value.strip():
            doc["expires_at"] = self.expires.value.strip()
        if self.max_per_day.value > 0:
            doc["max_triggers_per_day"] = self.max_per_day.value
        return doc

    def load(self, rule: AlertRule | dict[str, Any]) -> None:
        """Show a stored rule (its name is then fixed: saving updates it)."""
        doc = rule_document(rule) if isinstance(rule, AlertRule) else rule
        self.name.value = doc.get("name", "")
        self.name.disabled = bool(doc.get("name"))
        self.symbols.value = ", ".join(doc.get("symbols") or [])
        self.watchlist.value = doc.get("watchlist") or ""
        self.kind.value = doc["condition"]["type"]
        self.condition.load(doc["condition"])
        self.channels.load(doc.get("channels", []))
        self.cooldown.value = int(doc.get("cooldown_seconds", 900))
        self.hysteresis.value = bool(doc.get("hysteresis", True))
        self.active_from.value = str(doc.get("active_from", "09:15"))[:5]
        self.active_until.value = str(doc.get("active_until", "15:30"))[:5]
        self.days.value = doc.get("active_days", "trading_days")
        self.expires.value = str(doc.get("expires_at") or "").replace("T", " ")
        self.max_per_day.value = int(doc.get("max_triggers_per_day") or 0)
        self._show_fields()

    def _show_fields(self) -> None:
        self.fields.children = self.condition.groups[self.kind.value]
