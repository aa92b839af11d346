"""Custom-pattern use cases: validate and save versions, load and diff them, evaluate.

Every save goes through :mod:`optionsintel.rules` first (text is parsed, JSON validated:
nothing a user writes is executed), then the canonical JSON, its text form and its
SHA-256 are stored as a new immutable version (:mod:`optionsintel.store.patterns`).
Scans, backtests and alerts pin a version with its pin ``pattern_id@version`` and load
it with :func:`load_pinned`.

>>> saved = save_pattern(store, "rsi_dip", "RSI(14) < 30", user="alice",
...                      name="RSI dip")                         # doctest: +SKIP
>>> saved.version.pin                                             # doctest: +SKIP
'rsi_dip@1'
>>> result = evaluate_pattern(store, "rsi_dip@1", provider="synthetic")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from optionsintel._typing import Provider
from optionsintel.errors import InvalidArgumentError
from optionsintel.rules import (
    IndicatorCache,
    Rule,
    RuleResult,
    check_ranges,
    compile_rule,
    evaluate,
    parse_rule,
    parse_rule_json,
    print_rule,
    rule_json,
    validate_rule,
)
from optionsintel.services.pattern_diff import RuleChange, RuleDiff, diff_rules
from optionsintel.services.pattern_panel import PanelData, Progress, build_panel
from optionsintel.store import Store
from optionsintel.store import patterns as repo
from optionsintel.store.api import Writer
from optionsintel.store.patterns import PatternHead, PatternVersion, parse_pin, pattern_pin

__all__ = [
    "PanelData",
    "PatternEvaluation",
    "PatternHead",
    "PatternVersion",
    "RuleChange",
    "RuleDiff",
    "SavedPattern",
    "as_rule",
    "diff_rules",
    "diff_versions",
    "evaluate_pattern",
    "list_patterns",
    "load_pinned",
    "load_rule",
    "parse_pin",
    "pattern_pin",
    "rule_hash",
    "save_pattern",
    "version_history",
]

RuleInput = Rule | str | Mapping[str, Any]


@dataclass(frozen=True)
class SavedPattern:
    """The outcome of a save: the version now newest, and whether this save created it."""

    version: PatternVersion
    created: bool


@dataclass
class PatternEvaluation:
    """A rule evaluated on the store: the result and the panel it saw (with its provider)."""

    rule: Rule
    result: RuleResult
    data: PanelData
    pin: str | None = None

    @property
    def provider(self) -> Provider:
        """The one provider of every row the evaluation read."""
        return self.data.provider


def as_rule(rule: RuleInput) -> Rule:
    """Validate ``rule`` given as a :class:`Rule`, rule text, rule JSON text or JSON data.

    Raises
    ------
    RuleValidationError
        With every ``(path, message)`` (a ``RuleSyntaxError`` for text that does not parse).
    """
    if isinstance(rule, Rule):
        valid = rule
    elif isinstance(rule, str):
        valid = parse_rule_json(rule) if rule.lstrip().startswith("{") else parse_rule(rule)
    else:
        valid = validate_rule(dict(rule))
    check_ranges(valid)  # new input only: a stored version loads as it was saved (load_rule)
    return valid


def rule_hash(rule: Rule) -> str:
    """SHA-256 (hex) of the rule's canonical JSON: equal rules, equal hashes."""
    return hashlib.sha256(rule_json(rule).encode()).hexdigest()


