"""Vectorised evaluation of a compiled rule over a panel (bars x symbols).

Each condition yields two boolean arrays of shape ``(bars, symbols)``: ``held`` and
``known``. A comparison with a missing value (an indicator still warming up, a
symbol not yet listed) is *unknown*, not false, and unknown propagates with
Kleene's three-valued logic: ``NOT unknown`` is unknown, ``false AND unknown`` is
false, ``true OR unknown`` is true. Only ``held`` cells are matches.

Glossary: ``a, b`` operand arrays; ``T`` bars; ``N`` symbols.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.errors import RuleDataError
from optionsintel.rules.catalogue import CATALOGUE, SIGNAL_TYPES
from optionsintel.rules.compute import KERNELS
from optionsintel.rules.model import Rule
from optionsintel.rules.panel import IndicatorCache, Panel
from optionsintel.rules.plan import Plan, compile_rule
from optionsintel.rules.result import RuleResult
from optionsintel.tz import EXCHANGE_TZ

Array = np.ndarray
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_UNCACHED = ("field", "dataset")  # plain reads: nothing to save by caching


def _shift(x: Array, k: int) -> Array:
    if k == 0:
        return x
    out = np.empty_like(x)
    out[:k] = np.nan
    if k < len(x):
        out[k:] = x[:-k]
    return out


def _window_any(x: Array, n: int) -> Array:
    """True where any of the last ``n`` bars (this one included) is True, per column."""
    if n <= 16:  # a few shifted ORs beat a cumulative sum
        out = x.copy()
        for k in range(1, min(n, len(x))):
            out[k:] |= x[:-k]
        return out
    cs = np.cumsum(x, axis=0, dtype=np.int32)
    cs[n:] -= cs[:-n].copy()
    return cs > 0


def _window_all(x: Array, n: int) -> Array:
    """True where all of the last ``n`` bars (this one included) are True, per column."""
    out = ~_window_any(~x, n)
    out[: n - 1] = False
    return out


def _c_order(out: Any) -> Any:
    if isinstance(out, dict):
        return {k: np.ascontiguousarray(v) for k, v in out.items()}
    return np.ascontiguousarray(out)


def _kernel_values(plan: Plan, panel: Panel, cache: IndicatorCache) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for kkey, (spec, params) in plan.kernels.items():
        if spec.kernel in _UNCACHED:
            out[kkey] = KERNELS[spec.kernel](spec, params, panel)
            continue
        ckey = (kkey, panel.fingerprint, panel.as_of)
        value = cache.get(ckey)
        if value is None:
            value = _c_order(KERNELS[spec.kernel](spec, params, panel))
            cache.put(ckey, value)
        out[kkey] = value
    return out


def _operand_value(node: Any, op: Any, values: dict[Any, Any], kernels: dict[Any, Any]) -> Any:
    if node.kind == "pct_change":
        x = values[op.inner][0]
        with np.errstate(divide="ignore", invalid="ignore"):
            return 100.0 * (x / _shift(x, node.bars) - 1.0)
    out = kernels[op.kernel_key]
    arr = out[CATALOGUE[node.name].output] if isinstance(out, dict) else out
    return _shift(arr, node.offset)


def line_values(node: Any, index: pd.Index) -> Array:
    """Values of a :class:`~optionsintel.rules.model.Line` at the bars of ``index``.

    Time is measured in days of exchange time (a tz-aware index is converted to the
    exchange zone, a naive one is taken as exchange time). NaN before the line's second
    point ``t1``: the line is not known before it was drawn.

    Raises
    ------
    RuleDataError
        ``index`` is not a DatetimeIndex.
    """
    if not isinstance(index, pd.DatetimeIndex):
        raise RuleDataError("LINE(...) needs bars with a DatetimeIndex")
    local = index.tz_convert(EXCHANGE_TZ).tz_localize(None) if index.tz is not None else index
    t = local.to_numpy("datetime64[ns]").astype(np.int64) / 86.4e12
    t0, t1 = (pd.Timestamp(x).value / 86.4e12 for x in (node.t0, node.t1))
    out = node.p0 + (node.p1 - node.p0) * (t - t0) / (t1 - t0)
    return np.where(t >= t1, out, np.nan)


def _operand_values(
    plan: Plan, kernels: dict[Any, Any], panel: Panel, cache: IndicatorCache
) -> dict[Any, tuple[Any, Any]]:
    """Operand key -> (values, known mask); shifted and derived operands are cached too."""
    values: dict[Any, tuple[Any, Any]] = {}
    for key, op in plan.operands.items():  # inner operands were planned first
        if op.node.kind == "number":
            values[key] = (np.float64(op.node.value), True)
            continue
        if op.node.kind == "line":
            shape = (len(panel.index), len(panel.columns))
            x = np.broadcast_to(line_values(op.node, panel.index)[:, None], shape)
            values[key] = (x, ~np.isnan(x))
            continue
        ckey = ("operand", key, panel.fingerprint, panel.as_of)
        entry = cache.get(ckey, derived=True)
        if entry is None:
            x = _operand_value(op.node, op, values, kernels)
            entry = (x, ~np.isnan(x))
            cache.put(ckey, entry)
        values[key] = entry
    return values


def _known(*ks: Any) -> Any:
    ok: Any = True
    for k in ks:
        ok = k if ok is True else (ok if k is True else ok & k)
    return ok


def _now_and_before(x: Any, shape: tuple[int, int]) -> tuple[Any, Any]:
    """Views of bars 1..T-1 and 0..T-2 (a constant stays a constant): no shifted copies."""
    if np.ndim(x) == 0:
        return x, x
    return x[1:], x[:-1]


def _cross(node: Any, a: Any, b: Any, shape: tuple[int, int]) -> Array:
    (a1, a0), (b1, b0) = _now_and_before(a, shape), _now_and_before(b, shape)
    hit = np.zeros(shape, bool)
    if node.direction == "above":
        hit[1:] = (a1 > b1) & (a0 <= b0)
    else:
        hit[1:] = (a1 < b1) & (a0 >= b0)
    return hit if node.within == 1 else _window_any(hit, node.within)


def _trend(node: Any, x: Any, known: Any, shape: tuple[int, int]) -> tuple[Array, Any]:
    x = np.broadcast_to(x, shape)
    step = np.zeros(shape, bool)
    step[1:] = x[1:] > x[:-1] if node.direction == "rising" else x[1:] < x[:-1]
    return _window_all(step, node.bars), known & ~np.isnan(
        _shift(np.ascontiguousarray(x), node.bars)
    )


def _leaf(
    node: Any, ops: list[tuple[Any, Any]], panel: Panel, shape: tuple[int, int]
) -> tuple[Array, Any]:
    k = node.kind
    v = [x for x, _ in ops]
    known = _known(*(m for _, m in ops))
    if k == "compare":
        held = _OPS[node.op](v[0], v[1])
        return (held if known is True else held & known), known
    if k == "between":
        held = (v[1] <= v[0]) & (v[0] <= v[2])
        return (held if known is True else held & known), known
    if k == "in":
        return np.isin(v[0], node.values), known
    if k == "cross":
        return _cross(node, v[0], v[1], shape), known
    if k == "trend":
        return _trend(node, v[0], known, shape)
    if k == "time_window":
        return _time_window(node, panel, shape)
    if k == "signal":
        types = SIGNAL_TYPES if node.type == "ANY" else (node.type,)
        conf = np.fmax.reduce([panel.array(f"signals.{t}") for t in types])
        # an absent signal is NaN: not present, and that is known
        return conf >= node.min_confidence, True
    flag = panel.array("anomaly")
    return flag > 0.5, ~np.isnan(flag)


def _time_window(node: Any, panel: Panel, shape: tuple[int, int]) -> tuple[Array, Array]:
    idx = panel.index
    if not isinstance(idx, pd.DatetimeIndex):
        raise RuleDataError("TIME BETWEEN needs bars with a DatetimeIndex (intraday bars)")
    local = idx.tz_convert(EXCHANGE_TZ) if idx.tz is not None else idx
    minutes = np.asarray(local.hour * 60 + local.minute)
    start, end = (int(t[:2]) * 60 + int(t[3:]) for t in (node.start, node.end))
    inside = (minutes >= start) & (minutes <= end)
    return np.broadcast_to(inside[:, None], shape).copy(), np.ones(shape, bool)


def _group(node: Any, parts: list[tuple[Array, Array]]) -> tuple[Array, Array]:
    if node.kind == "not":
        held, known = parts[0]
        return known & ~held, known
    held, known = parts[0][0].copy(), parts[0][1].copy()
    if node.kind == "and":
        refuted = parts[0][1] & ~parts[0][0]  # one known-false member decides an AND
        for h, k in parts[1:]:
            held &= h
            known &= k
            refuted |= k & ~h
        return held, known | refuted
    for h, k in parts[1:]:
        held |= h
        known &= k
    return held, known | held


def _check_datasets(plan: Plan, panel: Panel) -> None:
    missing = {name: who for name, who in plan.datasets.items() if not panel.has(name)}
    if missing:
        listed = "; ".join(f"'{n}' (for {w})" for n, w in sorted(missing.items()))
        raise RuleDataError(f"the panel lacks dataset(s) the rule needs: {listed}")


def evaluate(
    rule: Rule | Plan,
    panel: Mapping[str, pd.DataFrame] | Panel,
    *,
    as_of: Any = None,
    cache: IndicatorCache | None = None,
) -> RuleResult:
    """Evaluate a rule over a panel of wide frames, as of a bar.

    Parameters
    ----------
    rule
        A validated :class:`Rule` or its compiled :class:`Plan` (compile once, reuse).
    panel
        Dataset name -> wide frame (index = bars, columns = symbols); see
        :mod:`optionsintel.rules.catalogue` for the names each operand reads.
    as_of
        Use only bars at or before this label (point in time); None = all bars.
    cache
        Indicator cache shared across calls; a fresh one when None.

    Returns
    -------
    RuleResult
        ``matches`` (bool frame) and per-condition arrays for explanations.

    Raises
    ------
    RuleDataError
        A dataset the rule needs is not in the panel (every missing one is named).
    """
    plan = rule if isinstance(rule, Plan) else compile_rule(rule)
    if isinstance(panel, Panel):
        panel = panel if as_of is None else panel.cut(as_of)
    else:
        panel = Panel(panel, as_of=as_of)
    cache = cache if cache is not None else IndicatorCache()
    _check_datasets(plan, panel)
    hits, misses = cache.hits, cache.misses
    values = _operand_values(plan, _kernel_values(plan, panel, cache), panel, cache)
    shape = (len(panel.index), len(panel.columns))
    states: dict[str, tuple[Array, Array]] = {}
    for cond in plan.conditions:
        if cond.children:
            states[cond.path] = _group(cond.node, [states[c] for c in cond.children])
        else:
            held, known = _leaf(cond.node, [values[k] for k in cond.operands], panel, shape)
            # a condition that held is decided, even if a value it read today is missing
            # (a crossing WITHIN n bars that happened before the gap)
            known = known if known is True else held | known
            states[cond.path] = (np.broadcast_to(held, shape), np.broadcast_to(known, shape))
    return RuleResult(
        plan,
        panel.index,
        panel.columns,
        states,
        {k: v for k, (v, _) in values.items()},
        cache_hits=cache.hits - hits,
        cache_misses=cache.misses - misses,
        anomaly=panel.array("anomaly") if panel.has("anomaly") else None,
    )
