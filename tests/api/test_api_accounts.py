"""Keys and logins over HTTP: shown once, revoked at once, tokens, pagination, audit."""

from __future__ import annotations

import sqlalchemy as sa

from accounts_helpers import auth, user_with_key
from optionsintel.services import users
from optionsintel.services.identity import cli_identity
from optionsintel.services.quotas import RateLimiter

PASSWORD = "a long enough password"


def test_key_created_over_http_is_shown_once_then_revoked_at_once(client, accounts) -> None:
    mine = user_with_key(accounts, "alice")
    r = client.post("/api/v2/keys", json={"name": "script", "expires_in_days": 30},
                    headers=auth(mine))  # fmt: skip
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    new = r.json()
    assert new["key"].startswith(new["key_prefix"] + "_") and new["expires_at"].endswith("+05:30")
    listing = client.get("/api/v2/keys", headers=auth(mine))
    assert new["key"] not in listing.text and "key_hash" not in listing.text
    assert {k["key_prefix"] for k in listing.json()["items"]} >= {new["key_prefix"]}
    assert client.get("/api/v2/me", headers=auth(new["key"])).json()["username"] == "alice"
    gone = client.delete(f"/api/v2/keys/{new['key_prefix']}", headers=auth(mine))
    assert gone.status_code == 200 and gone.json()["status"] == "REVOKED"
    refused = client.get("/api/v2/me", headers=auth(new["key"]))
    assert refused.status_code == 401 and "revoked" in refused.json()["message"]


def test_bearer_header_carries_a_key_too(client, accounts) -> None:
    key = user_with_key(accounts, "alice")
    r = client.get("/api/v2/me", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200 and r.json()["via"] == "key"


def test_login_token_flow_and_disable(client, accounts) -> None:
    users.create_user(accounts, cli_identity(), "bob", role="ADMIN", password=PASSWORD)
    r = client.post("/api/v2/auth/login", json={"username": "bob", "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    me = client.get("/api/v2/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert (me["username"], me["via"], me["role"]) == ("bob", "token", "ADMIN")
    users.disable_user(accounts, cli_identity(), "bob")
    assert client.get("/api/v2/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    bad = client.post("/api/v2/auth/login", json={"username": "bob", "password": PASSWORD})
    assert bad.status_code == 401 and bad.json()["code"] == "unauthenticated"


def test_login_is_throttled_over_http(client, accounts) -> None:
    users.create_user(accounts, cli_identity(), "carol", password=PASSWORD)
    codes = [client.post("/api/v2/auth/login", json={"username": "carol", "password": "nope"})
             .status_code for _ in range(6)]  # fmt: skip
    assert codes == [401] * 5 + [429]
    r = client.post("/api/v2/auth/login", json={"username": "carol", "password": PASSWORD})
    assert r.status_code == 429 and r.json()["code"] == "login_throttled"
    assert 1 <= int(r.headers["retry-after"]) <= 30


def test_users_admin_endpoints_and_pagination(client, accounts) -> None:
    root = user_with_key(accounts, "root", "SUPER_ADMIN")
    for i in range(5):
        r = client.post("/api/v2/users", json={"username": f"u{i}", "tier": "PRO"},
                        headers=auth(root))  # fmt: skip
        assert r.status_code == 201 and r.json()["tier"] == "PRO"
    dup = client.post("/api/v2/users", json={"username": "u0"}, headers=auth(root))
    assert dup.status_code == 409 and dup.json()["code"] == "conflict"
    first = client.get("/api/v2/users?limit=4", headers=auth(root)).json()
    assert len(first["items"]) == 4 and first["next_offset"] == 4
    rest = client.get("/api/v2/users?limit=4&offset=4", headers=auth(root)).json()
    assert len(rest["items"]) == 2 and rest["next_offset"] is None
    names = [u["username"] for u in first["items"] + rest["items"]]
    assert names == sorted(names) and "password_hash" not in str(first)
    r = client.put("/api/v2/users/u1/role", json={"role": "ADMIN"}, headers=auth(root))
    assert r.json()["role"] == "ADMIN"
    assert client.put("/api/v2/users/ghost/role", json={"role": "ADMIN"},
                      headers=auth(root)).status_code == 404  # fmt: skip


def test_audit_log_over_http_names_actor_action_target_source(client, accounts) -> None:
    root = user_with_key(accounts, "root", "SUPER_ADMIN")
    client.post("/api/v2/users", json={"username": "dave"}, headers=auth(root))
    page = client.get("/api/v2/audit?action=user.create&actor=root", headers=auth(root)).json()
    [rec] = page["items"]
    assert (rec["actor"], rec["target"], rec["source"]) == ("root", "dave", "testclient")
    assert rec["ts"].endswith("+05:30")
    client.post("/api/v2/users", json={"username": "erin"}, headers=auth(root))
    by_object = client.get("/api/v2/audit?target=erin", headers=auth(root)).json()["items"]
    assert [(r["action"], r["target"]) for r in by_object] == [("user.create", "erin")]


def test_taken_email_is_a_conflict_not_a_crash(client, accounts) -> None:
    root = user_with_key(accounts, "root", "SUPER_ADMIN")
    first = {"username": "e1", "email": "same@example.com"}
    assert client.post("/api/v2/users", json=first, headers=auth(root)).status_code == 201
    again = {"username": "e2", "email": "same@example.com"}
    r = client.post("/api/v2/users", json=again, headers=auth(root))
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    assert client.get("/api/v2/users/e2", headers=auth(root)).status_code == 404


def test_login_attempts_are_limited_per_client_address(client, accounts) -> None:
    """Spraying many usernames from one address hits a token bucket, whatever the names."""
    client.app.state.ctx.limiter = RateLimiter(clock=lambda: 0.0)  # frozen: no refill
    codes = [client.post("/api/v2/auth/login", json={"username": f"who{i}", "password": "x"})
             .status_code for i in range(11)]  # fmt: skip
    assert codes == [401] * 10 + [429]


def test_expired_key_is_refused_and_last_use_is_listed(client, accounts) -> None:
    mine = user_with_key(accounts, "alice")
    new = client.post("/api/v2/keys", json={"name": "short", "expires_in_days": 1},
                      headers=auth(mine)).json()  # fmt: skip
    assert client.get("/api/v2/me", headers=auth(new["key"])).status_code == 200
    [listed] = [k for k in client.get("/api/v2/keys", headers=auth(mine)).json()["items"]
                if k["key_prefix"] == new["key_prefix"]]  # fmt: skip
    assert listed["last_used_at"] is not None and listed["last_used_at"].endswith("+05:30")
    with accounts.engine.begin() as conn:  # its day has passed
        conn.execute(sa.text("UPDATE api_keys SET expires_at = now() - interval '1 second' "
                             "WHERE key_prefix = :p"), {"p": new["key_prefix"]})  # fmt: skip
    refused = client.get("/api/v2/me", headers=auth(new["key"]))
    assert refused.status_code == 401 and "expired" in refused.json()["message"]
    assert new["key"] not in refused.text
