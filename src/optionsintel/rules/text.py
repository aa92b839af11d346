"""The text form of rules: a lark LALR grammar in, a printer out.

``RSI(14) < 30 AND close CROSSES ABOVE SMA(50) AND PCR_OI > 1.2`` parses into the
same :class:`~optionsintel.rules.model.Rule` as its JSON form, and
:func:`print_rule` turns any rule back into text that parses to an equal rule.
Keywords and operand tokens are case-insensitive; ``AND`` binds tighter than
``OR``; ``NOT`` applies to the condition after it. Text is only ever parsed into
data: the transformer builds plain dicts that :func:`validate_rule` checks.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from lark import Lark, Token, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)
from lark.visitors import Transformer, Transformer_NonRecursive

from optionsintel.errors import RuleSyntaxError, RuleValidationError
from optionsintel.rules.catalogue import BY_TOKEN, CATALOGUE
from optionsintel.rules.model import Rule
from optionsintel.rules.validate import (
    MAX_DEPTH,
    MAX_NODES,
    MAX_TEXT_CHARS,
    check_ranges,
    validate_rule,
)

GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND not_expr)*
?not_expr: _NOT not_expr -> not_
         | atom
?atom: "(" or_expr ")"
     | comparison | between | in_list | cross | trend | time_window | signal | anomaly
comparison: operand COMPOP operand
between: operand _BETWEEN operand _AND operand
in_list: operand _IN "(" number ("," number)* ")"
cross: operand _CROSSES DIRECTION operand (_WITHIN INT _BARS)?
trend: operand TREND _FOR INT _BARS
time_window: _TIME _BETWEEN CLOCK _AND CLOCK
signal: _SIGNAL ("(" NAME ("," number)? ")")?
anomaly: _ANOMALY
?operand: number | series | pct_change | line
line: _LINE "(" WHEN "," number "," WHEN "," number ")"
series: NAME [args] ["[" INT "]"]
args: "(" [arg ("," arg)*] ")"
?arg: number | choice
choice: NAME
pct_change: _PCT_CHANGE "(" series "," INT ")"
number: SIGNED_NUMBER

_OR.2: /OR\b/i
_AND.2: /AND\b/i
_NOT.2: /NOT\b/i
_BETWEEN.2: /BETWEEN\b/i
_IN.2: /IN\b/i
_CROSSES.2: /CROSSES\b/i
DIRECTION.2: /(ABOVE|BELOW)\b/i
_WITHIN.2: /WITHIN\b/i
_BARS.2: /BARS?\b/i
_FOR.2: /FOR\b/i
TREND.2: /(RISING|FALLING)\b/i
_TIME.2: /TIME\b/i
_SIGNAL.2: /SIGNAL\b/i
_ANOMALY.2: /ANOMALY\b/i
_PCT_CHANGE.2: /PCT_CHANGE\b/i
_LINE.2: /LINE\b/i
WHEN.4: /[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2})?/
CLOCK.3: /[0-9]{2}:[0-9]{2}/
COMPOP: "<=" | ">=" | "==" | "!=" | "<" | ">"
NAME: /[A-Za-z_][A-Za-z0-9_]*/
INT: /[0-9]+/
SIGNED_NUMBER: /[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?/
%ignore /[ \t\r\n]+/
"""

_HUMAN = {"LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]", "COMMA": ","}
_MAX_INT_DIGITS = 6


def _int(tok: Token) -> int:
    if len(tok) > _MAX_INT_DIGITS:
        raise RuleSyntaxError("whole number too large", tok.line or 1, tok.column or 1, [])
    return int(tok)


def _num(tok: Token) -> int | float:
    text = str(tok)
    if re.fullmatch(r"[+-]?[0-9]{1,15}", text):
        return int(text)  # an int literal keeps integer parameters integral
    return float(text)


