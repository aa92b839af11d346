"""Secrets stay secret; hostile input is refused cleanly; CORS is closed; errors are uniform."""

from __future__ import annotations

import logging

import pytest

from accounts_helpers import auth, user_with_key
from optionsintel.services import users
from optionsintel.services.identity import cli_identity

PASSWORD = "a long enough password"
INJECTIONS = ["NIFTY' OR '1'='1", "NIFTY; DROP TABLE users;--", "x\" OR 1=1 --",
              "'; SELECT pg_sleep(5);--", "NIFTY%00", "../../etc/passwd"]  # fmt: skip


def test_secrets_never_in_logs_or_responses(client, accounts, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    users.create_user(accounts, cli_identity(), "erin", role="SUPER_ADMIN", password=PASSWORD)
    login = client.post("/api/v2/auth/login", json={"username": "erin", "password": PASSWORD})
    token = login.json()["token"]
    made = client.post("/api/v2/keys", json={"name": "k"},
                       headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
    key = made["key"]
    client.post("/api/v2/auth/login", json={"username": "erin", "password": PASSWORD + "x"})
    client.get("/api/v2/me", headers=auth(key[:-3] + "abc"))
    texts = [client.get(p, headers=auth(key)).text
             for p in ("/api/v2/keys?everyone=true", "/api/v2/users", "/api/v2/audit",
                       "/api/v2/me", "/api/v2/system/config")]  # fmt: skip
    for secret in (PASSWORD, key, token, key.split("_", 2)[2]):
        assert secret not in caplog.text
        for t in texts:
            assert secret not in t
    assert "$argon2" not in "".join(texts) and "key_hash" not in "".join(texts)


@pytest.mark.parametrize("bad", INJECTIONS)
def test_injection_strings_are_refused_not_run(client, accounts, bad) -> None:
    key = user_with_key(accounts, "frank", "SUPER_ADMIN")
    for url in (f"/api/v2/chains/{bad}", f"/api/v2/bars/daily/{bad}",
                f"/api/v2/users/{bad}", f"/api/v2/keys/{bad}"):  # fmt: skip
        r = (
            client.get(url, headers=auth(key))
            if "keys" not in url
            else client.delete(url, headers=auth(key))
        )
        assert r.status_code in (404, 405, 422), (url, r.status_code, r.text)
    r = client.get("/api/v2/signals/NIFTY", params={"provider": bad}, headers=auth(key))
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    r = client.post("/api/v2/auth/login", json={"username": bad, "password": bad + "x" * 12})
    assert r.status_code == 401
    r = client.post("/api/v2/users", json={"username": bad}, headers=auth(key))
    assert r.status_code == 422
    assert client.get("/api/v2/users", headers=auth(key)).json()["items"][0]["username"] == "frank"


def test_oversized_payloads_are_refused(client, accounts) -> None:
    key = user_with_key(accounts, "gina", "SUPER_ADMIN")
    big = {"username": "x" * 10, "display_name": "y" * 100_000}
    r = client.post("/api/v2/users", json=big, headers=auth(key))
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"

    def chunks():
        yield b'{"name": "'
        for _ in range(100):
            yield b"z" * 1024
        yield b'"}'

    r = client.post("/api/v2/keys", content=chunks(),
                    headers={**auth(key), "Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 413
    long_field = client.post("/api/v2/keys", json={"name": "n" * 81}, headers=auth(key))
    assert long_field.status_code == 422


def test_cors_is_closed_by_default(client, accounts) -> None:
    key = user_with_key(accounts, "hal")
    hdrs = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    pre = client.options("/api/v2/me", headers=hdrs)
    assert "access-control-allow-origin" not in pre.headers
    r = client.get("/api/v2/me", headers={**auth(key), "Origin": "https://evil.example"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


def test_error_bodies_are_uniform(client, accounts) -> None:
    key = user_with_key(accounts, "ivy")
    for r, status in ((client.get("/api/v2/nowhere", headers=auth(key)), 404),
                      (client.patch("/api/v2/me", headers=auth(key)), 405),
                      (client.get("/api/v2/instruments?limit=0", headers=auth(key)), 422),
                      (client.get("/api/v2/chains/NIFTY?at=3000-01-01", headers=auth(key)), 422),
                      (client.get("/api/v2/chains/NOSUCH", headers=auth(key)), 404)):  # fmt: skip
        assert r.status_code == status, r.text
        assert set(r.json()) == {"code", "message", "details"}


def test_validation_errors_do_not_echo_values(client) -> None:
    r = client.post("/api/v2/auth/login", json={"username": "", "password": "hunter2-secret"})
    assert r.status_code == 422 and "hunter2-secret" not in r.text
