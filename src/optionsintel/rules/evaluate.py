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
    out = np.full_like(x, np.nan)
    if k < len(x):
        out[k:] = x[:-k]
    return out


def _window_count(x: Array, n: int) -> Array:
    """Number of True in the last ``n`` bars (this one included), per column."""
    cs = np.cumsum(x, axis=0, dtype=np.int64)
    out = cs.copy()
    out[n:] -= cs[:-n]
    return out


def _kernel_values(plan: Plan, panel: Panel, cache: IndicatorCache) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for kkey, (spec, params) in plan.kernels.items():
        if spec.kernel in _UNCACHED:
            out[kkey] = KERNELS[spec.kernel](spec, params, panel)
            continue
        ckey = (kkey, panel.fingerprint, panel.as_of)
        value = cache.get(ckey)
        if value is None:
            value = KERNELS[spec.kernel](spec, params, panel)
            cache.put(ckey, value)
        out[kkey] = value
    return out


def _operand_values(plan: Plan, kernels: dict[Any, Any]) -> dict[Any, Any]:
    values: dict[Any, Any] = {}
    for key, op in plan.operands.items():  # inner operands were planned first
        node = op.node
        if node.kind == "number":
            values[key] = np.float64(node.value)
        elif node.kind == "pct_change":
            x = values[op.inner]
            with np.errstate(divide="ignore", invalid="ignore"):
                values[key] = 100.0 * (x / _shift(x, node.bars) - 1.0)
        else:
            out = kernels[op.kernel_key]
            spec = CATALOGUE[node.name]
            frame = out[spec.output] if isinstance(out, dict) else out
            values[key] = _shift(frame.to_numpy(np.float64), node.offset)
    return values


def _known(*xs: Any) -> Array:
    ok: Any = True
    for x in xs:
        ok = ok & ~np.isnan(x)
    return np.asarray(ok)


def _leaf(node: Any, v: list[Any], panel: Panel, shape: tuple[int, int]) -> tuple[Array, Array]:
    k = node.kind
    if k == "compare":
        known = _known(v[0], v[1])
        return _OPS[node.op](v[0], v[1]) & known, known
    if k == "between":
        known = _known(*v)
        return (v[1] <= v[0]) & (v[0] <= v[2]) & known, known
    if k == "in":
        return np.isin(v[0], node.values), _known(v[0])
    if k == "cross":
        a, b = (np.broadcast_to(x, shape) for x in v)
        up = (a > b) & (_shift(a, 1) <= _shift(b, 1)) if node.direction == "above" else None
        if up is None:
            up = (a < b) & (_shift(a, 1) >= _shift(b, 1))
        return _window_count(up, node.within) > 0, _known(a, b)
    if k == "trend":
        x = np.broadcast_to(v[0], shape)
        step = x > _shift(x, 1) if node.direction == "rising" else x < _shift(x, 1)
        return _window_count(step, node.bars) == node.bars, _known(x, _shift(x, node.bars))
    if k == "time_window":
        return _time_window(node, panel, shape)
    if k == "signal":
        types = SIGNAL_TYPES if node.type == "ANY" else (node.type,)
        conf = np.fmax.reduce([panel.frame(f"signals.{t}").to_numpy() for t in types])
        # an absent signal is NaN: not present, and that is known
        return conf >= node.min_confidence, np.ones(shape, bool)
    flag = panel.frame("anomaly").to_numpy()
    return flag > 0.5, _known(flag)


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
    held = [h for h, _ in parts]
    known = [k for _, k in parts]
    if node.kind == "not":
        return known[0] & ~held[0], known[0]
    if node.kind == "and":
        value = np.logical_and.reduce(held)
        decided = np.logical_and.reduce(known) | np.logical_or.reduce([k & ~h for h, k in parts])
        return value, decided
    value = np.logical_or.reduce(held)
    return value, np.logical_and.reduce(known) | value


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
    values = _operand_values(plan, _kernel_values(plan, panel, cache))
    shape = (len(panel.index), len(panel.columns))
    states: dict[str, tuple[Array, Array]] = {}
    for cond in plan.conditions:
        if cond.children:
            states[cond.path] = _group(cond.node, [states[c] for c in cond.children])
        else:
            held, known = _leaf(cond.node, [values[k] for k in cond.operands], panel, shape)
            states[cond.path] = (np.broadcast_to(held, shape), np.broadcast_to(known, shape))
    return RuleResult(
        plan,
        panel.index,
        panel.columns,
        states,
        values,
        cache_hits=cache.hits - hits,
        cache_misses=cache.misses - misses,
    )
