"""Authentication: API keys for programs, passwords and login tokens for people.

Login throttling, two ways: per client address, a token bucket (:data:`LOGIN_BURST`
attempts, then :data:`LOGIN_RATE` a second) slows password spraying across many
usernames; per account, after :data:`FREE_FAILURES` consecutive wrong passwords an account is
locked for 30 s, doubling with every further failure up to 15 minutes; while locked,
attempts are refused without checking the password. Every login, failed login and
refused (throttled) login is audited; an unknown username costs one Argon2 check like
a known one, so timing does not reveal which accounts exist.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from optionsintel.auth import Role, Tier, issue_token, key_matches, key_prefix, verify_password
from optionsintel.auth.keys import looks_like_api_key
from optionsintel.auth.roles import parse_scopes
from optionsintel.auth.tokens import verify_token
from optionsintel.errors import CredentialsError, LoginThrottledError
from optionsintel.services.audit import record
from optionsintel.services.identity import Identity
from optionsintel.store import Increment, Now
from optionsintel.store.accounts import read_account, read_key_identity

if TYPE_CHECKING:
    from optionsintel.services.key_cache import KeyCache
    from optionsintel.store import Store

FREE_FAILURES: Final = 5
_BASE_LOCK: Final = dt.timedelta(seconds=30)
_MAX_LOCK: Final = dt.timedelta(minutes=15)
#: last_used_at is written at most this often per key (not on every request).
LAST_USED_RESOLUTION: Final = dt.timedelta(seconds=60)
#: Login attempts per client address (any usernames): a burst, then one every 6 s.
LOGIN_BURST: Final = 10
LOGIN_RATE: Final = 10 / 60
_BAD_LOGIN: Final = "wrong username or password, or the account is disabled"


def lock_duration(failures: int) -> dt.timedelta:
    """How long an account is locked after ``failures`` consecutive failures (0 if not)."""
    if failures < FREE_FAILURES:
        return dt.timedelta(0)
    doublings = min(failures - FREE_FAILURES, 16)  # past 15 min anyway; keeps 2**n small
    return min(_MAX_LOCK, _BASE_LOCK * 2**doublings)


def authenticate(
    store: Store,
    credential: str,
    *,
    secret: str,
    source: str | None,
    cache: KeyCache | None = None,
) -> Identity:
    """The identity behind an API key or a login token.

    With a :class:`~optionsintel.services.key_cache.KeyCache`, an API key verified in the
    last few seconds (and unchanged since) is answered from memory.

    Raises
    ------
    CredentialsError
        For anything but an active, unexpired, unrevoked key of an active user, or a
        valid token of an active user. The message never repeats the credential.
    """
    if looks_like_api_key(credential):
        if cache is None:
            return _key_identity(store, credential, source)[0]
        generation = cache.generation()
        identity, expires_at = _key_identity(store, credential, source)
        cache.put(credential, identity, expires_at, generation)
        return identity
    username = verify_token(credential, secret)
    account = read_account(store, username)
    if account is None or account["status"] != "ACTIVE":
        raise CredentialsError("the account of this login token is disabled or gone")
    return Identity(
        username=username,
        role=Role(account["role"]),
        tier=Tier(account["tier"]),
        via="token",
        source=source,
    )


def _key_identity(
    store: Store, key: str, source: str | None
) -> tuple[Identity, pd.Timestamp | None]:
    prefix = key_prefix(key)
    row = read_key_identity(store, prefix) if prefix else None
    if prefix is None or row is None or not key_matches(key, row["key_hash"]):
        raise CredentialsError("unknown API key")
    if row["key_status"] != "ACTIVE":
        raise CredentialsError(f"API key {prefix} has been revoked")
    if row["expires_at"] is not None and row["expires_at"] <= row["db_now"]:
        raise CredentialsError(f"API key {prefix} has expired")
    if row["user_status"] != "ACTIVE":
        raise CredentialsError(f"the owner of API key {prefix} is disabled")
    last = row["last_used_at"]
    if last is None or row["db_now"] - last >= LAST_USED_RESOLUTION:
        store.transition("api_keys", prefix, "ACTIVE", "ACTIVE", last_used_at=Now())
    scopes = parse_scopes(row["scopes"] or [])
    identity = Identity(
        username=row["username"],
        role=Role(row["role"]),
        tier=Tier(row["tier"]),
        via="key",
        scopes=scopes or None,
        key_prefix=prefix,
        source=source,
    )
    expires = row["expires_at"]
    return identity, None if expires is None else pd.Timestamp(expires)


def prepare_login() -> None:
    """Pay the unknown-user Argon2 reference hash now (a server calls this at start-up).

    :func:`login` checks a password against it when the username is unknown, so an
    unknown and a known username cost the same; made lazily, the first unknown-user login
    of a process would cost one Argon2 run more and tell the two apart by its timing.
    """
    verify_password(None, "")


def login(store: Store, username: str, password: str, *, secret: str, source: str | None) -> str:
    """A short-lived login token for ``username`` if ``password`` is right.

    Raises
    ------
    LoginThrottledError
        While the account is locked after repeated failures (with the seconds to wait).
    CredentialsError
        For a wrong username or password or a disabled account (one message for all).
    """
    account = read_account(store, username) if isinstance(username, str) else None
    if account is None:
        verify_password(None, password)  # same cost as a real check
        _audit_only(store, username, "login.failed", source, {"reason": "unknown user"})
        raise CredentialsError(_BAD_LOGIN)
    locked = account["locked_until"]
    if locked is not None and locked > account["db_now"]:
        wait = (locked - account["db_now"]).total_seconds()
        _audit_only(store, username, "login.throttled", source, {"retry_after": round(wait)})
        raise LoginThrottledError(
            f"too many failed logins: try again in {int(wait) + 1} s", retry_after=wait
        )
    if not verify_password(account["password_hash"], password) or account["status"] != "ACTIVE":
        _failed(store, account, source)
        raise CredentialsError(_BAD_LOGIN)
    with store.transaction() as writer:
        writer.transition(
            "users",
            username,
            "ACTIVE",
            "ACTIVE",
            failed_logins=0,
            locked_until=None,
            last_login_at=Now(),
        )
        record(writer, username, "login", username, source=source)
    return issue_token(username, secret)


def _failed(store: Store, account: dict[str, Any], source: str | None) -> None:
    failures = int(account["failed_logins"]) + 1
    lock = lock_duration(failures)
    changes: dict[str, Any] = {"failed_logins": Increment(1)}
    if lock:
        changes["locked_until"] = Now(lock)
    with store.transaction() as writer:
        writer.transition(
            "users", account["username"], ["ACTIVE", "DISABLED"], account["status"], **changes
        )
        record(
            writer,
            account["username"],
            "login.failed",
            account["username"],
            source=source,
            details={"failures": failures, "locked_seconds": lock.total_seconds()},
        )


def _audit_only(
    store: Store, username: Any, action: str, source: str | None, details: dict[str, Any]
) -> None:
    name = str(username)[:64] if username is not None else ""
    with store.transaction() as writer:
        record(writer, "anonymous", action, name, source=source, details=details)


def token_expiry(now: pd.Timestamp | None = None) -> pd.Timestamp:
    """When a token issued now expires (for the login response)."""
    from optionsintel.auth import TOKEN_LIFETIME

    return (now or pd.Timestamp.now(tz="UTC")) + TOKEN_LIFETIME
