"""What a user drew on the canvas, as rule conditions (pure; no widgets).

plotly reports drawn shapes (``layout.shapes`` after a ``relayout``) as dicts with
``x0, y0, x1, y1`` on a date axis. :func:`drawings_from_shapes` turns the user's lines
into :class:`Drawing` records (points ordered in time and snapped to the bars' clock: a
day on daily bars, a minute on intraday bars; a nearly flat line is a *level*), and
:func:`condition_for` turns a drawing (or two parallel ones: a *channel*) and a chosen
relation into a validated condition of the rule model, e.g. ``close CROSSES ABOVE
LINE(2024-01-15, 101.5, 2024-03-01, 110.2)``. Shapes are data: each coordinate is parsed
as a timestamp or a finite number and nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from optionsintel.errors import RuleValidationError
from optionsintel.rules import validate_rule
from optionsintel.ui.chart_figures import PATTERN_PREFIX

LEVEL_TOL = 0.002
"""A line whose two ends differ by at most this fraction of price is a horizontal level."""
PARALLEL_TOL = 0.25
"""Two lines are parallel (a channel) when their slopes differ by at most this fraction."""
MAX_DRAWINGS = 20

RELATIONS: dict[str, tuple[str, ...]] = {
    "line": ("crosses above", "crosses below", "is above", "is below"),
    "level": ("crosses above", "crosses below", "is above", "is below"),
    "channel": ("breaks above", "breaks below", "is inside"),
}
"""The relations offered for each kind of drawing (close against it)."""


class DrawingError(ValueError):
    """A drawn shape cannot become a condition (the message says why)."""


@dataclass(frozen=True)
class Drawing:
    """A user's line: ``kind`` is ``line`` or ``level``; points ordered in time."""

    kind: Literal["line", "level"]
    t0: str
    p0: float
    t1: str
    p1: float

    def operand(self) -> dict[str, Any]:
        """The rule operand: a ``line`` node (a level is its horizontal line)."""
        return {"kind": "line", "t0": self.t0, "p0": self.p0, "t1": self.t1, "p1": self.p1}

    @property
    def slope(self) -> float:
        """Price per day."""
        days = (pd.Timestamp(self.t1) - pd.Timestamp(self.t0)) / pd.Timedelta(days=1)
        return (self.p1 - self.p0) / days

    def at(self, when: Any) -> float:
        """The line's price at ``when`` (extended by its slope)."""
        days = (pd.Timestamp(when) - pd.Timestamp(self.t0)) / pd.Timedelta(days=1)
        return self.p0 + self.slope * days

    def label(self) -> str:
        """A short description for a menu."""
        if self.kind == "level":
            return f"level {self.p1:g} (from {self.t1})"
        return f"trendline {self.t0} {self.p0:g} → {self.t1} {self.p1:g}"


def _stamp(value: Any, intraday: bool) -> pd.Timestamp:
    if isinstance(value, bool) or not isinstance(value, str | int | float) or len(str(value)) > 40:
        raise DrawingError(f"a shape's time {str(value)[:40]!r} is not a date")
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise DrawingError(f"a shape's time {str(value)[:40]!r} is not a date") from None
    if ts is pd.NaT or ts.tz is not None:
        raise DrawingError(f"a shape's time {str(value)[:40]!r} is not a date")
    return ts.round("min") if intraday else ts.round("D")


