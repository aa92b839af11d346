"""Patterns over HTTP: versions, ownership, validation, evaluation, quota and audit."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from accounts_helpers import auth, user_with_key
from optionsintel.auth import Tier
from optionsintel.services import patterns, quotas

RULE = "RSI(14) < 30"
RULE2 = "RSI(14) < 25"


def _create(client, key, pid="dip", rule=RULE):
    return client.post("/api/v2/patterns", json={"pattern_id": pid, "name": "Dip", "rule": rule},
                       headers=auth(key))  # fmt: skip


def test_crud_versions_and_audit(client, accounts) -> None:
    key = user_with_key(accounts, "alice")
    r = _create(client, key)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["owner"] == "alice" and body["latest"]["pin"] == "dip@1" and body["created"]
    same = client.post("/api/v2/patterns/dip/versions", json={"rule": RULE}, headers=auth(key))
    assert same.status_code == 200 and same.json()["created"] is False
    nxt = client.post("/api/v2/patterns/dip/versions", json={"rule": RULE2, "note": "tighter"},
                      headers=auth(key))  # fmt: skip
    assert nxt.status_code == 201 and nxt.json()["latest"]["pin"] == "dip@2"
    versions = client.get("/api/v2/patterns/dip/versions", headers=auth(key)).json()
    assert [v["version"] for v in versions] == [1, 2] and versions[1]["note"] == "tighter"
    v1 = client.get("/api/v2/patterns/dip/versions/1", headers=auth(key)).json()
    assert v1["text"] == patterns.load_pinned(accounts, "dip@1")[0].text  # the library's record
    assert client.get("/api/v2/patterns", headers=auth(key)).json()["total"] == 1
    gone = client.delete("/api/v2/patterns/dip", headers=auth(key))
    assert gone.status_code == 200 and gone.json()["archived"] is True
    assert client.get("/api/v2/patterns", headers=auth(key)).json()["total"] == 0
    assert client.get("/api/v2/patterns/dip/versions/1", headers=auth(key)).status_code == 200
    root = user_with_key(accounts, "root", "ADMIN")
    audit = client.get("/api/v2/audit?actor=alice", headers=auth(root)).json()["items"]
    assert [(a["action"], a["target"]) for a in audit][::-1] == [
        ("pattern.create", "dip@1"),
        ("pattern.version", "dip@2"),
        ("pattern.archive", "dip"),
    ]


def test_other_users_patterns_are_invisible_and_ids_unique(client, accounts) -> None:
    alice, bob = user_with_key(accounts, "alice"), user_with_key(accounts, "bob")
    assert _create(client, alice).status_code == 201
    for method, url in (("GET", "/api/v2/patterns/dip"), ("DELETE", "/api/v2/patterns/dip"),
                        ("GET", "/api/v2/patterns/dip/versions")):  # fmt: skip
        r = client.request(method, url, headers=auth(bob))
        assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert client.get("/api/v2/patterns", headers=auth(bob)).json()["items"] == []
    taken = _create(client, bob)
    assert taken.status_code == 409 and taken.json()["code"] == "conflict"
    r = client.post("/api/v2/patterns/evaluate", json={"pin": "dip@1"}, headers=auth(bob))
    assert r.status_code == 404


def test_validate_reports_every_error_and_invalid_save_stores_nothing(client, accounts) -> None:
    key = user_with_key(accounts, "carol")
    ok = client.post("/api/v2/patterns/validate", json={"rule": "rsi(14) < 30"},
                     headers=auth(key)).json()  # fmt: skip
    assert ok["valid"] and ok["text"] == RULE and ok["definition"]["condition"]
    bad = client.post("/api/v2/patterns/validate", json={"rule": "RSI(14) <"}, headers=auth(key))
    assert bad.status_code == 200 and not bad.json()["valid"] and bad.json()["errors"]
    r = _create(client, key, rule="RSI(14) <<< 3")
    assert r.status_code == 422 and r.json()["code"] == "invalid_rule"
    assert r.json()["details"]["errors"][0]["path"].startswith("line 1")
    assert client.get("/api/v2/patterns", headers=auth(key)).json()["total"] == 0


def test_pattern_allowance_of_the_tier(client, accounts, monkeypatch) -> None:
    # the FREE rate (5/s, burst 10) would answer the 11th quick request 429 before the
    # pattern allowance is reached: this test is about the allowance, so the rate is lifted
    quick = dict(quotas.TIER_QUOTAS)
    quick[Tier.FREE] = replace(quick[Tier.FREE], requests_per_second=1_000, burst=1_000)
    monkeypatch.setattr(quotas, "TIER_QUOTAS", quick)
    key = user_with_key(accounts, "free", tier="FREE")
    for i in range(10):
        assert _create(client, key, pid=f"p{i}").status_code == 201
    r = _create(client, key, pid="p10")
    assert r.status_code == 403 and r.json()["code"] == "quota_exceeded"
    assert r.json()["details"]["limit"] == "patterns" and r.json()["details"]["allowed"] == 10


def test_evaluate_matches_the_library(client, accounts, demo_store) -> None:
    key = user_with_key(accounts, "quant")
    rule = "CLOSE > SMA(5)"
    r = client.post("/api/v2/patterns/evaluate",
                    json={"rule": rule, "provider": "synthetic"}, headers=auth(key))  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    expected = patterns.evaluate_pattern(demo_store, rule, provider="synthetic")
    assert body["provider"] == "synthetic"
    assert body["matches"] == [str(s) for s in expected.result.matching_symbols()]
    # a daily bar is a date, not UTC midnight shown as an instant
    assert body["bar"] == pd.Timestamp(expected.result.index[-1]).date().isoformat()
    assert _create(client, key, pid="trend", rule=rule).status_code == 201
    pinned = client.post("/api/v2/patterns/trend/evaluate?provider=synthetic", headers=auth(key))
    assert pinned.status_code == 200 and pinned.json()["pin"] == "trend@1"
    assert pinned.json()["matches"] == body["matches"]
