"""Users, keys, login and the audit log through the services, on the real PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest
import sqlalchemy as sa

from accounts_helpers import SECRET, user_with_key
from optionsintel.auth import Role, Tier, verify_token
from optionsintel.errors import (
    CredentialsError,
    DuplicateRecordError,
    InputError,
    LoginThrottledError,
    PermissionDeniedError,
    RecordNotFoundError,
)
from optionsintel.services import access, keys, users
from optionsintel.services.access import FREE_FAILURES, authenticate, lock_duration, login
from optionsintel.services.identity import Identity, cli_identity
from optionsintel.services.signing import ENV_VAR, api_secret
from optionsintel.store import Store

PASSWORD = "a long enough password"


def _audit(store: Store, action: str | None = None) -> list[dict]:
    rows = store.read("audit_log", order_by=["ts", "event_id"])
    out = rows.to_dict("records")
    return [r for r in out if action is None or r["action"] == action]


def _as(store: Store, username: str) -> Identity:
    return authenticate(store, user_with_key(store, username, "USER"), secret=SECRET, source="t")


def test_create_user_writes_its_audit_record(accounts: Store) -> None:
    made = users.create_user(accounts, cli_identity(), "alice", role="ADMIN", password=PASSWORD)
    assert made["role"] == "ADMIN" and "password_hash" not in made
    [rec] = _audit(accounts, "user.create")
    assert rec["target"] == "alice" and rec["actor"].startswith("cli:") and rec["source"] == "cli"
    assert PASSWORD not in str(rec)


def test_failed_change_leaves_no_audit_record(accounts: Store) -> None:
    users.create_user(accounts, cli_identity(), "alice")
    with pytest.raises(DuplicateRecordError):
        users.create_user(accounts, cli_identity(), "alice")
    with pytest.raises(RecordNotFoundError):
        users.set_role(accounts, cli_identity(), "nobody", "ADMIN")
    assert [r["action"] for r in _audit(accounts)] == ["user.create"]


def test_failed_audit_record_undoes_the_change(accounts: Store, monkeypatch) -> None:
    """The record and the change share one transaction: no record, no change."""
    users.create_user(accounts, cli_identity(), "alice")

    def broken(writer, *a, **kw):
        writer.append("audit_log", __import__("pandas").DataFrame([{"event_id": None}]))

    monkeypatch.setattr(users, "record", broken)
    with pytest.raises(Exception, match="null key"):
        users.set_role(accounts, cli_identity(), "alice", "ADMIN")
    with pytest.raises(Exception, match="null key"):
        users.create_user(accounts, cli_identity(), "bob")
    assert users.get_user(accounts, "alice")["role"] == "USER"
    with pytest.raises(RecordNotFoundError):
        users.get_user(accounts, "bob")


@pytest.mark.parametrize("sql", ["UPDATE audit_log SET actor = 'mallory'",
                                 "DELETE FROM audit_log",
                                 "UPDATE audit_log SET actor = 'x' WHERE false"])  # fmt: skip
def test_audit_log_refuses_update_and_delete(accounts: Store, sql: str) -> None:
    users.create_user(accounts, cli_identity(), "alice")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), accounts.engine.begin() as conn:
        conn.execute(sa.text(sql))
    assert len(_audit(accounts)) == 1 and _audit(accounts)[0]["actor"] != "mallory"


def test_set_role_tier_disable_and_the_last_super_admin(accounts: Store) -> None:
    cli = cli_identity()
    users.create_user(accounts, cli, "root", role="SUPER_ADMIN")
    with pytest.raises(InputError, match="only active SUPER_ADMIN"):
        users.set_role(accounts, cli, "root", "USER")
    with pytest.raises(InputError, match="only active SUPER_ADMIN"):
        users.disable_user(accounts, cli, "root")
    users.create_user(accounts, cli, "bob")
    assert users.set_role(accounts, cli, "bob", "admin")["role"] == "ADMIN"
    assert users.set_tier(accounts, cli, "bob", "vip")["tier"] == "VIP"
    assert users.disable_user(accounts, cli, "bob")["status"] == "DISABLED"
    acts = [(r["action"], r["details"]) for r in _audit(accounts)][-3:]
    assert acts[0] == ("user.set_role", {"from": "USER", "to": "ADMIN"})
    assert acts[1] == ("user.set_tier", {"from": "FREE", "to": "VIP"})
    assert acts[2][0] == "user.disable"


def test_users_cannot_manage_users(accounts: Store) -> None:
    alice = _as(accounts, "alice")
    with pytest.raises(PermissionDeniedError, match="users:manage"):
        users.create_user(accounts, alice, "mallory", role="SUPER_ADMIN")
    with pytest.raises(PermissionDeniedError, match="users:read"):
        users.list_users(accounts, alice)


def test_key_is_shown_once_and_stored_only_hashed(accounts: Store) -> None:
    users.create_user(accounts, cli_identity(), "alice")
    made = keys.create_key(accounts, cli_identity(), name="laptop", username="alice")
    key = made["key"]
    with accounts.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT * FROM api_keys")).mappings().one()
    assert stored["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(dict(stored)) and key not in str(_audit(accounts))
    listing = keys.list_keys(accounts, cli_identity(), username="alice")
    assert listing[0]["key_prefix"] == made["key_prefix"]
    assert "key" not in listing[0] and "key_hash" not in listing[0]


def test_revocation_is_immediate_and_last_use_recorded(accounts: Store) -> None:
    key = user_with_key(accounts, "alice")
    who = authenticate(accounts, key, secret=SECRET, source="10.0.0.1")
    assert who.username == "alice" and who.via == "key"
    [k] = keys.list_keys(accounts, who)
    assert k["last_used_at"] is not None
    keys.revoke_key(accounts, who, who.key_prefix)
    with pytest.raises(CredentialsError, match="revoked"):
        authenticate(accounts, key, secret=SECRET, source=None)
    assert _audit(accounts, "key.revoke")[0]["actor"] == "alice"


def test_other_users_keys_need_keys_manage(accounts: Store) -> None:
    alice, bob = _as(accounts, "alice"), _as(accounts, "bob")
    with pytest.raises(PermissionDeniedError, match="keys:manage"):
        keys.revoke_key(accounts, alice, bob.key_prefix)
    with pytest.raises(PermissionDeniedError, match="keys:manage"):
        keys.create_key(accounts, alice, name="x", username="bob")
    with pytest.raises(InputError, match="exceed the role USER"):
        keys.create_key(accounts, alice, name="x", scopes=["audit:read"])


def test_scoped_key_is_narrowed(accounts: Store) -> None:
    users.create_user(accounts, cli_identity(), "ann", role="ADMIN")
    made = keys.create_key(accounts, cli_identity(), name="ro", username="ann",
                           scopes=["market:read"])  # fmt: skip
    who = authenticate(accounts, made["key"], secret=SECRET, source=None)
    assert who.can(__import__("optionsintel.auth").auth.Permission.MARKET_READ)
    assert not who.can(__import__("optionsintel.auth").auth.Permission.AUDIT_READ)


def test_a_scoped_key_cannot_mint_a_wider_key(accounts: Store) -> None:
    from optionsintel.auth import Permission

    users.create_user(accounts, cli_identity(), "kim", role="ADMIN")
    made = keys.create_key(accounts, cli_identity(), name="k", username="kim",
                           scopes=["keys:own", "market:read"])  # fmt: skip
    who = authenticate(accounts, made["key"], secret=SECRET, source=None)
    # no scopes used to mean "all of the owner's role": audit:read through a keys:own key
    child = keys.create_key(accounts, who, name="child")
    assert child["scopes"] == ["keys:own", "market:read"]
    child_who = authenticate(accounts, child["key"], secret=SECRET, source=None)
    assert not child_who.can(Permission.AUDIT_READ)
    with pytest.raises(PermissionDeniedError, match=r"cannot create a key with \['audit:read'\]"):
        keys.create_key(accounts, who, name="wider", scopes=["audit:read"])
    assert keys.create_key(accounts, who, name="narrower", scopes=["market:read"])["scopes"] == [
        "market:read"
    ]


def test_unknown_and_malformed_credentials(accounts: Store) -> None:
    key = user_with_key(accounts, "alice")
    forged = key[:-4] + "AAAA" if not key.endswith("AAAA") else key[:-4] + "BBBB"
    for bad in (forged, "oi_nothing", "garbage", "oi_abcdefgh_" + "x" * 43):
        with pytest.raises(CredentialsError) as err:
            authenticate(accounts, bad, secret=SECRET, source=None)
        assert bad not in str(err.value)


def test_login_issues_a_token_and_is_audited(accounts: Store) -> None:
    users.create_user(accounts, cli_identity(), "alice", password=PASSWORD)
    token = login(accounts, "alice", PASSWORD, secret=SECRET, source="10.1.1.1")
    assert verify_token(token, SECRET) == "alice"
    who = authenticate(accounts, token, secret=SECRET, source=None)
    assert (who.username, who.via, who.role) == ("alice", "token", Role.USER)
    [rec] = _audit(accounts, "login")
    assert rec["source"] == "10.1.1.1" and token not in str(rec)
    users.disable_user(accounts, cli_identity(), "alice")
    with pytest.raises(CredentialsError, match="disabled"):
        authenticate(accounts, token, secret=SECRET, source=None)


def test_brute_force_login_is_throttled(accounts: Store) -> None:
    users.create_user(accounts, cli_identity(), "alice", password=PASSWORD)
    for _ in range(FREE_FAILURES):
        with pytest.raises(CredentialsError) as err:
            login(accounts, "alice", "wrong password!", secret=SECRET, source="x")
        assert not isinstance(err.value, LoginThrottledError)
    with pytest.raises(LoginThrottledError) as err:  # even the right password is refused now
        login(accounts, "alice", PASSWORD, secret=SECRET, source="x")
    assert 25 <= err.value.retry_after <= 30
    actions = [r["action"] for r in _audit(accounts)]
    assert actions.count("login.failed") == FREE_FAILURES and actions[-1] == "login.throttled"
    assert users.get_user(accounts, "alice")["failed_logins"] == FREE_FAILURES


def test_lock_grows_and_is_capped() -> None:
    assert lock_duration(FREE_FAILURES - 1).total_seconds() == 0
    assert [lock_duration(FREE_FAILURES + i).total_seconds() for i in range(3)] == [30, 60, 120]
    assert lock_duration(100).total_seconds() == 900


def test_unknown_user_login_fails_the_same_way(accounts: Store) -> None:
    with pytest.raises(CredentialsError, match="wrong username or password"):
        login(accounts, "ghost", PASSWORD, secret=SECRET, source="x")
    assert _audit(accounts, "login.failed")[0]["target"] == "ghost"


def test_user_without_password_cannot_log_in(accounts: Store) -> None:
    users.create_user(accounts, cli_identity(), "robot")
    with pytest.raises(CredentialsError):
        login(accounts, "robot", PASSWORD, secret=SECRET, source=None)


def test_local_user_is_made_once(accounts: Store) -> None:
    a = users.ensure_local_user(accounts, cli_identity())
    b = users.ensure_local_user(accounts, cli_identity())
    assert a["username"] == b["username"] == "local"
    assert (a["role"], a["tier"]) == (Role.SUPER_ADMIN.value, Tier.INSTITUTIONAL.value)
    assert len(_audit(accounts, "user.create")) == 1


def test_signing_secret_file_is_private_and_stable(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    first = api_secret(tmp_path)
    assert api_secret(tmp_path) == first and len(first) >= 32
    assert stat.S_IMODE(os.stat(tmp_path / "api_secret").st_mode) == 0o600
    monkeypatch.setenv(ENV_VAR, "e" * 40)
    assert api_secret(tmp_path) == "e" * 40
    monkeypatch.setenv(ENV_VAR, "short")
    with pytest.raises(Exception, match="at least 32"):
        api_secret(tmp_path)


def test_token_expiry_is_short() -> None:
    import pandas as pd

    now = pd.Timestamp("2025-07-16 10:00", tz="UTC")
    assert access.token_expiry(now) - now == pd.Timedelta(minutes=15)


def test_prepare_login_makes_the_unknown_user_reference_hash_up_front() -> None:
    # The API calls it at start-up, so its first unknown-user login costs one Argon2 run
    # like every other login (no timing difference between known and unknown names).
    from optionsintel.auth import passwords
    from optionsintel.services.access import prepare_login

    passwords._dummy_hash.cache_clear()
    prepare_login()
    assert passwords._dummy_hash.cache_info().currsize == 1
