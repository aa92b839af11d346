"""The scanner's results table: sort, filter, sparkline and explanation per row.

Traits: ``sort_by`` (a column), ``descending``, ``text`` (a case-insensitive filter on
symbol and explanation) and ``min_score``. The table is rendered as escaped HTML with a
link per symbol to the analytics report.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd
import traitlets as t

from optionsintel.ui import theme
from optionsintel.ui.scanner_data import analytics_link, sparkline_svg

SORTABLE = ["rank", "symbol", "score", "close", "change_pct", "volume_ratio", "rsi_14",
            "max_confidence", "criteria_matched"]  # fmt: skip
_NUMBERS = {"score": "{:.3f}", "close": "{:,.2f}", "change_pct": "{:+.2f}%",
            "volume_ratio": "{:.2f}", "rsi_14": "{:.1f}", "max_confidence": "{:.2f}"}  # fmt: skip
_LINK_LIMIT = 5_000_000
_STYLE = """<style>
.oi-scan-table{border-collapse:collapse;font-size:13px;width:100%}
.oi-scan-table th,.oi-scan-table td{padding:3px 6px;border-bottom:1px solid #ddd;text-align:left}
.oi-scan-wrap{overflow-x:auto;max-width:100%}
</style>"""


def _number(col: str, v: Any) -> str:
    """A cell: prices in the viewer's style (grouping, decimals), scores as they are."""
    if not pd.notna(v):
        return ""
    return theme.fmt(v) if col == "close" else _NUMBERS[col].format(float(v))


class ResultsTable(w.VBox):
    """Sortable, filterable HTML table of scan matches."""

    sort_by = t.Unicode("rank")
    descending = t.Bool(False)
    text = t.Unicode("")
    min_score = t.Float(0.0)

    def __init__(self, **kwargs: Any) -> None:
        self.results = pd.DataFrame()
        self.closes: dict[str, list[float]] = {}
        self.sort_select = w.Dropdown(options=SORTABLE, value="rank", description="Sort by")
        self.order = w.Checkbox(value=False, description="Descending", indent=False)
        self.filter_text = w.Text(placeholder="symbol or explanation", description="Filter")
        self.score_floor = w.BoundedFloatText(value=0.0, min=0.0, max=1e9, step=0.1,
                                              description="Min score")  # fmt: skip
        self.html = w.HTML("")
        self.count = w.HTML("")
        w.link((self.sort_select, "value"), (self, "sort_by"))
        w.link((self.order, "value"), (self, "descending"))
        w.link((self.filter_text, "value"), (self, "text"))
        w.link((self.score_floor, "value"), (self, "min_score"))
        self.observe(lambda _c: self.render(), ["sort_by", "descending", "text", "min_score"])
        tools = w.Box([self.sort_select, self.order, self.filter_text, self.score_floor],
                      layout=w.Layout(flex_flow="row wrap"))  # fmt: skip
        super().__init__([tools, self.count, self.html], **kwargs)

    def show(self, results: pd.DataFrame, closes: dict[str, list[float]]) -> None:
        """Show a run's ranked matches and each symbol's recent closes."""
        self.results, self.closes = _flatten(results.reset_index(drop=True)), closes
        self.render()

    def visible(self) -> pd.DataFrame:
        """The rows the filters keep, in the chosen order."""
        frame = self.results
        if frame.empty:
            return frame
        keep = pd.Series(True, index=frame.index)
        if self.text.strip():
            needle = self.text.strip().lower()
            hay = frame["symbol"].astype(str) + " " + frame["explanation"].fillna("").astype(str)
            keep &= hay.str.lower().str.contains(needle, regex=False)
        if self.min_score > 0:
            keep &= pd.to_numeric(frame["score"], errors="coerce").fillna(-np.inf) >= self.min_score
        col = self.sort_by if self.sort_by in frame.columns else "rank"
        return frame.loc[keep].sort_values(
            col, ascending=not self.descending, kind="stable", na_position="last"
        )

    def render(self) -> None:
        """Redraw the table from the results and the current sort/filter."""
        rows = self.visible()
        self.count.value = (f"<p>{len(rows)} of {len(self.results)} matches</p>"
                            if len(self.results) else "")  # fmt: skip
        if rows.empty:
            self.html.value = "<p><i>No matches to show.</i></p>" if len(self.results) else ""
            return
        head = ["#", "Symbol", "Score", "Close", "Chg", "Vol ×", "RSI", "Conf", "30 d", "Why"]
        body = "".join(self._row(r) for r in rows.itertuples(index=False))
        header = "".join(f"<th>{h}</th>" for h in head)
        self.html.value = (
            f'{_STYLE}<div class="oi-scan-wrap"><table class="oi-scan-table">'
            f"<thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div>"
        )

    def _row(self, r: Any) -> str:
        cells = [str(int(r.rank)), analytics_link(str(r.symbol))]
        for col in ("score", "close", "change_pct", "volume_ratio", "rsi_14", "max_confidence"):
            v = pd.to_numeric(getattr(r, col, None), errors="coerce")
            cells.append(_number(col, v))
        cells.append(sparkline_svg(self.closes.get(str(r.symbol), [])))
        cells.append(html.escape(str(r.explanation or ""))[:400])
        return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    def reset(self) -> None:
        """No results, default sort and filters."""
        self.results, self.closes = pd.DataFrame(), {}
        self.sort_by, self.descending, self.text, self.min_score = "rank", False, "", 0.0
        self.html.value = self.count.value = ""


def _reason(item: Any) -> str:
    """One explanation entry as a trader reads it: ``RSI(14) <= 100 (RSI(14)=78.05)``.

    Values are in the viewer's number style (``close=62,950.00``, never ``6.295e+04``).
    """
    if not isinstance(item, dict) or "condition" not in item:
        return str(item)
    values = item.get("values") or {}
    shown = ", ".join(f"{k}={_value(v)}" for k, v in values.items() if not _is_number(k))
    return f"{item['condition']} ({shown})" if shown else str(item["condition"])


def _value(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    return theme.fmt(v, 0 if isinstance(v, int) else None)


def _is_number(text: Any) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def _joined(value: Any) -> Any:
    return "; ".join(map(_reason, value)) if isinstance(value, list | tuple) else value


def _flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """List cells (explanation, matched criteria) as ``; ``-joined text: filterable, exportable."""
    out = frame.copy()
    for col in out.columns[[str(d) == "object" for d in out.dtypes]]:
        out[col] = out[col].map(_joined)
    return out


def download_link(path: Path, label: str) -> str:
    """A data-URL download link for small files; the path for large ones."""
    size = path.stat().st_size
    if size > _LINK_LIMIT:
        return f"<p>{html.escape(label)}: written to <code>{html.escape(str(path))}</code></p>"
    data = base64.b64encode(path.read_bytes()).decode()
    name = html.escape(path.name)
    return (f'<p><a download="{name}" href="data:application/octet-stream;base64,{data}">'
            f"Download {name}</a> ({html.escape(label)}, {size:,} bytes)</p>")  # fmt: skip
