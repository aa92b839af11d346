"""Alert rules and the in-app feed over HTTP: ownership, allowance, test-send, audit."""

from __future__ import annotations

from accounts_helpers import auth, user_with_key
from optionsintel.services import alerts

RULE = {"name": "nifty-up", "symbols": ["NIFTY"],
        "condition": {"type": "PRICE", "op": "above", "value": 25000},
        "channels": [{"kind": "in_app"}]}  # fmt: skip


def test_rule_crud_is_the_library_record(client, accounts) -> None:
    key = user_with_key(accounts, "alice")
    r = client.post("/api/v2/alerts/rules", json={**RULE, "owner": "mallory"}, headers=auth(key))
    assert r.status_code == 201, r.text
    assert r.json()["definition"]["owner"] == "alice" and r.json()["status"] == "ACTIVE"
    assert alerts.get_rule(accounts, "alice", "nifty-up").condition.value == 25000
    dup = client.post("/api/v2/alerts/rules", json=RULE, headers=auth(key))
    assert dup.status_code == 409
    changed = {**RULE, "condition": {"type": "PRICE", "op": "below", "value": 24000}}
    r = client.put("/api/v2/alerts/rules/nifty-up", json=changed, headers=auth(key))
    assert r.status_code == 200 and r.json()["definition"]["condition"]["op"] == "below"
    assert client.post("/api/v2/alerts/rules/nifty-up/mute", headers=auth(key)).json()[
        "status"] == "MUTED"  # fmt: skip
    assert client.post("/api/v2/alerts/rules/nifty-up/unmute", headers=auth(key)).json()[
        "status"] == "ACTIVE"  # fmt: skip
    assert client.get("/api/v2/alerts/rules", headers=auth(key)).json()["total"] == 1
    assert client.delete("/api/v2/alerts/rules/nifty-up", headers=auth(key)).status_code == 204
    assert client.get("/api/v2/alerts/rules/nifty-up", headers=auth(key)).status_code == 404
    root = user_with_key(accounts, "root", "ADMIN")
    audit = client.get("/api/v2/audit?actor=alice", headers=auth(root)).json()["items"]
    actions = [a["action"] for a in audit]
    assert actions[::-1] == ["alert.create", "alert.update", "alert.mute", "alert.unmute",
                             "alert.delete"]  # fmt: skip


def test_invalid_rules_and_foreign_feeds_are_refused(client, accounts) -> None:
    key, _ = user_with_key(accounts, "alice"), user_with_key(accounts, "bob")
    bad = {**RULE, "condition": {"type": "PRICE", "op": "above", "value": -1}}
    r = client.post("/api/v2/alerts/rules", json=bad, headers=auth(key))
    assert r.status_code == 422 and set(r.json()) == {"code", "message", "details"}
    spy = {**RULE, "channels": [{"kind": "in_app", "user": "bob"}]}
    r = client.post("/api/v2/alerts/rules", json=spy, headers=auth(key))
    assert r.status_code == 403
    client.post("/api/v2/alerts/rules", json=RULE, headers=auth(key))
    bob = user_with_key(accounts, "bob2")
    assert client.get("/api/v2/alerts/rules/nifty-up", headers=auth(bob)).status_code == 404
    assert client.delete("/api/v2/alerts/rules/nifty-up", headers=auth(bob)).status_code == 404


def test_alert_allowance(client, accounts) -> None:
    key = user_with_key(accounts, "free", tier="FREE")
    for i in range(5):
        r = client.post("/api/v2/alerts/rules", json={**RULE, "name": f"r{i}"}, headers=auth(key))
        assert r.status_code == 201
    r = client.post("/api/v2/alerts/rules", json={**RULE, "name": "r5"}, headers=auth(key))
    assert r.status_code == 403 and r.json()["details"]["limit"] == "alerts"


def test_test_send_lands_in_the_feed_then_read(client, accounts) -> None:
    key = user_with_key(accounts, "alice")
    client.post("/api/v2/alerts/rules", json=RULE, headers=auth(key))
    sent = client.post("/api/v2/alerts/rules/nifty-up/test", headers=auth(key))
    assert sent.status_code == 200 and sent.json() == [
        {"kind": "in_app", "delivered": True, "status_code": None, "error": None}
    ]
    feed = client.get("/api/v2/alerts/notifications", headers=auth(key)).json()
    assert feed["unread"] == 1 and feed["items"][0]["rule_name"] == "test-send"
    item = feed["items"][0]["dedupe_key"]
    r = client.post(f"/api/v2/alerts/notifications/{item}/read", headers=auth(key))
    assert r.json()["changed"] is True
    assert client.get("/api/v2/alerts/notifications?unread=true",
                      headers=auth(key)).json()["total"] == 0  # fmt: skip
    other = user_with_key(accounts, "bob")
    assert client.post(f"/api/v2/alerts/notifications/{item}/read",
                       headers=auth(other)).status_code == 404  # fmt: skip
