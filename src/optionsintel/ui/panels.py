"""HTML fragments of the dashboards: stylesheet, metric cards, signal feed, levels, messages.

Pure string builders (no widgets), so they are tested on their own and reused by both
Voila apps. Every value is escaped; timestamps are shown in IST.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

from optionsintel.tz import EXCHANGE_TZ

IST = EXCHANGE_TZ

STYLE = """
<style>
.oi-app { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.oi-msg { padding: 10px 14px; border-radius: 6px; margin: 6px 0; }
.oi-msg.empty { background: #fff8e1; border: 1px solid #f0c36d; }
.oi-msg.error { background: #fdecea; border: 1px solid #e57373; color: #7f1d1d; }
.oi-msg.info { background: #eef4fb; border: 1px solid #9ec5ea; }
.oi-cards { display: flex; flex-wrap: wrap; gap: 8px; }
.oi-card { flex: 1 1 130px; min-width: 120px; border: 1px solid #ddd; border-radius: 8px;
  padding: 6px 10px; background: #fafafa; }
.oi-card .label { font-size: 11px; color: #666; text-transform: uppercase; }
.oi-card .value { font-size: 18px; font-weight: 600; }
.oi-card .sub { font-size: 11px; color: #666; }
.oi-chain-wrap { overflow-x: auto; max-width: 100%; }
table.oi-chain { border-collapse: collapse; font-size: 12px; width: 100%;
  font-variant-numeric: tabular-nums; }
table.oi-chain th, table.oi-chain td { padding: 2px 6px; text-align: right;
  border-bottom: 1px solid #eee; white-space: nowrap; }
table.oi-chain th { background: #f3f3f3; position: sticky; top: 0; }
table.oi-chain tr.sides th { text-align: center; }
table.oi-chain td.strike { font-weight: 600; text-align: center; background: #f7f7f7; }
table.oi-chain td.itm { background: #fff6d6; }
table.oi-chain td.big { font-weight: 700; color: #0b5394; background: #dbe9fb; }
table.oi-chain td.up { color: #1b7f3b; }
table.oi-chain td.down { color: #b3261e; }
table.oi-chain tr.atm td { border-top: 2px solid #333; border-bottom: 2px solid #333; }
table.oi-chain tr.atm td.strike { background: #333; color: #fff; }
table.oi-list { border-collapse: collapse; font-size: 12px; width: 100%; }
table.oi-list th, table.oi-list td { padding: 3px 6px; border-bottom: 1px solid #eee;
  text-align: left; }
.badge { border-radius: 4px; padding: 1px 6px; font-size: 11px; color: #fff; }
.badge.WEAK { background: #9e9e9e; } .badge.MODERATE { background: #1e88e5; }
.badge.STRONG { background: #fb8c00; } .badge.VERY_STRONG { background: #c62828; }
.badge.SUPPORT { background: #2e8b57; } .badge.RESISTANCE { background: #d9534f; }
.badge.PIVOT { background: #5b6abf; }
@media (max-width: 600px) { .oi-card .value { font-size: 15px; }
  table.oi-chain { font-size: 11px; } }
</style>
"""


def message(kind: str, text: str) -> str:
    """Render a message box; ``kind`` is ``empty``, ``error`` or ``info`` ('' clears it)."""
    if not text:
        return ""
    return f'<div class="oi-msg {html.escape(kind)}">{html.escape(text)}</div>'


def fmt_number(value: float | None, decimals: int | None = None, suffix: str = "") -> str:
    """The viewer's number style (:func:`optionsintel.ui.theme.fmt`), '–' when missing.

    ``decimals=None`` takes the viewer's decimals setting; a count is kept as given.
    """
    from optionsintel.ui.theme import fmt

    return fmt(value, decimals, suffix)


def cards(items: Sequence[tuple[str, str, str]]) -> str:
    """Metric cards from ``(label, value, sub-text)`` triples."""
    body = "".join(
        f'<div class="oi-card"><div class="label">{html.escape(lbl)}</div>'
        f'<div class="value">{html.escape(val)}</div>'
        f'<div class="sub">{html.escape(sub)}</div></div>'
        for lbl, val, sub in items
    )
    return f'<div class="oi-cards">{body}</div>'


def ist(ts: pd.Timestamp | None, fmt: str = "%d %b %Y %H:%M:%S IST") -> str:
    """Format an instant in India time ('–' when missing)."""
    if ts is None or pd.isna(ts):
        return "–"
    return pd.Timestamp(ts).tz_convert(IST).strftime(fmt)


def _esc(values: pd.Series) -> pd.Series:
    """HTML-escaped text of each value (quotes too: some land in attributes)."""
    return values.astype(str).map(lambda v: html.escape(v, quote=True))


def _badges(kinds: pd.Series) -> pd.Series:
    """Badge spans; the kind is both a CSS class and the label, escaped for both."""
    kind = _esc(kinds)
    return '<span class="badge ' + kind + '">' + kind.str.replace("_", " ") + "</span>"


def _table(head: Sequence[str], rows: pd.DataFrame, cls: str) -> str:
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>"
                   for r in rows.itertuples(index=False))  # fmt: skip
    # in a scroll box: on a phone a wide table scrolls by itself instead of being clipped
    head = f'<table class="oi-list {cls}"><thead><tr>{header}</tr></thead>'
    return f'<div class="oi-chain-wrap">{head}<tbody>{body}</tbody></table></div>'


def signals_html(signals: pd.DataFrame) -> str:
    """Feed of signals: time (IST), type, expiry, confidence and strength badge."""
    if signals.empty:
        return message("info", "No signals stored up to this time (signals are computed by "
                       "the pipeline's `signals` asset).")  # fmt: skip
    s = signals
    rows = pd.DataFrame({
        "time": pd.to_datetime(s["snapshot_ts"], utc=True).dt.tz_convert(IST)
                .dt.strftime("%d %b %H:%M"),
        "type": _esc(s["signal_type"]),
        "expiry": pd.to_datetime(s["expiry"]).dt.strftime("%d %b"),
        "conf": s["confidence"].map(lambda v: f"{v:.0f}"),
        "strength": _badges(s["strength"]),
    })  # fmt: skip
    return _table(["Time", "Signal", "Expiry", "Confidence", "Strength"], rows, "signals")


def levels_html(stored: pd.DataFrame, live: dict[str, float]) -> str:
    """Support/resistance: the live OI walls of the shown chain, then stored levels."""
    live_rows = pd.DataFrame({
        "source": "OI wall (now)", "type": _badges(pd.Series([k.upper() for k in live],
                                                             dtype=object)),
        "level": [fmt_number(v, 0) for v in live.values()], "date": "",
    })  # fmt: skip
    if stored.empty:
        stored_rows = live_rows.iloc[0:0]
    else:
        stored_rows = pd.DataFrame({
            "source": _esc(stored["method"]).str.replace("_", " ")
                      + " #" + _esc(stored["rank"]),
            "type": _badges(stored["level_type"]),
            "level": stored["level"].map(lambda v: fmt_number(v, 1)),
            "date": pd.to_datetime(stored["trade_date"]).dt.strftime("%d %b %Y"),
        })  # fmt: skip
    rows = pd.concat([live_rows, stored_rows], ignore_index=True)
    if rows.empty:
        return message("info", "No support/resistance levels yet.")
    return _table(["Source", "Type", "Level", "Trade date"], rows, "levels")


def provider_note(provider: str, resolved: bool, offered: Sequence[str]) -> str:
    """Which provider a view shows, whether it was resolved or chosen, and the others stored."""
    how = "resolved: provider of the day's latest snapshot" if resolved else "chosen"
    others = [p for p in offered if p != provider]
    also = f"; also stored: {', '.join(others)}" if others else ""
    return (f"<small>provider: <b>{html.escape(provider)}</b> "
            f"({how}{html.escape(also)})</small>")  # fmt: skip