def save_pattern(
    store: Store,
    pattern_id: str,
    rule: RuleInput,
    *,
    user: str,
    name: str | None = None,
    description: str | None = None,
    note: str | None = None,
    on_saved: Callable[[Writer, PatternVersion], None] | None = None,
) -> SavedPattern:
    """Validate ``rule`` and store it as the next version of ``pattern_id``.

    Parameters
    ----------
    store
        The store.
    pattern_id
        Lower-case id (letters, digits, ``_``, ``-``); the pattern is created on its
        first save (then ``name`` is required).
    rule
        The rule (tree, text or JSON); validated before anything is stored.
    user
        Who saves it (recorded on the version; the owner of a new pattern).
    name, description, note
        Display name and description of the pattern, and what this version changes.
    on_saved
        Called with the open transaction and the new version before it commits (e.g. an
        audit record that must commit with the version); not called when nothing changed.

    Returns
    -------
    SavedPattern
        ``created`` is False when the rule equals the newest version (no new version).

    Raises
    ------
    RuleValidationError
        The rule is not valid; nothing was stored.
    PatternConflictError
        A concurrent save won; nothing was stored.
    """
    if not isinstance(user, str) or not user.strip():
        raise InvalidArgumentError("save_pattern needs the saving user's name (user=...)")
    valid = as_rule(rule)
    version, created = repo.save_version(
        store,
        pattern_id,
        definition=valid.model_dump(mode="json"),
        text=print_rule(valid),
        content_hash=rule_hash(valid),
        schema_version=valid.schema_version,
        created_by=user.strip()[:64],
        name=name,
        description=description,
        note=note,
        on_saved=on_saved,
    )
    return SavedPattern(version, created)


def load_rule(version: PatternVersion) -> Rule:
    """The validated rule of a stored version (validated again: stored data is input too)."""
    return validate_rule(version.definition)


def load_pinned(store: Store, pin: str) -> tuple[PatternVersion, Rule]:
    """The version a pin ``pattern_id@version`` names, and its rule."""
    version = repo.read_pinned(store, pin)
    return version, load_rule(version)


def version_history(store: Store, pattern_id: str) -> list[PatternVersion]:
    """Every version of ``pattern_id``, oldest first."""
    return repo.read_versions(store, pattern_id)


def list_patterns(store: Store, *, owner: str | None = None) -> list[PatternHead]:
    """The stored patterns (not archived), by name."""
    return repo.list_patterns(store, owner=owner)


def diff_versions(store: Store, pattern_id: str, before: int, after: int) -> RuleDiff:
    """Structural and text diff between two stored versions of ``pattern_id``."""
    a = repo.read_version(store, pattern_id, before)
    b = repo.read_version(store, pattern_id, after)
    return diff_rules(load_rule(a), load_rule(b), (a.pin, b.pin))


def evaluate_pattern(
    store: Store,
    rule: RuleInput,
    *,
    provider: Provider,
    symbols: Iterable[str] | None = None,
    as_of: Any = None,
    known_at: Any = None,
    cache: IndicatorCache | None = None,
    progress: Progress | None = None,
    flag_anomalies: bool = False,
    history_from: Any = None,
) -> PatternEvaluation:
    """Evaluate a rule (or a pinned version, ``"pattern_id@3"``) on the stored data.

    Parameters
    ----------
    store
        The store.
    rule
        A rule (tree, text, JSON) or a pin ``pattern_id@version``.
    provider
        The one provider of every row read (bars, chain summaries, signals, ...).
    symbols
        The universe; None takes every symbol with daily bars of ``provider``.
    as_of
        Evaluate as the market stood at this instant (only data published by then);
        None uses everything stored.
    known_at
        Additionally ignore rows the store ingested after this instant.
    cache
        Indicator cache to reuse across evaluations.
    progress
        Called with (fraction done, what is happening).
    flag_anomalies
        Read the DBSCAN anomaly labels even when the rule does not name ``ANOMALY``, so
        ``result.explanations()`` flags the matches that are anomalies among their peers.
    history_from
        Evaluate on every bar from this date (plus the rule's warm-up before it), as a
        backtest does; None evaluates the warm-up window before the last bar only.

    Returns
    -------
    PatternEvaluation
        Matches at the last bar are ``result.matching_symbols()``.
    """
    pin = None
    if isinstance(rule, str) and "@" in rule and not rule.lstrip().startswith("{"):
        _, valid = load_pinned(store, rule)
        pin = rule
    else:
        valid = as_rule(rule)
    plan = compile_rule(valid)
    data = build_panel(
        store,
        plan,
        provider=provider,
        symbols=symbols,
        as_of=as_of,
        known_at=known_at,
        progress=progress,
        flag_anomalies=flag_anomalies,
        history_from=history_from,
    )
    if progress:
        progress(0.85, "evaluating")
    result = evaluate(plan, data.panel, cache=cache)
    if progress:
        progress(1.0, f"{len(result.matching_symbols())} matches")
    return PatternEvaluation(valid, result, data, pin)