class _ToData(Transformer):  # type: ignore[type-arg]
    """Grammar rules -> plain dicts of the JSON form (validated afterwards).

    Stateless, so one instance runs inside the LALR parser (no tree is built, and no
    recursion: any nesting the parser accepts is transformed without a deep stack).
    """

    def or_expr(self, c: list[Any]) -> dict[str, Any]:
        return {"kind": "or", "conditions": c}

    def and_expr(self, c: list[Any]) -> dict[str, Any]:
        return {"kind": "and", "conditions": c}

    def not_(self, c: list[Any]) -> dict[str, Any]:
        return {"kind": "not", "condition": c[0]}

    def comparison(self, c: list[Any]) -> dict[str, Any]:
        return {"kind": "compare", "left": c[0], "op": str(c[1]), "right": c[2]}

    def between(self, c: list[Any]) -> dict[str, Any]:
        return {"kind": "between", "operand": c[0], "low": c[1], "high": c[2]}

    def in_list(self, c: list[Any]) -> dict[str, Any]:
        return {"kind": "in", "operand": c[0], "values": [n["value"] for n in c[1:]]}

    def cross(self, c: list[Any]) -> dict[str, Any]:
        within = _int(c[3]) if len(c) > 3 else 1
        return {
            "kind": "cross",
            "left": c[0],
            "direction": c[1].lower(),
            "right": c[2],
            "within": within,
        }

    def trend(self, c: list[Any]) -> dict[str, Any]:
        return {"kind": "trend", "operand": c[0], "direction": c[1].lower(), "bars": _int(c[2])}

    def time_window(self, c: list[Any]) -> dict[str, Any]:
        return {"kind": "time_window", "start": str(c[0]), "end": str(c[1])}

    def signal(self, c: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "signal", "type": str(c[0]).upper() if c else "ANY"}
        if len(c) > 1:
            out["min_confidence"] = c[1]["value"]
        return out

    def anomaly(self, c: list[Any]) -> dict[str, Any]:
        return {"kind": "anomaly"}

    def number(self, c: list[Any]) -> dict[str, Any]:
        return {"kind": "number", "value": _num(c[0])}

    def choice(self, c: list[Any]) -> dict[str, Any]:
        return {"value": str(c[0]).lower()[:32]}  # a named parameter value, e.g. a pattern

    def args(self, c: list[Any]) -> list[Any]:
        return [n["value"] for n in c if n is not None]

    def series(self, c: list[Any]) -> dict[str, Any]:
        name, args, offset = c
        spec = BY_TOKEN.get(str(name).upper())
        if spec is None:
            raise RuleSyntaxError(
                f"unknown operand {str(name)[:32]!r} (see docs/patterns.md)",
                name.line or 1,
                name.column or 1,
                [],
            )
        args = args or []
        if len(args) > len(spec.params):
            raise RuleSyntaxError(
                f"{spec.token} takes at most {len(spec.params)} parameter(s)",
                name.line or 1,
                name.column or 1,
                [],
            )
        params = {p.name: a for p, a in zip(spec.params, args, strict=False)}
        offset = _int(offset) if offset is not None else 0
        return {"kind": "series", "name": spec.name, "params": params, "offset": offset}

    def pct_change(self, c: list[Any]) -> dict[str, Any]:
        return {"kind": "pct_change", "operand": c[0], "bars": _int(c[1])}

    def line(self, c: list[Any]) -> dict[str, Any]:
        t0, p0, t1, p1 = c
        return {"kind": "line", "t0": str(t0), "p0": p0["value"], "t1": str(t1), "p1": p1["value"]}


