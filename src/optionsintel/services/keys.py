"""API keys: create (the key is shown once), list, revoke (effective at once)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

from optionsintel.auth import (
    ROLE_PERMISSIONS,
    Permission,
    generate_api_key,
    parse_role,
    parse_scopes,
)
from optionsintel.errors import InputError, PermissionDeniedError, RecordNotFoundError
from optionsintel.services.audit import record
from optionsintel.services.identity import Identity, authorise
from optionsintel.store import Now
from optionsintel.store.accounts import read_account, read_keys

if TYPE_CHECKING:
    from collections.abc import Sequence

    from optionsintel.store import Store

MAX_KEY_LIFETIME = dt.timedelta(days=3650)


def _may_act_for(actor: Identity, username: str) -> None:
    authorise(actor, Permission.OWN_KEYS if username == actor.username else Permission.KEYS_MANAGE)


def create_key(
    store: Store,
    actor: Identity,
    *,
    name: str,
    username: str | None = None,
    scopes: Sequence[str] = (),
    expires_in: dt.timedelta | None = None,
) -> dict[str, Any]:
    """Create an API key for ``username`` (default: the actor); audited as ``key.create``.

    Parameters
    ----------
    name
        A label for the owner (1-80 characters).
    scopes
        Permissions the key is narrowed to (empty: all of the owner's role). They must
        lie within the owner's role, and within the actor's own scopes when the actor is a
        scoped key (empty then means the actor's scopes).
    expires_in
        Lifetime; None for a key that lasts until revoked.

    Returns
    -------
    dict
        The key's listing plus ``key``, the full secret: the only time it is shown.

    Raises
    ------
    PermissionDeniedError
        For another user's key without ``keys:manage``; for scopes beyond the actor's key.
    InputError
        For a bad name, scope or lifetime.
    RecordNotFoundError
        When the owner does not exist.
    """
    owner = username or actor.username
    _may_act_for(actor, owner)
    account = read_account(store, owner)
    if account is None:
        raise RecordNotFoundError(f"no user {owner!r}")
    wanted = parse_scopes(scopes)
    if actor.scopes is not None:  # a scoped key mints no key wider than itself
        wanted = wanted or actor.scopes
        if wider := wanted - actor.scopes:
            raise PermissionDeniedError(
                f"a key scoped to {sorted(p.value for p in actor.scopes)} cannot create a key "
                f"with {sorted(p.value for p in wider)}",
                permission=min(p.value for p in wider),
            )
    beyond = wanted - ROLE_PERMISSIONS[parse_role(account["role"])]
    if beyond:
        raise InputError(f"scopes {sorted(beyond)} exceed the role {account['role']} of {owner}")
    if not 1 <= len(name.strip()) <= 80:
        raise InputError("a key name has 1 to 80 characters")
    if expires_in is not None and not dt.timedelta(minutes=1) <= expires_in <= MAX_KEY_LIFETIME:
        raise InputError("a key lifetime lies between one minute and ten years")
    new = generate_api_key()
    expires = None if expires_in is None else pd.Timestamp.now(tz="UTC") + expires_in
    row = {
        "key_prefix": new.prefix,
        "key_hash": new.key_hash,
        "username": owner,
        "name": name.strip(),
        "scopes": sorted(p.value for p in wanted),
        "expires_at": expires,
    }
    with store.transaction() as writer:
        writer.append("api_keys", pd.DataFrame([row]))
        record(
            writer,
            actor.actor,
            "key.create",
            new.prefix,
            source=actor.source,
            details={"owner": owner, "name": row["name"], "scopes": row["scopes"]},
        )
    listing = read_keys(store, username=owner, limit=1_000_000)
    out = next(k for k in listing if k["key_prefix"] == new.prefix)
    return {**out, "key": new.key}


def list_keys(
    store: Store,
    actor: Identity,
    *,
    username: str | None = None,
    everyone: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """A page of keys (prefix, name, scopes, times; never hashes), newest first.

    The actor's own keys by default; another user's or ``everyone``'s need ``keys:manage``.
    """
    if everyone:
        authorise(actor, Permission.KEYS_MANAGE)
        return read_keys(store, username=None, limit=limit, offset=offset)
    owner = username or actor.username
    _may_act_for(actor, owner)
    return read_keys(store, username=owner, limit=limit, offset=offset)


def revoke_key(store: Store, actor: Identity, prefix: str) -> dict[str, Any]:
    """Revoke the key ``prefix``: the next request with it is refused. Audited.

    Raises
    ------
    RecordNotFoundError
        When no key has this prefix.
    PermissionDeniedError
        For another user's key without ``keys:manage``.
    """
    found = store.read("api_keys", where={"key_prefix": prefix}, columns=["username", "status"])
    if found.empty:
        raise RecordNotFoundError(f"no API key {prefix!r}")
    owner = str(found["username"].iloc[0])
    _may_act_for(actor, owner)
    with store.transaction() as writer:
        moved = writer.transition("api_keys", prefix, "ACTIVE", "REVOKED", revoked_at=Now())
        record(
            writer,
            actor.actor,
            "key.revoke",
            prefix,
            source=actor.source,
            details={"owner": owner, "changed": moved},
        )
    return next(
        k for k in read_keys(store, username=owner, limit=1_000_000) if k["key_prefix"] == prefix
    )
