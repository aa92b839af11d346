"""Who is acting: an authenticated identity and the one place permissions are checked."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Literal

from optionsintel.auth import Permission, Role, Tier, allows
from optionsintel.errors import PermissionDeniedError

Via = Literal["key", "token", "cli"]


@dataclass(frozen=True)
class Identity:
    """An authenticated actor.

    ``scopes`` narrows an API key to some of its owner's permissions (None: all of the
    role's); ``key_prefix`` names the key used; ``source`` is where the request came
    from (client address or ``"cli"``), recorded in the audit log.
    """

    username: str
    role: Role
    tier: Tier
    via: Via
    scopes: frozenset[Permission] | None = None
    key_prefix: str | None = None
    source: str | None = None

    @property
    def actor(self) -> str:
        """The name the audit log records."""
        return self.username

    def can(self, permission: Permission) -> bool:
        """Whether this identity holds ``permission``."""
        return allows(self.role, permission, self.scopes)


def cli_identity() -> Identity:
    """The operator at the command line: whoever can reach the database is trusted fully."""
    return Identity(
        username=f"cli:{getpass.getuser()}",
        role=Role.SUPER_ADMIN,
        tier=Tier.INSTITUTIONAL,
        via="cli",
        source="cli",
    )


def authorise(identity: Identity, permission: Permission) -> None:
    """Raise unless ``identity`` holds ``permission`` (the single enforcement point).

    Raises
    ------
    PermissionDeniedError
        Naming the permission and the role (never a credential).
    """
    if not identity.can(permission):
        narrowed = " with this key's scopes" if identity.scopes is not None else ""
        raise PermissionDeniedError(
            f"role {identity.role.value}{narrowed} lacks permission {permission.value}",
            permission=permission.value,
        )
