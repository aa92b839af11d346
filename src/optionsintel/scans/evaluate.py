"""Evaluate a scan over a whole-universe panel at once (vectorised, batch-invariant).

Every criterion (a pinned pattern, a detector) is a rule of :mod:`optionsintel.rules`
(a detector is ``SIGNAL(TYPE, min_confidence)`` or ``ANOMALY``), compiled once and
evaluated over the panel (bars x symbols) with one shared :class:`IndicatorCache`; the
"values a trader sorts by" come from one more rule over the same cache. No Python loop
runs over symbols except to write the explanations of the matches.

Batch invariance. Every kernel of the rules engine works column by column, the panel is
reindexed to one bar index fixed for the whole run (``bars``) and read at one bar
(``at``), and the score of a symbol depends only on its own column; so evaluating the
universe in batches of symbols gives exactly the rows of evaluating it whole
(``tests/scans/test_scan_evaluate.py``). The rank is given after the batches are
gathered (:func:`rank_results`).

Score. ``score = 100 * mean(strength of each criterion)`` where a held pattern or
anomaly criterion has strength 1, a held signal criterion its confidence (0-1) at the
bar, and a criterion that does not hold 0. Ties are ranked by volume ratio, then by
symbol.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from optionsintel.errors import ScanSpecError
from optionsintel.rules import IndicatorCache, Panel, Plan, Rule, RuleResult, compile_rule
from optionsintel.rules import evaluate as evaluate_rule
from optionsintel.rules.text import parse_rule
from optionsintel.scans.spec import Detector, ScanSpec

#: The values rule: operand text -> result column (each is also a sortable column).
VALUE_OPERANDS: dict[str, str] = {
    "close": "close",
    "PCT_CHANGE(close, 1)": "change_pct",
    "volume": "volume",
    "RVOL(20)": "volume_ratio",
    "RSI(14)": "rsi_14",
}
_VALUES_TEXT = (
    "close > 0 AND volume >= 0 AND PCT_CHANGE(close, 1) > -1000 AND RVOL(20) >= 0 AND RSI(14) >= 0"
)
RESULT_COLUMNS = [
    "symbol", "bar", "status", "matched", "score", "criteria_matched", "matched_criteria",
    *VALUE_OPERANDS.values(), "max_confidence", "anomaly", "explanation",
]  # fmt: skip
"""Columns of :func:`evaluate_scan` (``rank`` is added by :func:`rank_results`)."""


@dataclass(frozen=True)
class Criterion:
    """One scan criterion: its label (pin or detector text), rule and compiled plan."""

    label: str
    kind: Literal["pattern", "detector"]
    rule: Rule
    plan: Plan
    detector: Detector | None = None


@dataclass(frozen=True)
class CompiledScan:
    """A spec with every criterion compiled, ready to evaluate over any panel."""

    spec: ScanSpec
    criteria: tuple[Criterion, ...]
    values_plan: Plan

    @property
    def datasets(self) -> list[str]:
        """Every panel dataset the criteria and the values need."""
        names = {"open", "high", "low", "close", "volume"}
        for c in (*self.criteria, None):
            names |= set((c.plan if c else self.values_plan).datasets)
        return sorted(names)

    @property
    def panel_plan(self) -> Plan:
        """One plan whose datasets and windows cover every criterion (for panel builders)."""
        conditions = [c.rule.condition for c in self.criteria] + [self.values_plan.rule.condition]
        if len(conditions) == 1:  # pragma: no cover - values rule always present
            return self.values_plan
        return compile_rule(Rule.model_validate({"condition": {"kind": "or",
                                                 "conditions": conditions}}))  # fmt: skip


def detector_rule(detector: Detector) -> Rule:
    """The rule of a built-in detector (``SIGNAL(TYPE, c)`` or ``ANOMALY``)."""
    return parse_rule(detector.rule_text)


def compile_scan(spec: ScanSpec, rules: Mapping[str, Rule]) -> CompiledScan:
    """Compile every criterion of ``spec``.

    Parameters
    ----------
    spec
        The scan.
    rules
        The rule of each pinned pattern of ``spec.patterns`` (pin -> rule), loaded from
        the store by the caller (:func:`optionsintel.services.patterns.load_pinned`).

    Raises
    ------
    ScanSpecError
        When a pin of the spec has no rule.
    """
    missing = [p for p in spec.patterns if p not in rules]
    if missing:
        raise ScanSpecError(f"no rule given for pattern {missing[0]}")
    crit = [Criterion(p, "pattern", rules[p], compile_rule(rules[p])) for p in spec.patterns]
    for d in spec.detectors:
        rule = detector_rule(d)
        crit.append(Criterion(d.text, "detector", rule, compile_rule(rule), d))
    return CompiledScan(spec, tuple(crit), compile_rule(parse_rule(_VALUES_TEXT)))


def select_panel(
    frames: Panel | Mapping[str, pd.DataFrame],
    *,
    symbols: Sequence[str] | None = None,
    bars: pd.Index | None = None,
) -> dict[str, pd.DataFrame]:
    """The panel's frames restricted to ``symbols`` and reindexed to ``bars``.

    Missing cells are NaN (never filled forward); a symbol absent from the panel is an
    all-NaN column (it is reported ``no_data``).
    """
    raw = {n: frames.frame(n) for n in frames.names()} if isinstance(frames, Panel) else frames
    cols = pd.Index(list(symbols)) if symbols is not None else raw["close"].columns
    index = bars if bars is not None else raw["close"].index
    same = {n: f.index.equals(index) and f.columns.equals(cols) for n, f in raw.items()}
    return {n: f if same[n] else f.reindex(index, columns=cols) for n, f in raw.items()}


def evaluate_scan(
    compiled: CompiledScan,
    frames: Panel | Mapping[str, pd.DataFrame],
    *,
    symbols: Sequence[str] | None = None,
    bars: pd.Index | None = None,
    at: Any = None,
    cache: IndicatorCache | None = None,
) -> pd.DataFrame:
    """Evaluate every criterion over the panel; one row per symbol (see ``RESULT_COLUMNS``).

    Parameters
    ----------
    compiled
        :func:`compile_scan` output.
    frames
        The panel (dataset -> wide frame, or a :class:`Panel`), point in time.
    symbols
        The batch to evaluate (default: every column of the panel). The Dagster job fans
        batches out; the rows do not depend on the batching.
    bars
        The bar index fixed for the whole run (default: the panel's bars).
    at
        The scan bar (default: the last of ``bars``).
    cache
        Indicator cache (shared by the criteria; a fresh one when None).

    Returns
    -------
    pandas.DataFrame
        ``status`` is ``ok`` or ``no_data`` (no bar at ``at``: not evaluated, never a
        silent non-match); ``explanation`` lists, for each criterion that held, its leaf
        conditions with ``held`` and operand ``values``.
    """
    sub = select_panel(frames, symbols=symbols, bars=bars)
    panel = Panel(sub)
    cols = panel.columns
    if len(cols) == 0:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    i = len(panel.index) - 1 if at is None else int(panel.index.get_loc(pd.Timestamp(at)))
    cache = cache if cache is not None else IndicatorCache()
    results = [evaluate_rule(c.plan, panel, cache=cache) for c in compiled.criteria]
    held = np.column_stack([r.states[r.plan.root][0][i] for r in results]).astype(bool)
    strength = held.astype(np.float64)
    conf = np.full(len(cols), np.nan)
    for k, c in enumerate(compiled.criteria):
        if c.detector is not None and c.detector.kind != "ANOMALY":
            level = sub[f"signals.{c.detector.kind}"].to_numpy(np.float64)[i]
            strength[:, k] = np.where(held[:, k], np.nan_to_num(level), 0.0)
            conf = np.fmax(conf, np.where(held[:, k], level, np.nan))
    values = _trader_values(compiled.values_plan, panel, cache, i)
    ok = np.isfinite(values["close"])
    matched = (held.all(axis=1) if compiled.spec.match == "all" else held.any(axis=1)) & ok
    labels = np.array([c.label for c in compiled.criteria], dtype=object)
    out = pd.DataFrame({
        "symbol": cols.astype(str), "bar": panel.index[i], "status": np.where(ok, "ok", "no_data"),
        "matched": matched, "score": np.where(ok, 100.0 * strength.mean(axis=1), np.nan),
        "criteria_matched": (held & ok[:, None]).sum(axis=1),
        "matched_criteria": [list(labels[h]) for h in held & ok[:, None]],
        **values, "max_confidence": conf, "anomaly": _anomaly(sub, i, len(cols)),
    })  # fmt: skip
    out["explanation"] = _explanations(compiled.criteria, results, held, i, matched)
    return out[RESULT_COLUMNS]


def _trader_values(plan: Plan, panel: Panel, cache: IndicatorCache, i: int) -> dict[str, Any]:
    result = evaluate_rule(plan, panel, cache=cache)
    out = {}
    for key, operand in plan.operands.items():
        column = VALUE_OPERANDS.get(operand.text)
        if column is not None:
            v = np.asarray(result.values[key], dtype=np.float64)
            out[column] = v[i] if v.ndim == 2 else np.full(len(panel.columns), float(v))
    return {c: out[c] for c in VALUE_OPERANDS.values()}


def _anomaly(sub: Mapping[str, pd.DataFrame], i: int, n: int) -> np.ndarray:
    if "anomaly" not in sub:
        return np.full(n, None, dtype=object)
    flag = sub["anomaly"].to_numpy(np.float64)[i]
    out = np.full(n, None, dtype=object)
    known = ~np.isnan(flag)
    out[known] = flag[known] > 0.5
    return out


def _explanations(
    criteria: Sequence[Criterion],
    results: Sequence[RuleResult],
    held: np.ndarray,
    i: int,
    matched: np.ndarray,
) -> list[list[dict[str, Any]]]:
    """Leaf conditions (text, held, values) of every criterion that held, per matched row."""
    out: list[list[dict[str, Any]]] = [[] for _ in range(len(matched))]
    for k, (crit, res) in enumerate(zip(criteria, results, strict=True)):
        rows = np.flatnonzero(matched & held[:, k])
        if not len(rows):
            continue
        leaves = [c for c in res.plan.conditions if not c.children] or res.plan.conditions
        n = held.shape[0]
        for cond in leaves:
            hrow, krow = (_at(a, i, n) for a in res.states[cond.path])
            vals = {
                res.plan.operands[key].text: _at(res.values[key], i, n) for key in cond.operands
            }
            for r in rows:
                state = bool(hrow[r]) if bool(krow[r]) or bool(hrow[r]) else None
                out[r].append({
                    "criterion": crit.label, "condition": cond.text, "held": state,
                    "values": {t: _num(v[r]) for t, v in vals.items()},
                })  # fmt: skip
    return out


def _at(value: Any, i: int, n: int) -> np.ndarray:
    """Row ``i`` of a (bars x symbols) array; a scalar broadcast to ``n`` symbols."""
    v = np.asarray(value)
    return v[i] if v.ndim == 2 else np.full(n, v.ravel()[0] if v.ndim else v[()])


def _num(x: Any) -> float | None:
    x = float(x)
    return round(x, 6) if np.isfinite(x) else None


def rank_results(frame: pd.DataFrame, *, matches_only: bool = False) -> pd.DataFrame:
    """Sort by score (desc), volume ratio (desc), symbol; add ``rank`` (1 = best).

    Run it after gathering every batch: the rank is the only cross-symbol value.
    """
    rows = frame.reset_index(drop=True)
    rows = rows.loc[rows["matched"].astype(bool)] if matches_only else rows
    key = pd.DataFrame({
        "m": ~rows["matched"].astype(bool), "s": -rows["score"].fillna(-np.inf),
        "v": -pd.to_numeric(rows["volume_ratio"], errors="coerce").fillna(-np.inf),
        "sym": rows["symbol"].astype(str),
    })  # fmt: skip
    order = key.sort_values(["m", "s", "v", "sym"], kind="mergesort").index
    out = rows.loc[order].reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out
