"""The audit log: who did what to which object, when and from where.

:func:`record` appends inside the caller's transaction (``Store.transaction()``), so the
record commits or rolls back with the change. The table refuses UPDATE and DELETE in
the database (migration 0004), and the store's append never updates.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pandas as pd

from optionsintel.auth import Permission
from optionsintel.services.identity import Identity, authorise
from optionsintel.store.accounts import read_audit_log

if TYPE_CHECKING:
    from optionsintel.store import Store
    from optionsintel.store.api import Writer


def record(
    writer: Writer,
    actor: str,
    action: str,
    target: str | None = None,
    *,
    source: str | None = None,
    details: dict[str, Any] | None = None,
) -> str:
    """Append one audit record in ``writer``'s transaction; return its event id.

    ``details`` must not hold secrets: callers pass names and prefixes, never keys,
    passwords or tokens.
    """
    event_id = uuid.uuid4().hex
    frame = pd.DataFrame(
        [
            {
                "event_id": event_id,
                "actor": actor,
                "action": action,
                "target": target,
                "details": details or {},
                "source": source,
            }
        ]
    )
    writer.append("audit_log", frame)
    return event_id


def list_audit(
    store: Store,
    identity: Identity,
    *,
    limit: int,
    offset: int = 0,
    actor: str | None = None,
    action: str | None = None,
    start: Any = None,
    end: Any = None,
    target: str | None = None,
) -> list[dict[str, Any]]:
    """A page of the audit log, newest first (needs ``audit:read``).

    ``target`` is the object acted on (a username, a key prefix, a rule...).
    """
    authorise(identity, Permission.AUDIT_READ)
    return read_audit_log(store, limit=limit, offset=offset, actor=actor, action=action,
                          start=start, end=end, target=target)  # fmt: skip
