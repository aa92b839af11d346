"""HTML fragments of the pattern builder: matches with explanations, why not, history, diff.

Pure string builders (no widgets); every value is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from optionsintel.rules import ConditionTrace, RuleResult
from optionsintel.ui import theme

STYLE = """
<style>
.oi-row-error { color: #b3261e; font-size: 12px; }
.oi-held-yes { color: #1b7f3b; font-weight: 600; }
.oi-held-no { color: #b3261e; font-weight: 600; }
.oi-held-unknown { color: #8a6d00; font-weight: 600; }
pre.oi-diff { background: #f7f7f7; padding: 6px; font-size: 12px; white-space: pre-wrap; }
.oi-pattern-table { overflow-x: auto; max-width: 100%; }
</style>
"""
MAX_MATCHES_SHOWN = 50


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _value(v: float) -> str:
    """Four significant digits, but whole numbers from 10,000 (an index close, not 6.295e+04)."""
    if v is None or not math.isfinite(v):
        return "–"
    return theme.fmt(v, 0) if abs(v) >= 10_000 else f"{v:,.4g}"


def _held(held: bool | None) -> str:
    if held is None:
        return '<span class="oi-held-unknown">unknown</span>'
    return '<span class="oi-held-yes">yes</span>' if held else '<span class="oi-held-no">no</span>'


def _values(values: dict[str, float]) -> str:
    shown = {k: v for k, v in values.items() if not _is_number(k)}
    return ", ".join(f"{_e(k)} = {_value(v)}" for k, v in shown.items())


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], cls: str) -> str:
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return (
        f'<div class="oi-pattern-table"><table class="oi-list {cls}"><thead><tr>{header}'
        f"</tr></thead><tbody>{body}</tbody></table></div>"
    )


def matches_html(result: RuleResult, provider: str) -> str:
    """The matches at the newest bar, each with every leaf condition's values."""
    bar = result.index[-1]
    symbols = result.matching_symbols()
    day = bar.date() if hasattr(bar, "date") else bar
    head = (
        f"<p><b>{len(symbols)}</b> of {len(result.columns)} symbols match on "
        f"<b>{_e(day)}</b> (data: <b>{_e(provider)}</b>).</p>"
    )
    if not symbols:
        return head
    frame = result.explanations()
    leaves = {c.path for c in result.plan.conditions if not c.children}
    rows = []
    for symbol in symbols[:MAX_MATCHES_SHOWN]:
        mine = frame.loc[(frame["symbol"] == symbol) & frame["path"].isin(leaves)]
        why = "<br>".join(
            f"{_e(c)}: {_values(v)}" for c, v in zip(mine["condition"], mine["values"], strict=True)
        )
        flag = mine["anomaly"].iloc[0] if len(mine) else None
        anomaly = "–" if flag is None else ("anomaly" if flag else "normal")
        rows.append([_e(symbol), why, _e(anomaly)])
    more = len(symbols) - MAX_MATCHES_SHOWN
    tail = f"<p>… and {more} more.</p>" if more > 0 else ""
    return head + _table(["symbol", "why it matched", "DBSCAN"], rows, "oi-matches") + tail


def why_not_html(symbol: str, traces: list[ConditionTrace]) -> str:
    """The conditions that failed or could not be decided for ``symbol``."""
    if not traces:
        return f"<p><b>{_e(symbol)}</b> matches.</p>"
    rows = [[_e(t.text), _held(t.held), _values(t.values)] for t in traces]
    note = "<p>unknown = a value it needs is missing (warming up, not stored).</p>"
    return (
        f"<p>Why <b>{_e(symbol)}</b> does not match:</p>"
        + _table(["condition", "held", "values"], rows, "oi-why-not")
        + note
    )


def history_html(versions: Sequence[Any]) -> str:
    """The versions of a pattern, newest first."""
    rows = [
        [
            _e(v.pin),
            _e(v.created_by),
            _e(f"{v.created_at:%Y-%m-%d %H:%M} UTC"),
            _e(v.note or ""),
            _e(v.text),
            _e(v.content_hash[:10]),
        ]
        for v in reversed(list(versions))
    ]
    return _table(["version", "by", "saved", "note", "rule", "hash"], rows, "oi-history")


def diff_html(diff: Any) -> str:
    """Structural changes and the unified text diff of two versions."""
    if diff.same:
        return "<p>The two versions are the same rule.</p>"
    rows = [
        [
            _e(c.path),
            _e(c.kind),
            _e("" if c.before is None else c.before),
            _e("" if c.after is None else c.after),
        ]
        for c in diff.changes
    ]
    table = _table(["where", "change", "before", "after"], rows, "oi-diff-table")
    return table + f'<pre class="oi-diff">{_e(diff.text_diff)}</pre>'
