"""Differences between two rules: structural (node by node) and textual (line by line).

The structural diff walks both JSON trees in step and reports, per path, what was
added, removed or changed; a node whose ``kind`` (or operand name) changed is reported
once, whole, with the text of both sides. The text diff puts each member of the root
group on its own line so a unified diff shows which conditions changed.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal

from optionsintel.rules import Rule, print_rule
from optionsintel.rules.text import print_condition, print_operand

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class RuleChange:
    """One difference at ``path`` (e.g. ``condition.conditions[1].right.value``)."""

    path: str
    kind: ChangeKind
    before: Any
    after: Any


@dataclass(frozen=True)
class RuleDiff:
    """The structural changes and the unified text diff between two rules."""

    changes: list[RuleChange]
    text_diff: str

    @property
    def same(self) -> bool:
        """True when the rules are equal."""
        return not self.changes


def diff_rules(before: Rule, after: Rule, labels: tuple[str, str] = ("a", "b")) -> RuleDiff:
    """Compare two rules.

    Parameters
    ----------
    before, after
        Validated rules.
    labels
        Names of the two sides in the text diff (e.g. pins ``rsi_dip@1``, ``rsi_dip@2``).

    Returns
    -------
    RuleDiff
    """
    changes: list[RuleChange] = []
    _walk(before.model_dump(mode="json"), after.model_dump(mode="json"), "", changes)
    text = "\n".join(
        difflib.unified_diff(
            text_lines(before), text_lines(after), labels[0], labels[1], lineterm=""
        )
    )
    return RuleDiff(changes, text)


def text_lines(rule: Rule) -> list[str]:
    """The rule's text, one member of the root AND/OR group per line."""
    root = rule.condition
    if root.kind not in ("and", "or"):
        return [print_rule(rule)]
    joiner = root.kind.upper()
    return [
        ("" if i == 0 else f"{joiner} ") + _member(c, root) for i, c in enumerate(root.conditions)
    ]


def _member(child: Any, parent: Any) -> str:
    text = print_condition(child)
    return f"({text})" if child.kind in ("and", "or") and child.kind != parent.kind else text


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _walk(a: Any, b: Any, path: str, out: list[RuleChange]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        if a.get("kind") != b.get("kind") or a.get("name") != b.get("name"):
            out.append(RuleChange(path, "changed", _show(a), _show(b)))
            return
        for key in sorted(set(a) | set(b)):
            if key not in b:
                out.append(RuleChange(_join(path, key), "removed", _show(a[key]), None))
            elif key not in a:
                out.append(RuleChange(_join(path, key), "added", None, _show(b[key])))
            else:
                _walk(a[key], b[key], _join(path, key), out)
    elif isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            if i >= len(b):
                out.append(RuleChange(_join(path, i), "removed", _show(a[i]), None))
            elif i >= len(a):
                out.append(RuleChange(_join(path, i), "added", None, _show(b[i])))
            else:
                _walk(a[i], b[i], _join(path, i), out)
    elif a != b:
        out.append(RuleChange(path, "changed", _show(a), _show(b)))


def _show(node: Any) -> Any:
    """A condition or operand as its text form; anything else as it is."""
    if not isinstance(node, dict) or "kind" not in node:
        return node
    if node["kind"] in ("number", "series", "pct_change", "line"):
        probe = Rule.model_validate(
            {
                "condition": {
                    "kind": "compare",
                    "left": node,
                    "op": "==",
                    "right": {"kind": "number", "value": 0},
                }
            }
        )
        return print_operand(probe.condition.left)  # type: ignore[union-attr]
    return print_condition(Rule.model_validate({"condition": node}).condition)
