"""Custom patterns: a safe rule language, compiled and evaluated vectorised.

A pattern is data: a :class:`Rule` tree (pydantic, JSON), or its text form
(``RSI(14) < 30 AND close CROSSES ABOVE SMA(50)``) parsed with a real grammar into
the same tree. Nothing a user writes is executed: text and JSON are only parsed
into data, and evaluation walks the validated tree with NumPy. See
``docs/patterns.md`` for the language, the operand catalogue and the limits.
"""

from __future__ import annotations

from optionsintel.rules.catalogue import CATALOGUE, SIGNAL_TYPES, OperandSpec, catalogue_rows
from optionsintel.rules.evaluate import evaluate
from optionsintel.rules.model import SCHEMA_VERSION, Rule
from optionsintel.rules.panel import IndicatorCache, Panel, align_reports
from optionsintel.rules.plan import Plan, compile_rule
from optionsintel.rules.result import ConditionTrace, RuleResult
from optionsintel.rules.templates import TEMPLATES, Template
from optionsintel.rules.text import parse_rule, print_rule
from optionsintel.rules.validate import check_ranges, parse_rule_json, rule_json, validate_rule

__all__ = [
    "CATALOGUE",
    "SCHEMA_VERSION",
    "SIGNAL_TYPES",
    "TEMPLATES",
    "ConditionTrace",
    "IndicatorCache",
    "OperandSpec",
    "Panel",
    "Plan",
    "Rule",
    "RuleResult",
    "Template",
    "align_reports",
    "catalogue_rows",
    "check_ranges",
    "compile_rule",
    "evaluate",
    "parse_rule",
    "parse_rule_json",
    "print_rule",
    "rule_json",
    "validate_rule",
]
