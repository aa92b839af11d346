"""The custom-pattern repository: a head record per pattern, immutable versions.

Every save of a pattern appends one row to ``pattern_versions`` with the store's
insert-only append (a stored ``(pattern_id, version)`` is an error, never an update) and
moves the head record in ``custom_patterns`` to it, in one transaction. A version is
addressed by its pin ``pattern_id@version`` (what scans, backtests and alerts record),
which names the same definition for ever. Saving a definition whose content hash equals
the newest version's is not a new version: the newest is returned.

This module knows nothing of the rule language (the store is below the domain): the
caller (:mod:`optionsintel.services.patterns`) validates the rule and hands over its
canonical JSON, text form and hash.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa

from optionsintel.errors import (
    DuplicateRecordError,
    InvalidArgumentError,
    PatternConflictError,
    PatternNotFoundError,
)
from optionsintel.store.schema import custom_patterns, pattern_versions
from optionsintel.store.versioned import VersionedDocuments

if TYPE_CHECKING:
    from optionsintel.store.api import Store, Writer

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_PIN = re.compile(r"^([a-z0-9][a-z0-9_-]{0,63})@([1-9][0-9]{0,8})$")


@dataclass(frozen=True)
class PatternHead:
    """A pattern's head record: name, owner and newest version."""

    pattern_id: str
    name: str
    owner: str
    description: str | None
    latest_version: int
    archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class PatternVersion:
    """One immutable version of a pattern."""

    pattern_id: str
    version: int
    definition: dict[str, Any]
    text: str
    content_hash: str
    schema_version: int
    created_by: str
    created_at: dt.datetime
    note: str | None

    @property
    def pin(self) -> str:
        """The stable id of this version, ``pattern_id@version``."""
        return pattern_pin(self.pattern_id, self.version)


def _as_version(row: Any) -> PatternVersion:
    return PatternVersion(**{str(k): row[k] for k in pattern_versions.c.keys()})  # noqa: SIM118


_VERSIONS = VersionedDocuments(pattern_versions, ("pattern_id",), _as_version)


def check_pattern_id(pattern_id: str) -> str:
    """Return ``pattern_id`` if it is a valid id (lower-case letters, digits, ``_``, ``-``).

    Raises
    ------
    InvalidArgumentError
        When it is not (ids appear in pins and URLs, so they are kept plain).
    """
    if not isinstance(pattern_id, str) or not _ID.match(pattern_id):
        raise InvalidArgumentError(
            f"pattern id {str(pattern_id)[:70]!r} must be 1-64 lower-case letters, digits, "
            "'_' or '-', starting with a letter or digit"
        )
    return pattern_id


def pattern_pin(pattern_id: str, version: int) -> str:
    """Return the pin ``pattern_id@version`` that names one version for ever."""
    return f"{check_pattern_id(pattern_id)}@{int(version)}"


def parse_pin(pin: str) -> tuple[str, int]:
    """Split a pin ``pattern_id@version`` into its id and version.

    Raises
    ------
    InvalidArgumentError
        When ``pin`` is not of that form.
    """
    match = _PIN.match(pin) if isinstance(pin, str) else None
    if not match:
        raise InvalidArgumentError(
            f"{str(pin)[:80]!r} is not a pattern pin; write it as pattern_id@version, "
            "e.g. rsi_dip@3"
        )
    return match.group(1), int(match.group(2))


# -- writes ---------------------------------------------------------------------------------


def save_version(
    store: Store,
    pattern_id: str,
    *,
    definition: Mapping[str, Any],
    text: str,
    content_hash: str,
    schema_version: int,
    created_by: str,
    name: str | None = None,
    description: str | None = None,
    note: str | None = None,
    on_saved: Callable[[Writer, PatternVersion], None] | None = None,
) -> tuple[PatternVersion, bool]:
    """Store a new version of ``pattern_id`` (creating the pattern on its first save).

    Parameters
    ----------
    store
        The store.
    pattern_id
        The pattern's id (see :func:`check_pattern_id`).
    definition, text, content_hash, schema_version
        The validated rule's canonical JSON (as a dict), its text form, the SHA-256 of
        the canonical JSON and the rule schema version.
    created_by
        Who saves it.
    name, description
        The pattern's display name (required on the first save) and description; when
        given on a later save they replace the head's.
    note
        What changed in this version.
    on_saved
        Called with the open transaction and the new version before it commits (the
        API's audit record); not called when nothing was stored.

    Returns
    -------
    (PatternVersion, bool)
        The stored version, and False when the definition equals the newest version's
        (nothing was stored; that version is returned).

    Raises
    ------
    PatternConflictError
        A concurrent save created the pattern or moved its head first.
    InvalidArgumentError
        Bad id, or no name on the first save.
    """
    check_pattern_id(pattern_id)
    heads: list[Any] = []

    def lock_head(tx: Writer) -> int | None:
        t = custom_patterns
        stmt = sa.select(t).where(t.c.pattern_id == pattern_id).with_for_update()
        heads.append(tx.conn.execute(stmt).mappings().first())
        return None if heads[0] is None else int(heads[0]["latest_version"])

    def move_head(tx: Writer, version: int) -> None:
        _move_head(tx, heads[0], pattern_id, version, name, description, created_by)

    content = {
        "definition": dict(definition),
        "text": text,
        "schema_version": schema_version,
        "created_by": created_by,
        "note": note,
    }
    return _VERSIONS.save(
        store,
        {"pattern_id": pattern_id},
        content,
        content_hash=content_hash,
        lock_latest=lock_head,
        before_append=move_head,
        on_saved=on_saved,
    )