def _positioned() -> type:
    """A tree transformer doing what :class:`_ToData` does and recording positions.

    ``positions`` maps ``id`` of each built node to its (line, column), so a
    validation error can point at the text that wrote the node; used only after an
    error (positions cost a third of the parse time).
    """

    def wrap(build: Any) -> Any:
        def method(self: Any, meta: Any, c: list[Any]) -> Any:
            out = build(self, c)
            if isinstance(out, dict) and not meta.empty:
                self.positions[id(out)] = (meta.line, meta.column)
            return out

        return method

    def init(self: Any) -> None:
        Transformer_NonRecursive.__init__(self)
        self.positions = {}

    rules = {n: wrap(f) for n, f in vars(_ToData).items() if not n.startswith("_")}
    cls = type("_PositionedToData", (Transformer_NonRecursive,), {"__init__": init, **rules})
    return v_args(meta=True)(cls)  # type: ignore[return-value]


_PositionedToData = _positioned()
_PARSER = Lark(GRAMMAR, parser="lalr", maybe_placeholders=True, transformer=_ToData())


@functools.cache
def _parser_with_positions() -> Lark:
    """Built on the first error only (building a parser costs tens of milliseconds)."""
    return Lark(GRAMMAR, parser="lalr", maybe_placeholders=True, propagate_positions=True)


def _expected(names: set[str] | frozenset[str]) -> list[str]:
    out = []
    for n in names:
        if n in _HUMAN:
            out.append(_HUMAN[n])
        else:
            out.append(n.lstrip("_").replace("SIGNED_NUMBER", "number").replace("NAME", "operand"))
    return sorted(set(out))


def _precheck(text: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise RuleSyntaxError(f"rule text longer than {MAX_TEXT_CHARS} characters", 1, 1, [])
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth > MAX_DEPTH + 2:
            line = text.count("\n", 0, i) + 1
            col = i - (text.rfind("\n", 0, i) + 1) + 1
            raise RuleSyntaxError(f"parentheses nested deeper than {MAX_DEPTH + 2}", line, col, [])
    if len(re.findall(r"\bNOT\b", text, flags=re.IGNORECASE)) > MAX_NODES:
        raise RuleSyntaxError(f"more than {MAX_NODES} NOT keywords", 1, 1, [])


def parse_rule(text: str) -> Rule:
    """Parse the text form of a rule into a validated :class:`Rule`.

    Parameters
    ----------
    text
        E.g. ``"RSI(14) < 30 AND close CROSSES ABOVE SMA(50) AND PCR_OI > 1.2"``.

    Returns
    -------
    Rule

    Raises
    ------
    RuleSyntaxError
        The text does not parse: ``line``, ``column`` and the ``expected`` tokens.
    RuleValidationError
        It parses but breaks a rule of the model (unknown parameter, out of range...).
    """
    if not isinstance(text, str):
        raise RuleValidationError([("", "rule text must be a string")])
    # a file saved by some editors starts with a byte-order mark: it is not part of the
    # rule (positions in errors count from after it)
    text = text.removeprefix("\ufeff")
    _precheck(text)
    try:
        data = _PARSER.parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    try:
        rule = validate_rule({"schema_version": 1, "condition": data})
        check_ranges(rule)
        return rule
    except RuleValidationError as exc:
        data, positions = _build(_parser_with_positions().parse(text))
        root = {"schema_version": 1, "condition": data}
        located = [(path, _locate(root, path, msg, positions)) for path, msg in exc.errors]
        raise RuleValidationError(located) from None


def _build(tree: Any) -> tuple[Any, dict[int, tuple[int, int]]]:
    builder = _PositionedToData()
    try:
        return builder.transform(tree), builder.positions
    except VisitError as exc:  # lark wraps what the transformer raises
        if isinstance(exc.orig_exc, RuleValidationError):
            raise exc.orig_exc from None
        raise


def _locate(root: Any, path: str, message: str, positions: dict[int, tuple[int, int]]) -> str:
    """Append the text position of the deepest node on ``path`` to ``message``."""
    node, where = root, None
    for piece in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        key: Any = int(piece[1:-1]) if piece.startswith("[") else piece
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        where = positions.get(id(node), where)
    return f"{message} (line {where[0]}, column {where[1]})" if where else message


def _end_of(text: str) -> tuple[int, int]:
    return text.count("\n") + 1, len(text) - (text.rfind("\n") + 1) + 1


def _syntax_error(exc: UnexpectedInput, text: str) -> RuleSyntaxError:
    line, col = max(exc.line, 1), max(exc.column, 1)
    at_end = isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    )
    if at_end:
        line, col = _end_of(text.rstrip())
    if isinstance(exc, UnexpectedCharacters):
        return RuleSyntaxError(
            f"unexpected character {exc.char!r}", line, col, _expected(exc.allowed or set())
        )
    if isinstance(exc, UnexpectedEOF):
        return RuleSyntaxError("unexpected end of rule", line, col, _expected(set(exc.expected)))
    if isinstance(exc, UnexpectedToken):
        tok = str(exc.token)[:32] if exc.token.type != "$END" else "end of rule"
        return RuleSyntaxError(
            f"unexpected {tok!r}", line, col, _expected(exc.accepts or exc.expected)
        )
    return RuleSyntaxError(str(exc)[:120], line, col, [])


