"""Compile a rule into a plan: each distinct kernel and operand appears once.

``RSI(14) < 30 AND RSI(14)[1] > 30 AND MACD CROSSES ABOVE MACD_SIGNAL`` compiles
to two kernels (RSI 14 and MACD 12/26/9) and four operands (RSI, RSI one bar ago,
MACD line, MACD signal): shared sub-expressions are computed once, however often
the rule names them.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from optionsintel.rules.catalogue import CATALOGUE, SIGNAL_TYPES, OperandSpec
from optionsintel.rules.compute import kernel_params
from optionsintel.rules.model import Rule
from optionsintel.rules.text import print_condition, print_operand

OperandKey = tuple[Hashable, ...]


@dataclass(frozen=True)
class PlannedOperand:
    """One distinct operand: its key, text and how to compute it."""

    key: OperandKey
    text: str
    node: Any
    kernel_key: tuple[Hashable, ...] | None = None
    inner: OperandKey | None = None


@dataclass(frozen=True)
class PlannedCondition:
    """One condition node, with the operand keys it reads, in evaluation order."""

    path: str
    text: str
    node: Any
    operands: tuple[OperandKey, ...]
    children: tuple[str, ...] = ()


@dataclass
class Plan:
    """The compiled form of a :class:`Rule` (see the module docstring)."""

    rule: Rule
    kernels: dict[tuple[Hashable, ...], tuple[OperandSpec, dict[str, Any]]] = field(
        default_factory=dict
    )
    operands: dict[OperandKey, PlannedOperand] = field(default_factory=dict)
    conditions: list[PlannedCondition] = field(default_factory=list)
    datasets: dict[str, str] = field(default_factory=dict)
    """Dataset name -> the operand text that first needs it."""

    @property
    def root(self) -> str:
        """Path of the root condition (its result is the rule's)."""
        return self.conditions[-1].path


def operand_key(node: Any) -> OperandKey:
    """Hashable identity of an operand node (equal keys = the same values)."""
    if node.kind == "number":
        return ("number", node.value)
    if node.kind == "pct_change":
        return ("pct_change", operand_key(node.operand), node.bars)
    if node.kind == "line":
        return ("line", node.t0, node.p0, node.t1, node.p1)
    return ("series", node.name, tuple(sorted(node.params.items())), node.offset)


def _add_operand(plan: Plan, node: Any) -> OperandKey:
    key = operand_key(node)
    if key in plan.operands:
        return key
    if node.kind in ("number", "line"):
        plan.operands[key] = PlannedOperand(key, print_operand(node), node)
    elif node.kind == "pct_change":
        inner = _add_operand(plan, node.operand)
        plan.operands[key] = PlannedOperand(key, print_operand(node), node, inner=inner)
    else:
        spec = CATALOGUE[node.name]
        kkey = (spec.kernel, kernel_params(spec, node.params))
        plan.kernels.setdefault(kkey, (spec, dict(node.params)))
        for name in spec.datasets_for(node.params):
            plan.datasets.setdefault(name, spec.token)
        plan.operands[key] = PlannedOperand(key, print_operand(node), node, kernel_key=kkey)
    return key


_OPERAND_FIELDS = ("left", "right", "operand", "low", "high")


def _visit(plan: Plan, node: Any, path: str) -> None:
    children: list[str] = []
    if node.kind in ("and", "or"):
        for i, child in enumerate(node.conditions):
            children.append(f"{path}.conditions[{i}]")
            _visit(plan, child, children[-1])
    elif node.kind == "not":
        children.append(f"{path}.condition")
        _visit(plan, node.condition, children[-1])
    elif node.kind == "signal":
        types = SIGNAL_TYPES if node.type == "ANY" else (node.type,)
        for t in types:
            plan.datasets.setdefault(f"signals.{t}", f"SIGNAL({node.type})")
    elif node.kind == "anomaly":
        plan.datasets.setdefault("anomaly", "ANOMALY")
    keys = tuple(_add_operand(plan, getattr(node, f)) for f in _OPERAND_FIELDS if hasattr(node, f))
    plan.conditions.append(
        PlannedCondition(path, print_condition(node), node, keys, tuple(children))
    )


def compile_rule(rule: Rule) -> Plan:
    """Compile ``rule`` into a :class:`Plan` (conditions in post-order, root last).

    Parameters
    ----------
    rule
        A validated rule.

    Returns
    -------
    Plan
        Distinct kernels, distinct operands, the conditions and the datasets needed.
    """
    plan = Plan(rule)
    _visit(plan, rule.condition, "condition")
    return plan
