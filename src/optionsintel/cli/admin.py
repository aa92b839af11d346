"""``optionsintel users`` and ``optionsintel keys``: accounts and API keys from the shell.

Whoever can run these commands can reach the database, so they act as a SUPER_ADMIN
named ``cli:<os user>`` in the audit log. The first SUPER_ADMIN of an exposed platform
is created here, with a password taken from ``OPTIONSINTEL_ADMIN_PASSWORD`` or typed at
a hidden prompt; there is never a default password.
"""

from __future__ import annotations

import datetime as dt
import os

import typer

from optionsintel.cli._common import LazyModule, console, err_console, friendly_errors

key_service = LazyModule("optionsintel.services.keys")
user_service = LazyModule("optionsintel.services.users")
_identity = LazyModule("optionsintel.services.identity")
_serialise = LazyModule("optionsintel.services.serialise")
_store = LazyModule("optionsintel.store")

users_app = typer.Typer(help="Manage user accounts (roles, tiers, logins).", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys (every API call needs one).", no_args_is_help=True)

ADMIN_USER_ENV = "OPTIONSINTEL_ADMIN_USERNAME"
ADMIN_PASSWORD_ENV = "OPTIONSINTEL_ADMIN_PASSWORD"


def _password(ask: bool) -> str | None:
    if os.environ.get(ADMIN_PASSWORD_ENV):
        return os.environ[ADMIN_PASSWORD_ENV]
    if not ask:
        return None
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@users_app.command("create")
@friendly_errors
def users_create(
    username: str = typer.Argument(None, help=f"Account name (default: ${ADMIN_USER_ENV})."),
    role: str = typer.Option("USER", help="USER, ADMIN or SUPER_ADMIN."),
    tier: str = typer.Option("FREE", help="FREE, PRO, VIP or INSTITUTIONAL."),
    password: bool = typer.Option(
        False, "--password", help=f"Let the person log in: ${ADMIN_PASSWORD_ENV} or a prompt."
    ),
    email: str = typer.Option(None, help="E-mail address."),
    display_name: str = typer.Option(None, "--display-name", help="Name to show."),
) -> None:
    """Create an account (the first SUPER_ADMIN: --role SUPER_ADMIN --password)."""
    name = username or os.environ.get(ADMIN_USER_ENV)
    if not name:
        err_console.print(f"error: give a USERNAME or set {ADMIN_USER_ENV}")
        raise typer.Exit(code=2)
    secret = _password(password or bool(os.environ.get(ADMIN_PASSWORD_ENV)))
    made = user_service.create_user(
        _store.get_store(),
        _identity.cli_identity(),
        name,
        role=role,
        tier=tier,
        password=secret,
        email=email,
        display_name=display_name,
    )
    login = "can log in" if secret else "API keys only (no password)"
    console.print(f"created {made['username']} ({made['role']}, {made['tier']}): {login}")


@users_app.command("list")
@friendly_errors
def users_list(limit: int = typer.Option(1000, min=1)) -> None:
    """List accounts."""
    for u in user_service.list_users(_store.get_store(), _identity.cli_identity(), limit=limit):
        r = _serialise.row(u)
        console.print(
            f"{r['username']:<24} {r['role']:<12} {r['tier']:<14} {r['status']:<9} "
            f"last login {r['last_login_at'] or '-'}"
        )


@users_app.command("set-role")
@friendly_errors
def users_set_role(username: str, role: str) -> None:
    """Change an account's role (USER, ADMIN, SUPER_ADMIN)."""
    made = user_service.set_role(_store.get_store(), _identity.cli_identity(), username, role)
    console.print(f"{made['username']} is now {made['role']}")


@users_app.command("set-tier")
@friendly_errors
def users_set_tier(username: str, tier: str) -> None:
    """Change an account's subscription tier (FREE, PRO, VIP, INSTITUTIONAL)."""
    made = user_service.set_tier(_store.get_store(), _identity.cli_identity(), username, tier)
    console.print(f"{made['username']} is now on {made['tier']}")


@users_app.command("disable")
@friendly_errors
def users_disable(username: str) -> None:
    """Disable an account: its logins and API keys stop working at once."""
    made = user_service.disable_user(_store.get_store(), _identity.cli_identity(), username)
    console.print(f"{made['username']} is {made['status']}")


@keys_app.command("create")
@friendly_errors
def keys_create(
    user: str = typer.Option(None, "--user", help="Owner (default: the local account)."),
    name: str = typer.Option("default", help="A label to tell keys apart."),
    scope: list[str] = typer.Option(None, "--scope", help="Narrow to a permission (repeat)."),
    expires_days: int = typer.Option(None, "--expires-days", min=1, max=3650),
) -> None:
    """Create an API key and print it once (it cannot be shown again)."""
    store, actor = _store.get_store(), _identity.cli_identity()
    owner = user or user_service.ensure_local_user(store, actor)["username"]
    life = None if expires_days is None else dt.timedelta(days=expires_days)
    made = key_service.create_key(
        store, actor, name=name, username=owner, scopes=scope or (), expires_in=life
    )
    err_console.print(f"API key {made['key_prefix']} for {owner}; shown only this once:")
    typer.echo(made["key"])
    err_console.print("send it as the X-API-Key header (or Authorization: Bearer <key>)")


@keys_app.command("list")
@friendly_errors
def keys_list(
    user: str = typer.Option(None, "--user", help="Owner (default: everyone)."),
) -> None:
    """List API keys (prefixes and metadata; never the keys)."""
    store, actor = _store.get_store(), _identity.cli_identity()
    found = key_service.list_keys(store, actor, username=user, everyone=user is None, limit=100_000)
    for k in map(_serialise.row, found):
        console.print(
            f"{k['key_prefix']}  {k['username']:<20} {k['name']:<20} {k['status']:<8} "
            f"last used {k['last_used_at'] or 'never'}"
        )


@keys_app.command("revoke")
@friendly_errors
def keys_revoke(prefix: str) -> None:
    """Revoke an API key by its prefix (oi_xxxxxxxx); effective immediately."""
    made = key_service.revoke_key(_store.get_store(), _identity.cli_identity(), prefix)
    console.print(f"{made['key_prefix']} is {made['status']}")
