"""Roles and the permission matrix, as data.

The matrix of the seed: every user manages their own patterns, alerts, strategies and
API keys and reads market data; ADMIN also reads users, system metrics and the audit
log; SUPER_ADMIN also manages users, everyone's keys and the system configuration.
Roles are cumulative (each includes the one below), so the matrix is written once
as "what a role adds" and expanded here.

Enforcement happens in one place, :func:`optionsintel.services.authz.authorise`, which
asks :func:`allows`; the API declares one permission per endpoint and a test walks the
full role x endpoint matrix.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from optionsintel.errors import InputError


class Role(StrEnum):
    """A user's role; ordered from least to most privileged."""

    USER = "USER"
    ADMIN = "ADMIN"
    SUPER_ADMIN = "SUPER_ADMIN"


class Permission(StrEnum):
    """What an endpoint or a command needs (``resource:verb``)."""

    MARKET_READ = "market:read"
    OWN_PATTERNS = "patterns:own"
    OWN_ALERTS = "alerts:own"
    OWN_STRATEGIES = "strategies:own"
    OWN_KEYS = "keys:own"
    USERS_READ = "users:read"
    SYSTEM_METRICS = "system:metrics"
    AUDIT_READ = "audit:read"
    USERS_MANAGE = "users:manage"
    KEYS_MANAGE = "keys:manage"
    SYSTEM_CONFIGURE = "system:configure"


_ADDS: Final = {
    Role.USER: (
        Permission.MARKET_READ,
        Permission.OWN_PATTERNS,
        Permission.OWN_ALERTS,
        Permission.OWN_STRATEGIES,
        Permission.OWN_KEYS,
    ),
    Role.ADMIN: (Permission.USERS_READ, Permission.SYSTEM_METRICS, Permission.AUDIT_READ),
    Role.SUPER_ADMIN: (
        Permission.USERS_MANAGE,
        Permission.KEYS_MANAGE,
        Permission.SYSTEM_CONFIGURE,
    ),
}


def _expand() -> dict[Role, frozenset[Permission]]:
    out: dict[Role, frozenset[Permission]] = {}
    granted: set[Permission] = set()
    for role in Role:
        granted |= set(_ADDS[role])
        out[role] = frozenset(granted)
    return out


#: Role -> every permission it holds (cumulative).
ROLE_PERMISSIONS: Final = MappingProxyType(_expand())


def parse_role(value: str) -> Role:
    """The :class:`Role` named ``value`` (case-insensitive).

    Raises
    ------
    InputError
        When no role has that name.
    """
    try:
        return Role(str(value).strip().upper())
    except ValueError:
        raise InputError(f"unknown role {value!r}; roles are {[r.value for r in Role]}") from None


def parse_scopes(values: Iterable[str]) -> frozenset[Permission]:
    """Permissions named by ``values`` (a key's scopes).

    Raises
    ------
    InputError
        When a value names no permission.
    """
    out = set()
    for v in values:
        try:
            out.add(Permission(v))
        except ValueError:
            raise InputError(
                f"unknown scope {v!r}; scopes are {[p.value for p in Permission]}"
            ) from None
    return frozenset(out)


def allows(role: Role, permission: Permission, scopes: frozenset[Permission] | None = None) -> bool:
    """Whether ``role`` (narrowed to a key's ``scopes``, when given) holds ``permission``.

    A key's scopes never widen its owner's role: the effective permissions are the
    intersection, so demoting a user narrows every key they hold at once.

    >>> allows(Role.ADMIN, Permission.AUDIT_READ)
    True
    >>> allows(Role.ADMIN, Permission.USERS_MANAGE)
    False
    >>> allows(Role.SUPER_ADMIN, Permission.AUDIT_READ, frozenset({Permission.MARKET_READ}))
    False
    """
    if permission not in ROLE_PERMISSIONS[role]:
        return False
    return scopes is None or permission in scopes