def _fmt(value: float) -> str:
    return (
        str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
    )


def _operand(node: Any) -> str:
    if node.kind == "number":
        return _fmt(node.value)
    if node.kind == "pct_change":
        return f"PCT_CHANGE({_operand(node.operand)}, {node.bars})"
    if node.kind == "line":
        return f"LINE({node.t0}, {_fmt(node.p0)}, {node.t1}, {_fmt(node.p1)})"
    spec = CATALOGUE[node.name]
    values = [node.params[p.name] for p in spec.params]
    while (
        spec.family != "indicator" and values and values[-1] == spec.params[len(values) - 1].default
    ):
        values.pop()  # trailing defaults are implied (indicators show theirs, as charts do)
    text = spec.token
    if values:
        text += "(" + ", ".join(_fmt(v) if isinstance(v, float) else str(v) for v in values) + ")"
    return text + (f"[{node.offset}]" if node.offset else "")


def _condition(node: Any) -> str:
    k = node.kind
    if k in ("and", "or"):
        return f" {k.upper()} ".join(_child(c, node) for c in node.conditions)
    if k == "not":
        inner = _condition(node.condition)
        return f"NOT ({inner})" if node.condition.kind in ("and", "or") else f"NOT {inner}"
    if k == "compare":
        return f"{_operand(node.left)} {node.op} {_operand(node.right)}"
    if k == "between":
        return f"{_operand(node.operand)} BETWEEN {_operand(node.low)} AND {_operand(node.high)}"
    if k == "in":
        return f"{_operand(node.operand)} IN ({', '.join(_fmt(v) for v in node.values)})"
    if k == "cross":
        within = f" WITHIN {node.within} BARS" if node.within != 1 else ""
        return (
            f"{_operand(node.left)} CROSSES {node.direction.upper()} {_operand(node.right)}{within}"
        )
    if k == "trend":
        return f"{_operand(node.operand)} {node.direction.upper()} FOR {node.bars} BARS"
    if k == "time_window":
        return f"TIME BETWEEN {node.start} AND {node.end}"
    if k == "signal":
        conf = f", {_fmt(node.min_confidence)}" if node.min_confidence else ""
        return f"SIGNAL({node.type}{conf})"
    return "ANOMALY"


def _child(child: Any, parent: Any) -> str:
    text = _condition(child)
    return f"({text})" if child.kind in ("and", "or") else text


def print_condition(node: Any) -> str:
    """Return the text of one condition node (as it appears inside :func:`print_rule`)."""
    return _condition(node)


def print_operand(node: Any) -> str:
    """Return the text of one operand node, e.g. ``RSI(14)[1]``."""
    return _operand(node)


def print_rule(rule: Rule) -> str:
    """Return the canonical text of ``rule`` (``parse_rule(print_rule(r)) == r``)."""
    return _condition(rule.condition)
