"""Hypothesis strategies for random valid rule trees (as JSON-form dicts)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from optionsintel.rules.catalogue import CATALOGUE, SIGNAL_TYPES

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False)
small_ints = st.integers(1, 300)


@st.composite
def series(draw: Any) -> dict[str, Any]:
    spec = CATALOGUE[draw(st.sampled_from(sorted(CATALOGUE)))]
    params: dict[str, Any] = {}
    for p in spec.params:
        if draw(st.booleans()):
            if p.kind == "int":
                params[p.name] = draw(st.integers(int(p.low), int(min(p.high, 400))))
            elif p.kind == "choice":
                params[p.name] = draw(st.sampled_from(p.choices))
            else:
                params[p.name] = draw(st.floats(p.low, p.high, allow_nan=False))
    if spec.name.startswith("macd"):
        fast = params.get("fast", 12)
        params["slow"] = max(params.get("slow", 26), fast + 1)
    return {
        "kind": "series",
        "name": spec.name,
        "params": params,
        "offset": draw(st.integers(0, 5)),
    }


numbers = finite.map(lambda v: {"kind": "number", "value": v})
pct_changes = st.builds(
    lambda s, b: {"kind": "pct_change", "operand": s, "bars": b}, series(), small_ints
)


@st.composite
def lines(draw: Any) -> dict[str, Any]:
    """A user-drawn line: two (time, price) points, the first strictly earlier."""
    import datetime as dt

    day0 = dt.date(2015, 1, 1) + dt.timedelta(days=draw(st.integers(0, 4000)))
    day1 = day0 + dt.timedelta(days=draw(st.integers(0, 800)))
    t0, t1 = day0.isoformat(), day1.isoformat()
    if day1 == day0 or draw(st.booleans()):  # intraday points carry a clock
        t0 += f"T{draw(st.integers(0, 11)):02d}:{draw(st.integers(0, 59)):02d}"
        t1 += f"T{draw(st.integers(12, 23)):02d}:{draw(st.integers(0, 59)):02d}"
    return {"kind": "line", "t0": t0, "p0": draw(finite), "t1": t1, "p1": draw(finite)}


operands = st.one_of(numbers, series(), pct_changes, lines())
clocks = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))


def _between(a: dict[str, Any], lo: dict[str, Any], hi: dict[str, Any]) -> dict[str, Any]:
    # constant bounds the wrong way round are refused (check_ranges): draw them in order
    if lo["kind"] == hi["kind"] == "number" and lo["value"] > hi["value"]:
        lo, hi = hi, lo
    return {"kind": "between", "operand": a, "low": lo, "high": hi}


def _leaf() -> st.SearchStrategy[dict[str, Any]]:
    ops = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
    return st.one_of(
        st.builds(
            lambda a, o, b: {"kind": "compare", "left": a, "op": o, "right": b},
            operands,
            ops,
            operands,
        ),
        st.builds(
            _between,
            operands,
            operands,
            operands,
        ),
        st.builds(
            lambda a, v: {"kind": "in", "operand": a, "values": v},
            operands,
            st.lists(finite, min_size=1, max_size=4),
        ),
        st.builds(
            lambda a, d, b, w: {
                "kind": "cross",
                "left": a,
                "direction": d,
                "right": b,
                "within": w,
            },
            operands,
            st.sampled_from(["above", "below"]),
            operands,
            small_ints,
        ),
        st.builds(
            lambda a, d, n: {"kind": "trend", "operand": a, "direction": d, "bars": n},
            operands,
            st.sampled_from(["rising", "falling"]),
            small_ints,
        ),
        st.builds(
            lambda a, b: {"kind": "time_window", "start": min(a, b), "end": max(a, b)},
            clocks,
            clocks,
        ),
        st.builds(
            lambda t, c: {"kind": "signal", "type": t, "min_confidence": c},
            st.sampled_from(["ANY", *SIGNAL_TYPES]),
            st.floats(0, 1),
        ),
        st.just({"kind": "anomaly"}),
    )


def _extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    groups = st.lists(children, min_size=2, max_size=4)
    return st.one_of(
        groups.map(lambda c: {"kind": "and", "conditions": c}),
        groups.map(lambda c: {"kind": "or", "conditions": c}),
        children.map(lambda c: {"kind": "not", "condition": c}),
    )


conditions = st.recursive(_leaf(), _extend, max_leaves=12)
rules = conditions.map(lambda c: {"schema_version": 1, "condition": c})
