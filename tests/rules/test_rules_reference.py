"""The vectorised engine against a cell-by-cell reference evaluator on random rules.

The reference computes each operand from the research indicators (or plain pandas) and
walks the tree for every (bar, symbol) in Python with ``None`` for unknown, following
the definitions in docs/patterns.md. Random trees (hypothesis) must give the same
matches and the same per-condition states.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from panels import make_panel

import optionsintel.research.indicators as ind
from optionsintel.errors import RuleValidationError
from optionsintel.rules import validate_rule
from optionsintel.rules.evaluate import evaluate

BARS, SYMBOLS = 40, 3
PANEL = make_panel(bars=BARS, symbols=SYMBOLS, seed=5)
_rng = np.random.default_rng(9)
_conf = _rng.uniform(0, 1, (BARS, SYMBOLS))
_conf[_rng.uniform(size=(BARS, SYMBOLS)) < 0.5] = np.nan
PANEL["signals.CALL_BUILDUP"] = pd.DataFrame(_conf, PANEL["close"].index, PANEL["close"].columns)
_flag = (_rng.uniform(size=(BARS, SYMBOLS)) < 0.3).astype(float)
_flag[_rng.uniform(size=(BARS, SYMBOLS)) < 0.2] = np.nan
PANEL["anomaly"] = pd.DataFrame(_flag, PANEL["close"].index, PANEL["close"].columns)
for _name in ("close", "high", "low", "open"):  # gaps: a symbol not trading some bars
    PANEL[_name].iloc[12:14, 1] = np.nan

_OPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def _base(name: str, p: dict[str, Any]) -> np.ndarray:
    key = (name, tuple(sorted(p.items())))
    if key not in _BASES:
        _BASES[key] = _compute_base(name, p)
    return _BASES[key]


_BASES: dict[Any, np.ndarray] = {}


def _compute_base(name: str, p: dict[str, Any]) -> np.ndarray:
    c, h, lo, v = PANEL["close"], PANEL["high"], PANEL["low"], PANEL["volume"]
    ref = {
        "close": lambda: c,
        "high": lambda: h,
        "low": lambda: lo,
        "volume": lambda: v,
        "sma": lambda: c.rolling(p.get("window", 1), min_periods=p.get("window", 1)).mean(),
        "rsi": lambda: ind.rsi(c, p.get("window", 2)),
        "ema": lambda: ind.ema(c, p.get("span", 1)),
        "atr": lambda: ind.atr(h, lo, c, p.get("window", 1)),
        "bb_percent_b": lambda: ind.bollinger_bands(c, p.get("window", 2), p.get("num_std", 2.0))[
            "percent_b"
        ],
        "high_52w": lambda: h.rolling(p.get("window", 1), min_periods=p.get("window", 1)).max(),
        "rvol": lambda: v / v.rolling(p.get("window", 1)).mean().shift(1),
        "macd_signal": lambda: ind.macd(c, p.get("fast", 2), p.get("slow", 3), p.get("signal", 2))[
            "signal"
        ],
        "r1": lambda: ind.pivots(h, lo, c)["r1"],
    }
    return ref[name]().to_numpy(np.float64)


def _value(op: dict[str, Any], t: int, j: int) -> float:
    if op["kind"] == "number":
        return float(op["value"])
    if op["kind"] == "pct_change":
        now, before = _value(op["operand"], t, j), _value(op["operand"], t - op["bars"], j)
        return 100.0 * (now / before - 1.0)
    s = t - op.get("offset", 0)
    return float(_base(op["name"], op.get("params", {}))[s, j]) if s >= 0 else np.nan


def _state(c: dict[str, Any], t: int, j: int) -> bool | None:
    k = c["kind"]
    if k in ("and", "or"):
        parts = [_state(x, t, j) for x in c["conditions"]]
        if k == "and":
            return False if False in parts else (True if all(parts) else None)
        return True if True in parts else (False if all(p is False for p in parts) else None)
    if k == "not":
        inner = _state(c["condition"], t, j)
        return None if inner is None else not inner
    if k == "signal":
        conf = PANEL["signals.CALL_BUILDUP"].to_numpy()[t, j]
        return bool(conf >= c["min_confidence"])
    if k == "anomaly":
        flag = PANEL["anomaly"].to_numpy()[t, j]
        return None if np.isnan(flag) else bool(flag > 0.5)
    if k == "cross":
        a, b = (lambda s: _value(c["left"], s, j)), (lambda s: _value(c["right"], s, j))
        up = c["direction"] == "above"
        for s in range(max(t - c["within"] + 1, 1), t + 1):
            if (
                (a(s) > b(s) and a(s - 1) <= b(s - 1))
                if up
                else (a(s) < b(s) and a(s - 1) >= b(s - 1))
            ):
                return True
        return None if np.isnan(a(t)) or np.isnan(b(t)) else False
    if k == "trend":
        x = lambda s: _value(c["operand"], s, j) if s >= 0 else np.nan  # noqa: E731
        rising = c["direction"] == "rising"
        steps = [
            (x(s) > x(s - 1)) if rising else (x(s) < x(s - 1))
            for s in range(t - c["bars"] + 1, t + 1)
        ]
        if t - c["bars"] + 1 >= 0 and all(steps):
            return True
        return None if np.isnan(x(t)) or np.isnan(x(t - c["bars"])) else False
    if k == "in":
        x = _value(c["operand"], t, j)
        return None if np.isnan(x) else x in c["values"]
    if k == "between":
        x, lo, hi = (_value(c[f], t, j) for f in ("operand", "low", "high"))
        return None if np.isnan([x, lo, hi]).any() else bool(lo <= x <= hi)
    x, y = _value(c["left"], t, j), _value(c["right"], t, j)
    return None if np.isnan(x) or np.isnan(y) else bool(_OPS[c["op"]](x, y))


@st.composite
def _series(draw: Any) -> dict[str, Any]:
    # %B over 2 bars is +-1/(2k) about 0.5: exact ties that float noise would flip, so 3+
    name = draw(
        st.sampled_from(
            [
                "close",
                "high",
                "low",
                "volume",
                "sma",
                "rsi",
                "ema",
                "atr",
                "bb_percent_b",
                "high_52w",
                "rvol",
                "macd_signal",
                "r1",
            ]
        )
    )
    w = draw(st.integers(2, 6))
    params = {
        "sma": {"window": w},
        "rsi": {"window": w},
        "ema": {"span": w},
        "atr": {"window": w},
        "bb_percent_b": {"window": w + 1, "num_std": 1.5},
        "high_52w": {"window": w},
        "rvol": {"window": w},
        "macd_signal": {"fast": 2, "slow": w + 1, "signal": 2},
    }.get(name, {})
    return {"kind": "series", "name": name, "params": params, "offset": draw(st.integers(0, 2))}


_nums = st.floats(-5, 150, allow_nan=False).map(lambda v: {"kind": "number", "value": round(v, 1)})
_ops = st.one_of(
    _series(),
    _series(),
    _nums,
    st.builds(
        lambda s, b: {"kind": "pct_change", "operand": s, "bars": b}, _series(), st.integers(1, 3)
    ),
)
_leaves = st.one_of(
    st.builds(
        lambda a, o, b: {"kind": "compare", "left": a, "op": o, "right": b},
        _ops,
        st.sampled_from(list(_OPS)),
        _ops,
    ),
    st.builds(
        lambda a, lo, hi: {"kind": "between", "operand": a, "low": lo, "high": hi}, _ops, _ops, _ops
    ),
    st.builds(
        lambda a, d, b, w: {"kind": "cross", "left": a, "direction": d, "right": b, "within": w},
        _series(),
        st.sampled_from(["above", "below"]),
        _ops,
        st.integers(1, 4),
    ),
    st.builds(
        lambda a, d, n: {"kind": "trend", "operand": a, "direction": d, "bars": n},
        _series(),
        st.sampled_from(["rising", "falling"]),
        st.integers(1, 3),
    ),
    st.builds(lambda a: {"kind": "in", "operand": a, "values": [100.0, 50.0]}, _ops),
    st.builds(
        lambda m: {"kind": "signal", "type": "CALL_BUILDUP", "min_confidence": m},
        st.sampled_from([0.0, 0.5]),
    ),
    st.just({"kind": "anomaly"}),
)
_trees = st.recursive(
    _leaves,
    lambda ch: st.one_of(
        st.lists(ch, min_size=2, max_size=3).map(lambda c: {"kind": "and", "conditions": c}),
        st.lists(ch, min_size=2, max_size=3).map(lambda c: {"kind": "or", "conditions": c}),
        ch.map(lambda c: {"kind": "not", "condition": c}),
    ),
    max_leaves=6,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trees)
def test_engine_equals_the_cell_by_cell_reference(tree: dict[str, Any]) -> None:
    try:
        rule = validate_rule({"condition": tree})
    except RuleValidationError:
        return  # e.g. the depth limit; the generator rarely goes there
    result = evaluate(rule, PANEL)
    canonical = rule.model_dump()["condition"]
    expected = np.array(
        [[_state(canonical, t, j) is True for j in range(SYMBOLS)] for t in range(BARS)]
    )
    np.testing.assert_array_equal(result.matches.to_numpy(), expected)
    for t, j in ((BARS - 1, 0), (13, 1), (20, 2)):
        root = result.explain(result.columns[j], result.index[t])[0]
        assert root.held == _state(canonical, t, j)
