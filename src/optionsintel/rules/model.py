"""The rule tree: a pattern is data (pydantic v2 models), never code.

A :class:`Rule` holds one condition tree. Conditions are discriminated by ``kind``:
``and``/``or`` groups, ``not``, ``compare`` (``< <= > >= == !=``), ``between``
(inclusive), ``in`` (a list of numbers), ``cross`` (above/below, within N bars),
``trend`` (rising/falling for N bars), ``time_window`` (session clock, exchange
time), ``signal`` (one of the eight or any, minimum confidence) and ``anomaly``.
Operands are ``number`` constants, ``series`` from the closed
:data:`~optionsintel.rules.catalogue.CATALOGUE` (with parameters and a look-back
``offset``: ``RSI(14)[1]`` is RSI one bar ago), ``pct_change`` of a series over N
bars and ``line``, a straight line a user drew through two (time, price) points.
Every model forbids unknown keys; every number is finite and bounded. Use
:func:`optionsintel.rules.validate.validate_rule` to build one from untrusted data:
it enforces the size limits first and turns every problem into a
:class:`~optionsintel.errors.RuleValidationError` with the path of the node.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from optionsintel.rules.catalogue import CATALOGUE, MAX_WINDOW

SCHEMA_VERSION = 1
MAX_OFFSET = 250
"""Furthest look-back offset (bars) of a series operand."""
MAX_ABS_NUMBER = 1e15
MAX_GROUP_SIZE = 64
MAX_IN_VALUES = 64

CompareOp = Literal["<", "<=", ">", ">=", "==", "!="]
SignalName = Literal[
    "ANY",
    "CALL_BUILDUP",
    "PUT_BUILDUP",
    "CALL_UNWINDING",
    "PUT_UNWINDING",
    "GAMMA_SQUEEZE",
    "MAX_PAIN",
    "UNUSUAL_ACTIVITY",
    "MOMENTUM_SHIFT",
]
_CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def _finite(value: float) -> float:
    if not math.isfinite(value) or abs(value) > MAX_ABS_NUMBER:
        raise ValueError(f"must be a finite number of magnitude <= {MAX_ABS_NUMBER:g}")
    return value


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Number(_Node):
    """A constant, e.g. ``30`` or ``1.2``."""

    kind: Literal["number"] = "number"
    value: float

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError("must be a number")
        return _finite(float(v))


def _choice(operand: str, param: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.lower() not in choices:
        near = difflib.get_close_matches(str(value).lower()[:32], choices, n=1)
        hint = f"; did you mean '{near[0]}'?" if near else f" (one of: {', '.join(choices)})"
        raise ValueError(f"{operand} parameter {param} must be a name{hint}")
    return value.lower()


class Series(_Node):
    """A catalogue operand with its parameters, ``offset`` bars ago."""

    kind: Literal["series"] = "series"
    name: Annotated[str, Field(max_length=32, json_schema_extra={"enum": list(CATALOGUE)})]
    params: dict[str, Any] = Field(default_factory=dict)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)

    @field_validator("name")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in CATALOGUE:
            near = difflib.get_close_matches(v.lower(), list(CATALOGUE), n=1)
            hint = f"; did you mean '{near[0]}'?" if near else "; see the operand catalogue"
            raise ValueError(f"unknown operand {v[:32]!r}{hint}")
        return v

    @model_validator(mode="after")
    def _params(self) -> Series:
        spec = CATALOGUE[self.name]
        allowed = {p.name: p for p in spec.params}
        unknown = sorted(set(self.params) - set(allowed))
        if unknown:
            names = ", ".join(allowed) or "none"
            raise ValueError(f"{self.name} has no parameter {unknown[0][:32]!r} (takes: {names})")
        filled: dict[str, int | float] = {}
        for p in spec.params:
            v = self.params.get(p.name, p.default)
            if p.kind == "choice":
                filled[p.name] = _choice(self.name, p.name, v, p.choices)  # type: ignore[assignment]
                continue
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or (p.kind == "int" and not isinstance(v, int))
            ):
                kind = "a whole number" if p.kind == "int" else "a number"
                raise ValueError(f"{self.name} parameter {p.name} must be {kind}")
            if not (p.low <= v <= p.high):  # type: ignore[operator]
                raise ValueError(
                    f"{self.name} parameter {p.name} must lie in [{p.low:g}, {p.high:g}]"
                )
            filled[p.name] = float(v) if p.kind == "float" else v  # type: ignore[assignment]
        if self.name.startswith("macd") and filled["fast"] >= filled["slow"]:
            raise ValueError("MACD fast period must be shorter than the slow period")
        object.__setattr__(self, "params", filled)  # canonical: defaults filled in
        return self


class PctChange(_Node):
    """Percent change of a series over ``bars`` bars: ``100 (x_t / x_{t-bars} - 1)``."""

    kind: Literal["pct_change"] = "pct_change"
    operand: Series
    bars: int = Field(ge=1, le=MAX_WINDOW)


_WHEN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T([01][0-9]|2[0-3]):[0-5][0-9])?$"


def _when(v: Any) -> str:
    if not isinstance(v, str) or not re.fullmatch(_WHEN, v):
        raise ValueError("must be a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM (exchange time)")
    try:
        dt.datetime.fromisoformat(v)
    except ValueError:
        raise ValueError(f"{v!r} is not a calendar date") from None
    return v


class Line(_Node):
    """A line a user drew through two (time, price) points, extended by its slope in time.

    ``LINE(2024-01-15, 101.5, 2024-03-01, 110.2)``: at a bar of time ``t`` (exchange time)
    its value is ``p0 + (p1 - p0) (t - t0) / (t1 - t0)``. A horizontal level has
    ``p0 == p1``. The line is *known* from its later point ``t1`` on (a technician could not
    have drawn it earlier): before ``t1`` it is missing, so backtests do not look ahead.
    """

    kind: Literal["line"] = "line"
    t0: str = Field(max_length=16)
    p0: float
    t1: str = Field(max_length=16)
    p1: float

    @field_validator("t0", "t1", mode="before")
    @classmethod
    def _time(cls, v: Any) -> str:
        return _when(v)

    @field_validator("p0", "p1", mode="before")
    @classmethod
    def _price(cls, v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError("must be a number")
        return _finite(float(v))

    @model_validator(mode="after")
    def _order(self) -> Line:
        if dt.datetime.fromisoformat(self.t0) >= dt.datetime.fromisoformat(self.t1):
            raise ValueError(f"the first point ({self.t0}) must come before the second ({self.t1})")
        return self


Operand = Annotated[Number | Series | PctChange | Line, Field(discriminator="kind")]


class Compare(_Node):
    """``left op right``."""

    kind: Literal["compare"] = "compare"
    left: Operand
    op: CompareOp
    right: Operand


class Between(_Node):
    """``low <= operand <= high``."""

    kind: Literal["between"] = "between"
    operand: Operand
    low: Operand
    high: Operand


class InList(_Node):
    """The operand equals one of ``values``."""

    kind: Literal["in"] = "in"
    operand: Operand
    values: list[float] = Field(min_length=1, max_length=MAX_IN_VALUES)

    @field_validator("values", mode="before")
    @classmethod
    def _numbers(cls, v: Any) -> list[float]:
        if not isinstance(v, list) or not all(
            isinstance(x, int | float) and not isinstance(x, bool) for x in v
        ):
            raise ValueError("must be a list of numbers")
        return [_finite(float(x)) for x in v]


class Cross(_Node):
    """``left`` crossed ``right`` up (``above``) or down (``below``) in the last ``within`` bars."""

    kind: Literal["cross"] = "cross"
    left: Operand
    direction: Literal["above", "below"]
    right: Operand
    within: int = Field(1, ge=1, le=MAX_WINDOW)


class Trend(_Node):
    """The operand rose (fell) strictly on each of the last ``bars`` bars."""

    kind: Literal["trend"] = "trend"
    operand: Operand
    direction: Literal["rising", "falling"]
    bars: int = Field(ge=1, le=MAX_WINDOW)


class TimeWindow(_Node):
    """The bar's exchange-time clock lies in ``[start, end]`` (``HH:MM``)."""

    kind: Literal["time_window"] = "time_window"
    start: str = Field(pattern=_CLOCK, max_length=5)
    end: str = Field(pattern=_CLOCK, max_length=5)

    @model_validator(mode="after")
    def _order(self) -> TimeWindow:
        if self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}; swap them")
        return self