def _price(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DrawingError("a shape's price is not a number")
    try:
        x = float(value)
    except ValueError:
        raise DrawingError(f"a shape's price {str(value)[:40]!r} is not a number") from None
    if not math.isfinite(x) or x <= 0 or x > 1e12:
        raise DrawingError(f"a shape's price {x} is not a positive finite number")
    return round(x, 2)


def _text(ts: pd.Timestamp, intraday: bool) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M" if intraday else "%Y-%m-%d")


def drawing_from_shape(shape: dict[str, Any], intraday: bool = False) -> Drawing:
    """One plotly line shape -> a :class:`Drawing` (see the module docstring).

    Raises
    ------
    DrawingError
        Not a line, coordinates that are not a date/price, or both ends on one bar.
    """
    if not isinstance(shape, dict) or shape.get("type", "line") != "line":
        raise DrawingError("only straight lines can become conditions (use the line tool)")
    ends = sorted(
        [(_stamp(shape.get("x0"), intraday), _price(shape.get("y0"))),
         (_stamp(shape.get("x1"), intraday), _price(shape.get("y1")))]
    )  # fmt: skip
    (a, pa), (b, pb) = ends
    if a == b:
        raise DrawingError("both ends of the line fall on one bar: draw it across several bars")
    if abs(pb - pa) <= LEVEL_TOL * (pa + pb) / 2:
        level = round((pa + pb) / 2, 2)
        return Drawing("level", _text(a, intraday), level, _text(b, intraday), level)
    return Drawing("line", _text(a, intraday), pa, _text(b, intraday), pb)


def user_shapes(shapes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The shapes the user drew (detected patterns' shapes are left out)."""
    mine = [s for s in shapes if isinstance(s, dict)]
    return [s for s in mine if not str(s.get("name", "")).startswith(PATTERN_PREFIX)][:MAX_DRAWINGS]


def drawings_from_shapes(
    shapes: list[dict[str, Any]], intraday: bool = False
) -> tuple[list[Drawing], list[str]]:
    """The user's line shapes as drawings, and a message for each shape left out."""
    out, problems = [], []
    for i, shape in enumerate(user_shapes(shapes), start=1):
        try:
            out.append(drawing_from_shape(shape, intraday))
        except DrawingError as exc:
            problems.append(f"shape {i}: {exc}")
    return out, problems


def parallel(a: Drawing, b: Drawing) -> bool:
    """True when ``a`` and ``b`` are parallel enough to bound a channel (and not the same)."""
    sa, sb = a.slope, b.slope
    scale = max(abs(sa), abs(sb), 1e-12)
    flat = a.kind == b.kind == "level"
    return (flat or abs(sa - sb) <= PARALLEL_TOL * scale) and a.p1 != b.p1


def choices(drawings: list[Drawing]) -> list[tuple[str, tuple[int, ...]]]:
    """Menu entries: each drawing, then each parallel pair as a channel."""
    out: list[tuple[str, tuple[int, ...]]] = [
        (f"{i + 1}: {d.label()}", (i,)) for i, d in enumerate(drawings)
    ]
    for i, a in enumerate(drawings):
        for j in range(i + 1, len(drawings)):
            if parallel(a, drawings[j]):
                out.append((f"{i + 1}+{j + 1}: channel", (i, j)))
    return out


def _close() -> dict[str, Any]:
    return {"kind": "series", "name": "close"}


def condition_for(drawings: list[Drawing], relation: str) -> dict[str, Any]:
    """The condition (JSON form, validated) that close has ``relation`` to the drawing(s).

    One drawing: ``crosses above|below`` (a crossing on the bar), ``is above|below``.
    Two (a channel, upper = the higher line at its later point): ``breaks above`` (close
    crosses above the upper line), ``breaks below``, ``is inside`` (between the lines).

    Raises
    ------
    DrawingError
        An unknown relation for that kind of drawing, or two lines that are not parallel.
    """
    kind = "channel" if len(drawings) == 2 else drawings[0].kind if drawings else ""
    if kind not in RELATIONS or relation not in RELATIONS[kind]:
        raise DrawingError(f"relation {relation!r} does not apply to a {kind or 'missing'} drawing")
    if kind == "channel":
        a, b = drawings
        if not parallel(a, b):
            raise DrawingError("the two lines are not parallel: they do not make a channel")
        when = max(pd.Timestamp(a.t1), pd.Timestamp(b.t1))
        lower, upper = sorted((a, b), key=lambda d: d.at(when))
        if relation == "is inside":
            cond = {"kind": "between", "operand": _close(), "low": lower.operand(),
                    "high": upper.operand()}  # fmt: skip
        else:
            up = relation == "breaks above"
            edge = upper if up else lower
            cond = {"kind": "cross", "left": _close(), "direction": "above" if up else "below",
                    "right": edge.operand()}  # fmt: skip
    else:
        line = drawings[0].operand()
        verb, side = relation.split()
        if verb == "crosses":
            cond = {"kind": "cross", "left": _close(), "direction": side, "right": line}
        else:
            cond = {"kind": "compare", "left": _close(), "op": ">" if side == "above" else "<",
                    "right": line}  # fmt: skip
    try:
        validate_rule({"schema_version": 1, "condition": cond})
    except RuleValidationError as exc:  # e.g. a price beyond the model's bounds
        raise DrawingError(str(exc)) from None
    return cond
