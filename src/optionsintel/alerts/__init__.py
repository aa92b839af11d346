"""Alert rules and their evaluation (pure domain: no store, no delivery).

:mod:`~optionsintel.alerts.rules` is the validated rule model, :mod:`~optionsintel.alerts.book`
compiles rules into columns, :mod:`~optionsintel.alerts.evaluate` evaluates N rules on one
tick at once and returns triggers (with idempotency keys) and the new arm state.
Storing rules, the outbox and delivery live in ``services.alerts`` and ``delivery``.
"""

from optionsintel.alerts.book import RuleBook, compile_rules
from optionsintel.alerts.evaluate import (
    STATE_COLUMNS,
    TRIGGER_COLUMNS,
    Evaluation,
    TickFrames,
    evaluate,
    trigger_key,
)
from optionsintel.alerts.rules import CHANNEL_KINDS, AlertRule, parse_rule, rule_document

__all__ = [
    "CHANNEL_KINDS",
    "STATE_COLUMNS",
    "TRIGGER_COLUMNS",
    "AlertRule",
    "Evaluation",
    "RuleBook",
    "TickFrames",
    "compile_rules",
    "evaluate",
    "parse_rule",
    "rule_document",
    "trigger_key",
]
