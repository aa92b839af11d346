"""Imports of user documents through their owners' services, never as raw table rows.

Patterns become immutable versions (:mod:`optionsintel.services.patterns`), alert rules go
through :mod:`optionsintel.services.alerts`, watchlists through
:mod:`optionsintel.services.watchlists`, strategies through the ``user_strategies`` store,
positions through :mod:`optionsintel.services.positions`, per-user app settings through
:mod:`optionsintel.services.user_settings` (validated, audited). :func:`check_documents` adds the
owner model's verdict on every row to the validation report (the dry run);
:func:`commit_documents` stores what differs from the store and nothing else, so a
re-import of the same file changes nothing.

Versions: a file that names versions (an export does) must match the store: a stored
version with another definition is refused (versions are immutable) and a new one must be
the next number; a file without versions adds a version only when the definition differs
from the newest.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import Any

import pandas as pd

from optionsintel.alerts import parse_rule
from optionsintel.alerts.rules import rule_document
from optionsintel.errors import (
    AlertRuleError,
    InputError,
    InvalidArgumentError,
    RuleValidationError,
)
from optionsintel.exchange.specs import DatasetSpec
from optionsintel.exchange.validate import RowError, ValidationReport
from optionsintel.services import alerts as alert_service
from optionsintel.services import positions as position_service
from optionsintel.services import user_settings as settings_service
from optionsintel.services import watchlists as watchlist_service
from optionsintel.services.patterns import as_rule, rule_hash, save_pattern
from optionsintel.store import Store
from optionsintel.store import patterns as pattern_repo
from optionsintel.store.strategies import content_hash, save_user_strategy

Counts = tuple[int, int]  # (inserted, updated)


def check_documents(
    store: Store, spec: DatasetSpec, report: ValidationReport, known: Collection[str] = ()
) -> None:
    """Append every row's model errors (and conflicts with stored versions) to ``report``.

    Symbols must be in ``known`` (also when nothing is known yet: a watchlist, strategy or
    position of an unknown symbol would be refused by its service).
    """
    if any(e.row == 0 for e in report.errors):
        return  # a required column is absent: the header error says so
    frame = report.frame.reindex(columns=list(spec.columns))
    cols = report.mapping.columns
    seen = {(e.row, e.column) for e in report.errors}  # one error per cell: the first
    errors: list[RowError] = []
    symbols = [c for c, cs in spec.columns.items() if cs.symbol]
    for i, row in _rows(frame):
        problems = _CHECKS[spec.name](row)
        problems += [(c, "unknown_symbol", "symbol is not a known instrument")
                     for c in symbols if row[c] is not None and row[c] not in known]  # fmt: skip
        for column, code, message in problems:
            error = RowError(i + 1, cols.get(column, column), code, message[:300])
            if (error.row, error.column) not in seen:
                seen.add((error.row, error.column))
                errors.append(error)
    if spec.name in ("patterns", "strategies") and not (errors or report.errors):
        errors += _version_errors(store, spec.name, frame, cols)
    report.errors = sorted(report.errors + errors, key=lambda e: (e.row, e.column))


def commit_documents(
    store: Store, spec: DatasetSpec, frame: pd.DataFrame, *, provider: str | None, user: str
) -> Counts:
    """Store a validated file's documents; return (inserted, updated)."""
    if spec.name == "positions":
        merged = position_service.write_positions(store, frame, str(provider))
        return merged.inserted, merged.updated
    return _COMMITS[spec.name](store, frame, user)


# -- per-row checks -------------------------------------------------------------------------

Problem = tuple[str, str, str]


def _rows(frame: pd.DataFrame) -> Iterator[tuple[int, dict[str, Any]]]:
    for i, row in enumerate(frame.to_dict("records")):
        yield i, {k: (None if _absent(v) else v) for k, v in row.items()}


def _absent(v: object) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)


def _version_problem(row: dict[str, Any]) -> list[Problem]:
    v = row.get("version")
    if v is not None and float(v) != int(v):
        return [("version", "type", "a version is a whole number")]
    return []