def _move_head(
    tx: Writer,
    head: Any,
    pattern_id: str,
    version: int,
    name: str | None,
    description: str | None,
    owner: str,
) -> None:
    if head is None:
        if not name:
            raise InvalidArgumentError(f"a new pattern needs a name (pattern id {pattern_id!r})")
        frame = pd.DataFrame(
            [
                {
                    "pattern_id": pattern_id,
                    "name": name,
                    "owner": owner,
                    "description": description,
                    "latest_version": version,
                }
            ]
        )
        try:
            tx.append("custom_patterns", frame)
        except DuplicateRecordError as exc:  # a concurrent first save got there first
            raise PatternConflictError(
                f"pattern {pattern_id!r} was created concurrently; nothing was stored: "
                "reload it and save again"
            ) from exc
        return
    changes: dict[str, Any] = {"latest_version": version, "updated_at": sa.func.now()}
    if name:
        changes["name"] = name
    if description is not None:
        changes["description"] = description
    t = custom_patterns
    done = tx.conn.execute(
        t.update()
        .where(t.c.pattern_id == pattern_id, t.c.latest_version == version - 1)
        .values(**changes)
    )
    if done.rowcount != 1:
        raise PatternConflictError(
            f"pattern {pattern_id!r} moved past version {version - 1} concurrently; "
            "nothing was stored: reload it and save again"
        )


def set_archived(
    store: Store,
    pattern_id: str,
    archived: bool = True,
    *,
    on_changed: Callable[[Writer], None] | None = None,
) -> PatternHead:
    """Archive (hide from listings) or restore a pattern; its versions stay readable.

    ``on_changed`` is called with the open transaction once the row changed (the API's
    audit record commits with the change).
    """
    t = custom_patterns
    with store.transaction() as tx:
        done = tx.conn.execute(
            t.update()
            .where(t.c.pattern_id == check_pattern_id(pattern_id))
            .values(archived=archived, updated_at=sa.func.now())
        )
        if done.rowcount != 1:
            raise PatternNotFoundError(
                f"no pattern {pattern_id!r}; list_patterns() shows the stored ones"
            )
        if on_changed is not None:
            on_changed(tx)
    return read_pattern(store, pattern_id)


# -- reads ----------------------------------------------------------------------------------


def read_pattern(store: Store, pattern_id: str) -> PatternHead:
    """The head record of ``pattern_id``.

    Raises
    ------
    PatternNotFoundError
        When no such pattern is stored.
    """
    with store.engine.connect() as conn:
        row = (
            conn.execute(
                sa.select(custom_patterns).where(custom_patterns.c.pattern_id == pattern_id)
            )
            .mappings()
            .first()
        )
    if row is None:
        raise PatternNotFoundError(
            f"no pattern {pattern_id!r}; list_patterns() shows the stored ones"
        )
    return PatternHead(**row)


def list_patterns(
    store: Store, *, owner: str | None = None, include_archived: bool = False
) -> list[PatternHead]:
    """Head records, by name (archived ones only when asked)."""
    t = custom_patterns
    stmt = sa.select(t).order_by(t.c.name, t.c.pattern_id)
    if owner is not None:
        stmt = stmt.where(t.c.owner == owner)
    if not include_archived:
        stmt = stmt.where(t.c.archived.is_(False))
    with store.engine.connect() as conn:
        return [PatternHead(**r) for r in conn.execute(stmt).mappings()]


def read_versions(store: Store, pattern_id: str) -> list[PatternVersion]:
    """Every version of ``pattern_id``, oldest first (empty when none is stored)."""
    with store.engine.connect() as conn:
        return _VERSIONS.all(conn, {"pattern_id": pattern_id})


def read_version(store: Store, pattern_id: str, version: int | None = None) -> PatternVersion:
    """One version of ``pattern_id`` (the newest when ``version`` is None).

    Raises
    ------
    PatternNotFoundError
        When the pattern or that version is not stored.
    """
    with store.engine.connect() as conn:
        if version is None:
            version = conn.execute(
                sa.select(custom_patterns.c.latest_version).where(
                    custom_patterns.c.pattern_id == pattern_id
                )
            ).scalar()
            if version is None:
                raise PatternNotFoundError(
                    f"no pattern {pattern_id!r}; list_patterns() shows the stored ones"
                )
        found = _version_row(conn, pattern_id, int(version))
    if found is None:
        raise PatternNotFoundError(
            f"pattern {pattern_id!r} has no version {version}; read_versions() lists them"
        )
    return found


def read_pinned(store: Store, pin: str) -> PatternVersion:
    """The version a pin ``pattern_id@version`` names (see :func:`parse_pin`)."""
    pattern_id, version = parse_pin(pin)
    return read_version(store, pattern_id, version)


def _version_row(conn: sa.Connection, pattern_id: str, version: int) -> PatternVersion | None:
    return _VERSIONS.read(conn, {"pattern_id": pattern_id}, version)