class Signal(_Node):
    """A signal of ``type`` (or ``ANY``) is present with confidence >= ``min_confidence``."""

    kind: Literal["signal"] = "signal"
    type: SignalName = "ANY"
    min_confidence: float = Field(0.0, ge=0.0, le=1.0)

    @field_validator("min_confidence", mode="before")
    @classmethod
    def _conf(cls, v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError("must be a number in [0, 1]")
        return float(v)


class Anomaly(_Node):
    """The symbol is flagged by the DBSCAN anomaly label at the bar."""

    kind: Literal["anomaly"] = "anomaly"


class And(_Node):
    """All of ``conditions`` hold."""

    kind: Literal["and"] = "and"
    conditions: list[Condition] = Field(min_length=2, max_length=MAX_GROUP_SIZE)


class Or(_Node):
    """At least one of ``conditions`` holds."""

    kind: Literal["or"] = "or"
    conditions: list[Condition] = Field(min_length=2, max_length=MAX_GROUP_SIZE)


class Not(_Node):
    """``condition`` does not hold (unknown stays unknown)."""

    kind: Literal["not"] = "not"
    condition: Condition


Condition = Annotated[
    And | Or | Not | Compare | Between | InList | Cross | Trend | TimeWindow | Signal | Anomaly,
    Field(discriminator="kind"),
]

for _m in (And, Or, Not):
    _m.model_rebuild()


class Rule(_Node):
    """A versioned rule: ``schema_version`` and one condition tree."""

    schema_version: Literal[1] = 1
    condition: Condition


NODE_KINDS: frozenset[str] = frozenset(
    {
        "and",
        "or",
        "not",
        "compare",
        "between",
        "in",
        "cross",
        "trend",
        "time_window",
        "signal",
        "anomaly",
        "number",
        "series",
        "pct_change",
        "line",
    }
)