def _check_pattern(row: dict[str, Any]) -> list[Problem]:
    problems = _version_problem(row)
    try:
        pattern_repo.check_pattern_id(str(row["pattern_id"] or ""))
    except Exception as exc:  # the repo's one-line message
        problems.append(("pattern_id", "invalid", str(exc)))
    try:
        as_rule(row["definition"] or {})
    except RuleValidationError as exc:
        problems.append(("definition", "invalid", f"pattern rejected: {exc}"))
    return problems


def _alert_document(row: dict[str, Any]) -> dict[str, Any]:
    return {**(row["definition"] or {}), "owner": row["owner"], "name": row["name"]}


def _check_alert_rule(row: dict[str, Any]) -> list[Problem]:
    if not isinstance(row["definition"], dict):
        return [("definition", "type", "an alert rule is a JSON object")]
    try:
        parse_rule(_alert_document(row))
    except AlertRuleError as exc:
        return [("definition", "invalid", str(exc))]
    return []


def _check_watchlist(row: dict[str, Any]) -> list[Problem]:
    try:
        watchlist_service.check_name(str(row["owner"] or ""), str(row["name"] or ""))
    except Exception as exc:
        return [("name", "invalid", str(exc))]
    return []


def _check_strategy(row: dict[str, Any]) -> list[Problem]:
    problems = _version_problem(row)
    legs = row["legs"]
    if not isinstance(legs, list) or not legs or not all(isinstance(x, dict) for x in legs):
        problems.append(("legs", "invalid", "legs must be a non-empty JSON array of objects"))
    if row.get("rules") is not None and not isinstance(row["rules"], dict):
        problems.append(("rules", "type", "rules must be a JSON object"))
    return problems


def _check_position(row: dict[str, Any]) -> list[Problem]:
    if row["qty"] is not None and row["qty"] == 0:
        return [("qty", "range", "a position's quantity is not zero")]
    return []


def _check_user_settings(row: dict[str, Any]) -> list[Problem]:
    try:
        settings_service.validate_settings(row["settings"])
    except InputError as exc:
        return [("settings", "invalid", str(exc))]
    return []


_CHECKS: dict[str, Callable[[dict[str, Any]], list[Problem]]] = {
    "patterns": _check_pattern,
    "alert_rules": _check_alert_rule,
    "watchlists": _check_watchlist,
    "strategies": _check_strategy,
    "positions": _check_position,
    "user_settings": _check_user_settings,
}


# -- versions -------------------------------------------------------------------------------


def _stored_hashes(store: Store, dataset: str, key: tuple[str, ...]) -> dict[int, str]:
    if dataset == "patterns":
        return {v.version: v.content_hash for v in pattern_repo.read_versions(store, key[0])}
    found = store.read("user_strategies", where={"owner": key[0], "name": key[1]},
                       columns=["version", "content_hash"])  # fmt: skip
    return {int(v): str(h) for v, h in zip(found["version"], found["content_hash"], strict=True)}


def _digest(dataset: str, row: dict[str, Any]) -> str:
    if dataset == "patterns":
        return rule_hash(as_rule(row["definition"]))
    return content_hash(row["underlying"], row["legs"], row.get("rules"))


