"""A user's own patterns, for the API: ownership, tier allowance and the audit record.

Every function takes the acting :class:`Identity`, checks ``patterns:own`` and that the
pattern belongs to the caller (someone else's pattern answers "not found", so ids of
other users are not revealed), then calls the same use case the notebooks and the
pattern builder call (:mod:`optionsintel.services.patterns`). Writes are audited in the
transaction that stores the version.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from optionsintel.auth import Permission
from optionsintel.errors import DuplicateRecordError, PatternNotFoundError
from optionsintel.services import patterns
from optionsintel.services.audit import record
from optionsintel.services.identity import Identity, authorise
from optionsintel.services.quotas import check_allowance
from optionsintel.store import patterns as repo
from optionsintel.store.reads import resolve_provider

if TYPE_CHECKING:
    from optionsintel.store import Store
    from optionsintel.store.api import Writer

PatternHead = repo.PatternHead
PatternVersion = repo.PatternVersion


def owned_pattern(store: Store, identity: Identity, pattern_id: str) -> repo.PatternHead:
    """The head of ``pattern_id`` if ``identity`` owns it.

    Raises
    ------
    PatternNotFoundError
        When there is no such pattern or another user owns it (one message for both).
    """
    authorise(identity, Permission.OWN_PATTERNS)
    repo.check_pattern_id(pattern_id)
    try:
        head = repo.read_pattern(store, pattern_id)
    except PatternNotFoundError:
        head = None
    if head is None or head.owner != identity.username:
        raise PatternNotFoundError(f"you have no pattern {pattern_id!r}")
    return head


def list_own(
    store: Store, identity: Identity, *, include_archived: bool = False
) -> list[repo.PatternHead]:
    """The caller's patterns, by name."""
    authorise(identity, Permission.OWN_PATTERNS)
    return repo.list_patterns(store, owner=identity.username, include_archived=include_archived)


def _audit(identity: Identity, action: str, **details: Any) -> Any:
    def hook(writer: Writer, version: repo.PatternVersion) -> None:
        record(writer, identity.actor, action, version.pin, source=identity.source,
               details={"content_hash": version.content_hash, **details})  # fmt: skip

    return hook


def create(
    store: Store,
    identity: Identity,
    pattern_id: str,
    rule: patterns.RuleInput,
    *,
    name: str,
    description: str | None = None,
    note: str | None = None,
) -> patterns.SavedPattern:
    """Create ``pattern_id`` with its first version (checks the tier's pattern allowance).

    Raises
    ------
    DuplicateRecordError
        When the id is taken (by the caller or anyone else).
    QuotaExceededError
        When the caller already holds as many patterns as the tier allows.
    RuleValidationError
        When the rule is not valid (nothing is stored).
    """
    authorise(identity, Permission.OWN_PATTERNS)
    repo.check_pattern_id(pattern_id)
    current = len(repo.list_patterns(store, owner=identity.username, include_archived=False))
    check_allowance(identity.tier, "patterns", current)
    try:
        repo.read_pattern(store, pattern_id)
    except PatternNotFoundError:
        pass
    else:
        raise DuplicateRecordError(
            f"pattern id {pattern_id!r} is taken; choose another id", table="custom_patterns",
            keys=[{"pattern_id": pattern_id}])  # fmt: skip
    return patterns.save_pattern(store, pattern_id, rule, user=identity.username, name=name,
                                 description=description, note=note,
                                 on_saved=_audit(identity, "pattern.create"))  # fmt: skip


def save_version(
    store: Store,
    identity: Identity,
    pattern_id: str,
    rule: patterns.RuleInput,
    *,
    name: str | None = None,
    description: str | None = None,
    note: str | None = None,
) -> patterns.SavedPattern:
    """Store the next version of the caller's pattern (none when the rule is unchanged)."""
    owned_pattern(store, identity, pattern_id)
    return patterns.save_pattern(store, pattern_id, rule, user=identity.username, name=name,
                                 description=description, note=note,
                                 on_saved=_audit(identity, "pattern.version"))  # fmt: skip


def archive(store: Store, identity: Identity, pattern_id: str, archived: bool = True) -> Any:
    """Archive (or restore) the caller's pattern; its versions stay readable by pin."""
    owned_pattern(store, identity, pattern_id)
    action = "pattern.archive" if archived else "pattern.restore"

    def audit(writer: Writer) -> None:
        record(writer, identity.actor, action, pattern_id, source=identity.source)

    return repo.set_archived(store, pattern_id, archived, on_changed=audit)


def versions(store: Store, identity: Identity, pattern_id: str) -> list[repo.PatternVersion]:
    """Every version of the caller's pattern, oldest first."""
    owned_pattern(store, identity, pattern_id)
    return patterns.version_history(store, pattern_id)


def version(
    store: Store, identity: Identity, pattern_id: str, number: int | None = None
) -> repo.PatternVersion:
    """One version (the newest when ``number`` is None) of the caller's pattern."""
    owned_pattern(store, identity, pattern_id)
    return repo.read_version(store, pattern_id, number)


def evaluate(
    store: Store,
    identity: Identity,
    rule: patterns.RuleInput,
    *,
    provider: str | None,
    symbols: Iterable[str] | None = None,
    as_of: Any = None,
) -> patterns.PatternEvaluation:
    """Evaluate a rule, or a pin of one of the caller's patterns, on the stored data.

    Without ``provider`` the provider of the newest daily bar (of ``symbols``) is used
    and named in the result.
    """
    authorise(identity, Permission.OWN_PATTERNS)
    if isinstance(rule, str) and "@" in rule and not rule.lstrip().startswith("{"):
        owned_pattern(store, identity, repo.parse_pin(rule)[0])
    universe = list(symbols) if symbols is not None else None
    if provider is None:
        provider = resolve_provider(store, "daily_ohlc", universe, at=as_of)
        if provider is None:
            raise PatternNotFoundError("no daily bars stored to evaluate on")
    return patterns.evaluate_pattern(store, rule, provider=provider, symbols=universe, as_of=as_of)
