"""The pure identity domain: matrix, passwords, keys, tokens, tiers."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optionsintel.auth import (
    ROLE_PERMISSIONS,
    TIER_QUOTAS,
    Permission,
    Role,
    Tier,
    allows,
    generate_api_key,
    hash_password,
    issue_token,
    key_matches,
    key_prefix,
    parse_role,
    parse_scopes,
    verify_password,
    verify_token,
)
from optionsintel.errors import CredentialsError, InputError

SECRET = "s" * 43
P = Permission


def test_matrix_is_the_seeds() -> None:
    own = {P.MARKET_READ, P.OWN_PATTERNS, P.OWN_ALERTS, P.OWN_STRATEGIES, P.OWN_KEYS}
    admin = {P.USERS_READ, P.SYSTEM_METRICS, P.AUDIT_READ}
    superadmin = {P.USERS_MANAGE, P.KEYS_MANAGE, P.SYSTEM_CONFIGURE}
    assert ROLE_PERMISSIONS[Role.USER] == own
    assert ROLE_PERMISSIONS[Role.ADMIN] == own | admin
    assert ROLE_PERMISSIONS[Role.SUPER_ADMIN] == own | admin | superadmin == set(Permission)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("perm", list(Permission))
def test_scopes_only_narrow(role: Role, perm: Permission) -> None:
    assert allows(role, perm, frozenset(Permission)) == allows(role, perm)
    assert not allows(role, perm, frozenset())
    assert allows(role, perm, frozenset({perm})) == (perm in ROLE_PERMISSIONS[role])


def test_parsing_refuses_unknown_names() -> None:
    assert parse_role("super_admin") is Role.SUPER_ADMIN
    with pytest.raises(InputError, match="unknown role 'ROOT'"):
        parse_role("ROOT")
    with pytest.raises(InputError, match="unknown scope"):
        parse_scopes(["market:read", "everything"])


def test_password_hash_is_argon2id_salted_and_verifies() -> None:
    pw = "correct horse battery staple"
    h1, h2 = hash_password(pw), hash_password(pw)
    assert h1.startswith("$argon2id$") and h1 != h2 and pw not in h1
    assert verify_password(h1, pw) and verify_password(h2, pw)
    assert not verify_password(h1, pw + "!")
    assert not verify_password(None, pw)
    assert not verify_password("not-a-hash", pw)


def test_password_policy() -> None:
    with pytest.raises(InputError, match="12 to 256") as err:
        hash_password("short")
    assert "short" not in str(err.value)
    assert not verify_password(hash_password("x" * 12), "x" * 10_000)


def test_api_key_shape_prefix_and_hash() -> None:
    new = generate_api_key()
    assert new.key.startswith(new.prefix + "_") and len(new.prefix) == 11
    assert key_prefix(new.key) == new.prefix
    assert new.key_hash == hashlib.sha256(new.key.encode()).hexdigest()
    assert key_matches(new.key, new.key_hash)
    assert not key_matches(new.key[:-1] + ("A" if new.key[-1] != "A" else "B"), new.key_hash)
    assert new.key not in repr(new)
    assert len({generate_api_key().key for _ in range(200)}) == 200


@settings(max_examples=200)
@given(st.text(max_size=80))
def test_malformed_keys_have_no_prefix(text: str) -> None:
    if not text.startswith("oi_") or len(text) != 55:
        assert key_prefix(text) is None


def test_token_round_trip_and_refusals() -> None:
    token = issue_token("alice", SECRET)
    assert verify_token(token, SECRET) == "alice"
    with pytest.raises(CredentialsError, match="neither"):
        verify_token(token, SECRET + "x")
    with pytest.raises(CredentialsError, match="expired"):
        past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        verify_token(issue_token("alice", SECRET, now=past), SECRET)
    forged = jwt.encode({"sub": "alice", "iss": "optionsintel", "typ": "login"}, None,
                        algorithm="none")  # fmt: skip
    with pytest.raises(CredentialsError):
        verify_token(forged, SECRET)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    with pytest.raises(CredentialsError):
        verify_token(tampered, SECRET)


def test_tiers_grow_from_free_to_institutional() -> None:
    def cap(v: int | None) -> float:
        return float("inf") if v is None else v

    order = [Tier.FREE, Tier.PRO, Tier.VIP, Tier.INSTITUTIONAL]
    fields = ("api_calls_per_day", "alerts", "patterns", "watchlist_size", "backtests_per_day",
              "requests_per_second", "burst")  # fmt: skip
    for lo, hi in itertools.pairwise(order):
        for f in fields:
            assert cap(getattr(TIER_QUOTAS[lo], f)) <= cap(getattr(TIER_QUOTAS[hi], f)), (lo, f)
