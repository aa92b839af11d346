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
    declared = r.json()

    def chunks():
        yield b'{"name": "'
        for _ in range(100):
            yield b"z" * 1024
        yield b'"}'

    r = client.post("/api/v2/keys", content=chunks(),
                    headers={**auth(key), "Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 413
    assert r.json() == declared  # one body, whether refused on Content-Length or streaming
    assert declared["details"] == {"max_bytes": 64 * 1024}
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


NUL_URLS = ["/api/v2/audit?action=%00", "/api/v2/audit?actor=a%00b",
            "/api/v2/patterns?limit=5&name=%00", "/api/v2/chains/NIF%00TY"]  # fmt: skip


@pytest.mark.parametrize("url", NUL_URLS)
def test_nul_characters_are_refused_before_any_handler(client, accounts, url) -> None:
    # PostgreSQL text cannot hold NUL: the fuzzer found GET /audit?action=%00 answering 500.
    key = user_with_key(accounts, "nadia", "SUPER_ADMIN")
    r = client.get(url, headers=auth(key))
    assert r.status_code == 422, (url, r.status_code, r.text)
    body = r.json()
    assert body["code"] == "invalid_request" and "NUL" in body["message"]
    assert set(body) == {"code", "message", "details"}


NUL_BODIES = [
    ("post", "/api/v2/auth/login", {"username": "u\u0000", "password": "p\u0000" * 12}),
    ("post", "/api/v2/patterns", {"pattern_id": "p", "name": "n", "rule": {"op": "\u0000"}}),
    ("post", "/api/v2/patterns/validate", {"rule": "RSI(14) < 30\u0000"}),
    ("post", "/api/v2/keys", {"name": "k\u0000"}),
    ("post", "/api/v2/alerts/rules", {"name": "a", "symbols": ["NIFTY"], "note": "\u0000",
                                      "channels": [{"kind": "in_app"}],
                                      "condition": {"type": "PRICE", "op": "above", "value": 1}}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "url", "body"), NUL_BODIES)
def test_nul_characters_in_bodies_are_refused(client, accounts, method, url, body) -> None:
    # A NUL in the login name reached PostgreSQL and answered 500 (found by hand, 2026-11).
    key = user_with_key(accounts, "nadia", "SUPER_ADMIN")
    r = client.request(method.upper(), url, json=body, headers=auth(key))
    assert r.status_code == 422, (url, r.status_code, r.text)
    assert r.json()["code"] == "invalid_request" and "NUL" in r.text
    assert "\\u0000" not in r.text  # the value is not echoed


HOSTILE_QUERIES = ["/api/v2/instruments?limit=-1", "/api/v2/instruments?limit=10&offset=-5",
                   "/api/v2/instruments?limit=1000000000000000000000",
                   "/api/v2/instruments?offset=99999999999999999999", "/api/v2/audit?limit=1.5",
                   "/api/v2/chains/NIFTY?at=2025-13-45", "/api/v2/chains/NIFTY?at=2025-02-30",
                   "/api/v2/chains/NIFTY?at=2025-07-16T10:00:00%2B99:00",
                   "/api/v2/chains/NIFTY?at=0001-01-01", "/api/v2/signals/NIFTY?start=NaN",
                   "/api/v2/bars/daily/NIFTY?start=1e309", "/api/v2/levels/NIFTY?day=-1",
                   "/api/v2/audit?start=not-a-date", "/api/v2/operations?limit=0",
                   "/api/v2/stream/chains/NIFTY?interval=-1"]  # fmt: skip


def test_bad_dates_and_paging_are_clean_422s(client, accounts) -> None:
    key = user_with_key(accounts, "otto", "SUPER_ADMIN")
    for url in HOSTILE_QUERIES:
        r = client.get(url, headers=auth(key))
        assert r.status_code == 422, (url, r.status_code, r.text)
        assert set(r.json()) == {"code", "message", "details"}, url


def test_errors_answered_by_the_middleware_are_the_handlers_body(client, accounts) -> None:
    key = user_with_key(accounts, "pia", "SUPER_ADMIN")
    nul = client.get("/api/v2/audit?action=%00", headers=auth(key))
    big = client.post("/api/v2/keys", content=b"{" + b" " * 70_000 + b"}",
                      headers={**auth(key), "Content-Type": "application/json"})  # fmt: skip
    for r in (nul, big):
        assert r.headers["content-type"] == "application/json"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert int(r.headers["content-length"]) == len(r.content)


def test_a_window_out_of_order_is_refused(client, accounts) -> None:
    key = user_with_key(accounts, "quinn")
    # the second pair mixes a naive (IST) and an aware instant: 06:30 UTC after 06:00 UTC
    for start, end in (("2030-01-01", "2020-01-01"),
                       ("2025-07-16T12:00:00", "2025-07-16T06:00:00+00:00")):  # fmt: skip
        r = client.post("/api/v2/exports", json={"dataset": "daily_ohlc", "start": start,
                        "end": end}, headers=auth(key))  # fmt: skip
        assert r.status_code == 422, r.text
        assert "start is after end" in r.text


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("depth", [100, 950])
def test_deeply_nested_bodies_are_refused(client, accounts, depth) -> None:
    # A saved strategy's rules nested 400 deep were stored, then answered 500 (the
    # response could not be serialised); 950 deep overflowed validation everywhere.
    key = user_with_key(accounts, "rex", "SUPER_ADMIN")
    nested = '{"a":' * depth + "1" + "}" * depth
    saved = ('{"name": "s", "underlying": "NIFTY", "legs": [{"instrument": "FUT", "side": "buy",'
             ' "expiry": "2025-07-31"}], "rules": ' + nested + "}")  # fmt: skip
    rule, alert = '{"rule": ' + nested + "}", '{"name": "n", "condition": ' + nested + "}"
    for url, body in (("/api/v2/strategies/saved", saved), ("/api/v2/patterns/validate", rule),
                      ("/api/v2/alerts/rules", alert)):  # fmt: skip
        r = client.post(url, content=body, headers={**auth(key), **JSON})
        assert r.status_code == 422, (url, r.status_code, r.text[:200])
        assert "nested at most" in r.text
    assert accounts.count("user_strategies") == 0
