"""Human-readable text of a trigger: subject line, plain text and HTML."""

from __future__ import annotations

from html import escape
from typing import Any

_WHAT = {
    "PRICE": "price",
    "OI_CHANGE": "open-interest change",
    "VOLUME_SPIKE": "volume multiple",
    "VOLATILITY": "volatility",
    "SIGNAL": "signal confidence",
    "PATTERN": "pattern match",
    "SCAN": "scan match",
}


def _fmt(x: Any) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:,.2f}" if abs(x) >= 1 else f"{x:.4g}"
    return str(x)


def subject(event: dict[str, Any]) -> str:
    """One line: rule, instrument and what was measured."""
    return (
        f"[optionsintel] {event.get('rule')}: {event.get('instrument')} "
        f"{_WHAT.get(str(event.get('type')), 'alert')} {_fmt(event.get('value'))}"
    )


def text(event: dict[str, Any]) -> str:
    """Plain-text body."""
    lines = [
        subject(event),
        "",
        f"Rule:        {event.get('rule')} (owner {event.get('owner')})",
        f"Instrument:  {event.get('instrument')}",
        f"Type:        {event.get('type')}",
        f"Value:       {_fmt(event.get('value'))}",
        f"Threshold:   {_fmt(event.get('threshold'))}",
        f"Triggered:   {event.get('triggered_at')}",
    ]
    return "\n".join(lines) + "\n"


def html(event: dict[str, Any]) -> str:
    """HTML body (every value escaped)."""
    rows = "".join(
        f"<tr><th align='left'>{escape(k)}</th><td>{escape(_fmt(event.get(f)))}</td></tr>"
        for k, f in (
            ("Rule", "rule"),
            ("Instrument", "instrument"),
            ("Type", "type"),
            ("Value", "value"),
            ("Threshold", "threshold"),
            ("Triggered", "triggered_at"),
        )
    )
    return f"<html><body><h3>{escape(subject(event))}</h3><table>{rows}</table></body></html>"
