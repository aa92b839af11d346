"""Users' saved strategies: insert-only versions in ``user_strategies``.

A save whose canonical JSON (legs + rules) hashes like the newest version stores nothing
and returns that version; otherwise it appends version n+1. Two concurrent saves of one
name race on the primary key: the loser gets :class:`DuplicateRecordError` (nothing is
overwritten) and may retry. The versioning is :mod:`optionsintel.store.versioned`, shared
with the custom patterns.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa

from optionsintel.errors import InvalidArgumentError, RecordNotFoundError
from optionsintel.store.schema import user_strategies
from optionsintel.store.versioned import VersionedDocuments

if TYPE_CHECKING:
    from optionsintel.store.api import Store, Writer

__all__ = [
    "SavedStrategy",
    "list_user_strategies",
    "list_user_strategy_versions",
    "read_user_strategy",
    "save_user_strategy",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,79}$")


@dataclass(frozen=True)
class SavedStrategy:
    """One stored version of a user's strategy."""

    owner: str
    name: str
    version: int
    underlying: str
    legs: list[dict[str, Any]]
    rules: dict[str, Any] | None
    content_hash: str
    note: str | None
    created_at: pd.Timestamp

    @property
    def pin(self) -> str:
        """``owner/name@version``."""
        return f"{self.owner}/{self.name}@{self.version}"


def _check(owner: str, name: str) -> None:
    if not isinstance(owner, str) or not owner or len(owner) > 64:
        raise InvalidArgumentError("a strategy owner is a non-empty name of up to 64 characters")
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidArgumentError(
            f"strategy name {name!r}: 1-80 letters, digits, spaces, '_', '.' or '-'"
        )


def content_hash(underlying: str, legs: Sequence[Mapping[str, Any]], rules: Any) -> str:
    """SHA-256 of the canonical JSON of a definition."""
    canonical = json.dumps({"underlying": underlying, "legs": list(legs), "rules": rules},
                           sort_keys=True, separators=(",", ":"), default=str)  # fmt: skip
    return hashlib.sha256(canonical.encode()).hexdigest()


def _as_saved(row: Any) -> SavedStrategy:
    return SavedStrategy(
        owner=row["owner"], name=row["name"], version=int(row["version"]),
        underlying=row["underlying"], legs=list(row["legs"]), rules=row["rules"],
        content_hash=row["content_hash"], note=row["note"],
        created_at=pd.Timestamp(row["created_at"]),
    )  # fmt: skip


_VERSIONS = VersionedDocuments(user_strategies, ("owner", "name"), _as_saved)


def save_user_strategy(
    store: Store, owner: str, name: str, *, underlying: str,
    legs: Sequence[Mapping[str, Any]], rules: Mapping[str, Any] | None = None,
    note: str | None = None, on_saved: Callable[[Writer, SavedStrategy], None] | None = None,
) -> tuple[SavedStrategy, bool]:  # fmt: skip
    """Append a new version (or return the newest, unchanged); True when one was stored.

    ``on_saved`` is called with the transaction and the new version before it commits
    (the API writes its audit record there); not called for an unchanged save.
    """
    _check(owner, name)
    if not legs:
        raise InvalidArgumentError("a saved strategy needs at least one leg")
    plain_legs = json.loads(json.dumps(list(legs), default=str))
    plain_rules = None if rules is None else json.loads(json.dumps(dict(rules), default=str))
    digest = content_hash(underlying, plain_legs, plain_rules)
    content = {"underlying": underlying, "legs": plain_legs, "rules": plain_rules, "note": note}
    return _VERSIONS.save(
        store, {"owner": owner, "name": name}, content, content_hash=digest, on_saved=on_saved
    )


def read_user_strategy(
    store: Store, owner: str, name: str, version: int | None = None
) -> SavedStrategy:
    """One version (default: the newest) of a saved strategy."""
    _check(owner, name)
    t = user_strategies
    stmt = sa.select(t).where(t.c.owner == owner, t.c.name == name)
    stmt = stmt.where(t.c.version == version) if version is not None else stmt
    with store.engine.connect() as conn:
        row = conn.execute(stmt.order_by(t.c.version.desc()).limit(1)).mappings().first()
    if row is None:
        at = "" if version is None else f"@{version}"
        raise RecordNotFoundError(f"no saved strategy {owner}/{name}{at}")
    return _as_saved(row)


def list_user_strategies(store: Store, owner: str) -> pd.DataFrame:
    """Newest version of each of ``owner``'s strategies (name, version, underlying, saved)."""
    t = user_strategies
    newest = sa.select(t.c.name, sa.func.max(t.c.version).label("version")).where(
        t.c.owner == owner
    ).group_by(t.c.name).subquery()  # fmt: skip
    stmt = sa.select(t.c.name, t.c.version, t.c.underlying, t.c.created_at, t.c.note).join(
        newest, sa.and_(t.c.name == newest.c.name, t.c.version == newest.c.version)
    ).where(t.c.owner == owner).order_by(t.c.name)  # fmt: skip
    with store.engine.connect() as conn:
        found = conn.execute(stmt).mappings().all()
    return pd.DataFrame(found, columns=["name", "version", "underlying", "created_at", "note"])


def list_user_strategy_versions(store: Store, owner: str, name: str) -> list[SavedStrategy]:
    """Every version of ``owner``'s strategy ``name``, oldest first (empty when none)."""
    _check(owner, name)
    with store.engine.connect() as conn:
        return _VERSIONS.all(conn, {"owner": owner, "name": name})