def _plan_versions(
    store: Store, dataset: str, frame: pd.DataFrame
) -> Iterator[tuple[int, dict[str, Any], str]]:
    """(row index, row, action) with action ``new``, ``same`` or an error message."""
    names = ["pattern_id"] if dataset == "patterns" else ["owner", "name"]
    for key, group in frame.groupby(names, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        stored = _stored_hashes(store, dataset, key)
        newest = max(stored, default=0)
        last_hash = stored.get(newest)
        rows = list(_rows(group.reset_index(drop=True)))
        indices = list(group.index)
        ordered = sorted(zip(indices, rows, strict=True),
                         key=lambda t: (t[1][1].get("version") or 0, t[0]))  # fmt: skip
        for index, (_, row) in ordered:
            digest = _digest(dataset, row)
            v = None if row.get("version") is None else int(row["version"])
            if v is not None and v in stored:
                same = stored[v] == digest
                yield (
                    index,
                    row,
                    "same"
                    if same
                    else (f"version {v} is stored with another definition; versions are immutable"),
                )
            elif v is not None and v != newest + 1:
                yield index, row, f"version {v} would not follow the stored newest {newest}"
            elif digest == last_hash:
                yield index, row, "same"
            else:
                newest, last_hash = newest + 1, digest
                stored[newest] = digest
                yield index, row, "new"


def _version_errors(
    store: Store, dataset: str, frame: pd.DataFrame, cols: dict[str, str]
) -> list[RowError]:
    return [RowError(int(i) + 1, cols.get("version", "version"), "duplicate_key", action)
            for i, _, action in _plan_versions(store, dataset, frame)
            if action not in ("new", "same")]  # fmt: skip


# -- commits --------------------------------------------------------------------------------


def _commit_patterns(store: Store, frame: pd.DataFrame, user: str) -> Counts:
    inserted = 0
    for _, row, action in _plan_versions(store, "patterns", frame):
        if action == "new":
            saved = save_pattern(
                store, str(row["pattern_id"]), row["definition"],
                user=str(row.get("created_by") or user),
                name=row.get("name") or str(row["pattern_id"]),
                description=row.get("description"), note=row.get("note"),
            )  # fmt: skip
            inserted += int(saved.created)
    return inserted, 0


def _commit_strategies(store: Store, frame: pd.DataFrame, user: str) -> Counts:
    inserted = 0
    for _, row, action in _plan_versions(store, "strategies", frame):
        if action == "new":
            _, created = save_user_strategy(
                store, str(row["owner"]), str(row["name"]), underlying=str(row["underlying"]),
                legs=row["legs"], rules=row.get("rules"), note=row.get("note"),
            )  # fmt: skip
            inserted += int(created)
    return inserted, 0


def _commit_alert_rules(store: Store, frame: pd.DataFrame, user: str) -> Counts:
    inserted = updated = 0
    for _, row in _rows(frame):
        rule = parse_rule(_alert_document(row))
        stored = alert_service.list_rules(store, owner=rule.owner)
        if not (stored["name"] == rule.name).any():
            alert_service.create_rule(store, rule)
            inserted += 1
        elif rule_document(alert_service.get_rule(store, rule.owner, rule.name)) != (
            rule_document(rule)
        ):
            alert_service.update_rule(store, rule)
            updated += 1
    return inserted, updated


def _commit_watchlists(store: Store, frame: pd.DataFrame, user: str) -> Counts:
    inserted = updated = 0
    for (owner, name), group in frame.groupby(["owner", "name"], sort=False):
        # a row without a symbol names the list only (how an empty list travels)
        symbols = list(dict.fromkeys(s for s in group["symbol"] if isinstance(s, str)))
        try:
            current = watchlist_service.get_watchlist(store, owner, name).symbols
        except Exception:
            current = None
        if current == symbols:
            continue
        change = watchlist_service.create_watchlist(store, owner, name, symbols, replace=True)
        if change.unknown or change.invalid:
            raise InvalidArgumentError(
                f"watchlist {name!r}: unknown symbols {change.unknown + change.invalid}"
            )
        inserted, updated = inserted + (current is None), updated + (current is not None)
    return inserted, updated


def _commit_user_settings(store: Store, frame: pd.DataFrame, user: str) -> Counts:
    """Each owner's settings, saved (and audited, ``user`` the actor) only when they differ."""
    inserted = updated = 0
    stored = dict(settings_service.stored_settings(store))
    for _, row in _rows(frame):
        owner, prefs = str(row["owner"]), settings_service.validate_settings(row["settings"])
        if stored.get(owner) == prefs:
            continue
        settings_service.save_settings(store, owner, prefs, actor=user)
        inserted, updated = inserted + (owner not in stored), updated + (owner in stored)
        stored[owner] = prefs
    return inserted, updated


_COMMITS: dict[str, Callable[[Store, pd.DataFrame, str], Counts]] = {
    "patterns": _commit_patterns,
    "alert_rules": _commit_alert_rules,
    "watchlists": _commit_watchlists,
    "strategies": _commit_strategies,
    "user_settings": _commit_user_settings,
}
