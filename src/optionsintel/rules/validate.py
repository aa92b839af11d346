"""Build a :class:`~optionsintel.rules.model.Rule` from untrusted data, within limits.

Limits are checked on the raw structure first, iteratively (no recursion), so a
10,000-level nesting or a megabyte of input is refused in microseconds before
pydantic sees it. Every problem becomes one ``(path, message)`` entry of a
:class:`~optionsintel.errors.RuleValidationError`; paths read like
``condition.conditions[2].left.params.window``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from optionsintel import jsontext
from optionsintel.errors import RuleValidationError
from optionsintel.rules.model import NODE_KINDS, Rule

MAX_JSON_CHARS = 100_000
MAX_TEXT_CHARS = 10_000
MAX_DEPTH = 12
"""Deepest nesting of conditions (groups and NOT) below the root."""
MAX_NODES = 200
"""Most nodes (conditions and operands) in one rule."""
_MAX_RAW_DEPTH = 4 * MAX_DEPTH + 8  # each condition level is at most 4 containers deep


def _join(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _check_raw(data: Any) -> None:
    """Refuse inputs beyond the size limits before any recursive validation."""
    nodes = 0
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > _MAX_RAW_DEPTH:
            raise RuleValidationError(
                [(path, f"nested deeper than {MAX_DEPTH} condition levels; flatten the groups")]
            )
        if isinstance(item, dict):
            nodes += 1
            if len(item) > 16:
                raise RuleValidationError(
                    [(path, "object with more than 16 keys; remove unknown keys")]
                )
            if nodes > MAX_NODES:
                raise RuleValidationError([(path, f"more than {MAX_NODES} nodes; split the rule")])
            stack.extend((v, _join(path, str(k)[:40]), depth + 1) for k, v in item.items())
        elif isinstance(item, list):
            if len(item) > MAX_NODES:
                raise RuleValidationError([(path, f"list longer than {MAX_NODES} items")])
            stack.extend((v, _join(path, i), depth + 1) for i, v in enumerate(item))
        elif isinstance(item, str) and len(item) > 64:
            raise RuleValidationError([(path, "text value longer than 64 characters")])


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for key in loc:
        if isinstance(key, str) and (key in NODE_KINDS or key.startswith("function-")):
            continue  # discriminator tags and validator wrappers are not part of the user's path
        out = _join(out, key)
    return out


def _message(err: Any) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        tags = err.get("ctx", {}).get("expected_tags", "")
        return f"unknown or missing 'kind'; use one of: {tags}"
    if err["type"] == "extra_forbidden":
        return "unknown key; remove it"
    return msg


def _check_depth(rule: Rule) -> None:
    stack: list[tuple[Any, str, int]] = [(rule.condition, "condition", 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise RuleValidationError(
                [(path, f"nested deeper than {MAX_DEPTH} levels; flatten the groups")]
            )
        if node.kind in ("and", "or"):
            stack.extend(
                (c, f"{path}.conditions[{i}]", depth + 1) for i, c in enumerate(node.conditions)
            )
        elif node.kind == "not":
            stack.append((node.condition, f"{path}.condition", depth + 1))


def check_ranges(rule: Rule) -> None:
    """Refuse a ``BETWEEN`` whose two constant bounds are the wrong way round.

    Such a rule can never match, so a new rule (typed, imported, saved) is refused with a
    clear message; a stored version is still read as it was saved.

    Raises
    ------
    RuleValidationError
        With the path of each such ``BETWEEN``.
    """
    errors: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(rule.condition, "condition")]
    while stack:
        node, path = stack.pop()
        if node.kind in ("and", "or"):
            stack.extend((c, f"{path}.conditions[{i}]") for i, c in enumerate(node.conditions))
        elif node.kind == "not":
            stack.append((node.condition, f"{path}.condition"))
        elif node.kind == "between" and node.low.kind == node.high.kind == "number":
            low, high = node.low.value, node.high.value
            if low > high:
                hint = f"the low bound comes first: BETWEEN {high:g} AND {low:g}"
                errors.append((path, f"BETWEEN {low:g} AND {high:g} can never match; {hint}"))
    if errors:
        raise RuleValidationError(sorted(errors))


def validate_rule(data: Any) -> Rule:
    """Validate a rule given as Python data (the parsed JSON form).

    Parameters
    ----------
    data
        A mapping ``{"schema_version": 1, "condition": {...}}`` or a :class:`Rule`.

    Returns
    -------
    Rule

    Raises
    ------
    RuleValidationError
        With every ``(path, message)`` found (limits first, then the model).
    """
    if isinstance(data, Rule):
        return data
    if not isinstance(data, dict):
        raise RuleValidationError([("", "a rule must be a JSON object with 'condition'")])
    _check_raw(data)
    try:
        rule = Rule.model_validate(data)
    except ValidationError as exc:
        raise RuleValidationError(
            [(_path(e["loc"]), _message(e)) for e in exc.errors(include_url=False)]
        ) from None
    _check_depth(rule)
    return rule


def parse_rule_json(text: str | bytes) -> Rule:
    """Parse and validate the JSON text of a rule.

    Raises
    ------
    RuleValidationError
        Too long, not JSON, NaN/Infinity literals, or any model error.
    """
    if len(text) > MAX_JSON_CHARS:
        raise RuleValidationError([("", f"rule JSON longer than {MAX_JSON_CHARS} characters")])

    def _no_constants(name: str) -> float:
        raise ValueError(f"{name} is not allowed; numbers must be finite")

    try:
        data = jsontext.loads(text, parse_constant=_no_constants)
    except jsontext.JsonTextError as exc:
        raise RuleValidationError([("", f"not valid JSON: {exc}")]) from None
    return validate_rule(data)


def rule_json(rule: Rule) -> str:
    """Return the canonical JSON text of a rule (keys sorted, defaults filled in)."""
    return json.dumps(rule.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
