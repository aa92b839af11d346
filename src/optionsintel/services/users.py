"""Accounts: create, list, change role or tier, disable; each change audited with it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from optionsintel.auth import Permission, Role, Tier, hash_password, parse_role, parse_tier
from optionsintel.errors import InputError, RecordNotFoundError
from optionsintel.services.audit import record
from optionsintel.services.identity import Identity, authorise
from optionsintel.store.accounts import read_account, read_users

if TYPE_CHECKING:
    from optionsintel.store import Store

#: The one account of a local (loopback-only) installation, like a personal Jupyter server.
LOCAL_USER: Final = "local"
_USERNAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")


def check_username(username: str) -> str:
    """``username`` if well formed (2-64 of letters, digits, ``_ . @ -``).

    Raises
    ------
    InputError
        Otherwise.
    """
    if not isinstance(username, str) or not _USERNAME.match(username):
        raise InputError(
            "a username has 2 to 64 characters: letters, digits, '_', '.', '@' or '-', "
            "starting with a letter or digit"
        )
    return username


def create_user(
    store: Store,
    actor: Identity,
    username: str,
    *,
    role: Role | str = Role.USER,
    tier: Tier | str = Tier.FREE,
    password: str | None = None,
    email: str | None = None,
    display_name: str | None = None,
) -> dict[str, Any]:
    """Create an account (needs ``users:manage``); audited as ``user.create``.

    A user without a password cannot log in and acts only through API keys.

    Raises
    ------
    DuplicateRecordError
        When the username (or email) is taken; nothing is stored.
    InputError
        For a malformed username, role, tier or a password outside the policy.
    """
    authorise(actor, Permission.USERS_MANAGE)
    row = {
        "username": check_username(username),
        "role": parse_role(role).value,
        "tier": parse_tier(tier).value,
        "password_hash": hash_password(password) if password is not None else None,
        "email": email,
        "display_name": display_name,
    }
    with store.transaction() as writer:
        writer.append("users", pd.DataFrame([row]))
        record(
            writer,
            actor.actor,
            "user.create",
            username,
            source=actor.source,
            details={"role": row["role"], "tier": row["tier"], "password": password is not None},
        )
    return get_user(store, username)


def get_user(store: Store, username: str) -> dict[str, Any]:
    """The account of ``username`` without its password hash.

    Raises
    ------
    RecordNotFoundError
        When there is no such account.
    """
    row = read_account(store, username)
    if row is None:
        raise RecordNotFoundError(f"no user {username!r}")
    return {k: v for k, v in row.items() if k not in ("password_hash", "db_now", "updated_at")}


def list_users(
    store: Store, actor: Identity, *, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """A page of accounts by username (needs ``users:read``)."""
    authorise(actor, Permission.USERS_READ)
    return read_users(store, limit=limit, offset=offset)


def set_role(store: Store, actor: Identity, username: str, role: Role | str) -> dict[str, Any]:
    """Change ``username``'s role (needs ``users:manage``); audited as ``user.set_role``.

    Raises
    ------
    RecordNotFoundError
        When there is no such account.
    InputError
        When this would leave no active SUPER_ADMIN.
    """
    authorise(actor, Permission.USERS_MANAGE)
    new = parse_role(role)
    if new is not Role.SUPER_ADMIN:
        _keep_a_super_admin(store, username)
    return _set_column(store, actor, username, "role", [r.value for r in Role], new.value)


def set_tier(store: Store, actor: Identity, username: str, tier: Tier | str) -> dict[str, Any]:
    """Change ``username``'s subscription tier (needs ``users:manage``); audited."""
    authorise(actor, Permission.USERS_MANAGE)
    new = parse_tier(tier)
    return _set_column(store, actor, username, "tier", [t.value for t in Tier], new.value)


def _set_column(
    store: Store, actor: Identity, username: str, column: str, allowed: list[str], value: str
) -> dict[str, Any]:
    """Set the account's ``role`` or ``tier`` with its audit record ``user.set_<column>``."""
    before = get_user(store, username)
    with store.transaction() as writer:
        writer.transition("users", username, allowed, value, state_column=column)
        record(
            writer,
            actor.actor,
            f"user.set_{column}",
            username,
            source=actor.source,
            details={"from": before[column], "to": value},
        )
    return get_user(store, username)


def disable_user(store: Store, actor: Identity, username: str) -> dict[str, Any]:
    """Disable ``username`` (needs ``users:manage``): its logins and keys stop at once.

    Raises
    ------
    RecordNotFoundError
        When there is no such account.
    InputError
        When this would leave no active SUPER_ADMIN.
    """
    authorise(actor, Permission.USERS_MANAGE)
    get_user(store, username)
    _keep_a_super_admin(store, username)
    with store.transaction() as writer:
        moved = writer.transition("users", username, "ACTIVE", "DISABLED")
        record(
            writer,
            actor.actor,
            "user.disable",
            username,
            source=actor.source,
            details={"changed": moved},
        )
    return get_user(store, username)


def _keep_a_super_admin(store: Store, username: str) -> None:
    target = read_account(store, username)
    if target is None or target["role"] != Role.SUPER_ADMIN or target["status"] != "ACTIVE":
        return
    n = store.count("users", where={"role": Role.SUPER_ADMIN.value, "status": "ACTIVE"})
    if n <= 1:
        raise InputError(
            f"{username} is the only active SUPER_ADMIN; create or promote another one first"
        )


def ensure_local_user(store: Store, actor: Identity) -> dict[str, Any]:
    """The local installation's account (SUPER_ADMIN, no password), created if absent."""
    if read_account(store, LOCAL_USER) is None:
        return create_user(
            store,
            actor,
            LOCAL_USER,
            role=Role.SUPER_ADMIN,
            tier=Tier.INSTITUTIONAL,
            display_name="local user",
        )
    return get_user(store, LOCAL_USER)
