"""Alert rules and the in-app feed over HTTP: ownership, allowance, test-send, audit."""

from __future__ import annotations

import json

import pandas as pd

from accounts_helpers import auth, user_with_key
from optionsintel.auth import Role, Tier
from optionsintel.services import alert_access, alerts
from optionsintel.services.identity import Identity

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


def _item(store, username: str, key: str, created_at=None) -> None:
    row = {"username": username, "dedupe_key": key, "owner": username, "rule_name": "r",
           "title": f"t-{key}", "body": "b", "payload": {}}  # fmt: skip
    if created_at is not None:
        row["created_at"] = created_at
    store.append("alert_feed", pd.DataFrame([row]))


def _events(text: str) -> list[tuple[str, str, dict]]:
    out = []
    for block in text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line
                     and not line.startswith(":"))  # fmt: skip
        if "event" in lines:
            out.append((lines["id"], lines["event"], json.loads(lines["data"])))
    return out


def test_notification_stream_sends_the_callers_new_items_in_order(client, accounts) -> None:
    key = user_with_key(accounts, "alice")
    user_with_key(accounts, "bob")
    start = pd.Timestamp.now(tz="UTC")
    for name in ("n1", "n2"):
        _item(accounts, "alice", name)
    _item(accounts, "bob", "not-yours")
    with client.stream("GET", "/api/v2/stream/notifications",
                       params={"since": start.isoformat(), "max_events": 2, "interval": 0.2},
                       headers=auth(key)) as r:  # fmt: skip
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = _events("".join(r.iter_text()))
    assert [(e[1], e[2]["dedupe_key"]) for e in events] == [("notification", "n1"),
                                                             ("notification", "n2")]  # fmt: skip
    assert all(e[0].endswith("+05:30") and e[0] == e[2]["created_at"] for e in events)
    # a reconnecting EventSource resumes at its last id (that instant's items come again)
    with client.stream("GET", "/api/v2/stream/notifications",
                       params={"max_events": 1, "interval": 0.2},
                       headers={**auth(key), "Last-Event-ID": events[1][0]}) as r:  # fmt: skip
        again = _events("".join(r.iter_text()))
    assert [e[2]["dedupe_key"] for e in again] == ["n2"]
    bad = client.get("/api/v2/stream/notifications",
                     headers={**auth(key), "Last-Event-ID": "yesterday"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"
    assert client.get("/api/v2/stream/notifications").status_code == 401


def test_feed_follower_hands_out_each_item_once_even_when_committed_late(accounts) -> None:
    me = Identity("carol", Role.USER, Tier.FREE, "key")
    _item(accounts, "carol", "old")
    follower = alert_access.FeedFollower(accounts, me, pd.Timestamp.now(tz="UTC"))
    assert follower.next_batch().empty  # what came before the start is the client's
    _item(accounts, "carol", "new")
    assert list(follower.next_batch()["dedupe_key"]) == ["new"]
    assert follower.next_batch().empty
    # stamped before the newest item handed out (its transaction began earlier), committed now
    late = follower.cursor - pd.Timedelta(seconds=5)
    _item(accounts, "carol", "late", created_at=late)
    assert list(follower.next_batch()["dedupe_key"]) == ["late"]
    assert follower.next_batch().empty


def test_feed_follower_is_not_stalled_by_a_burst_larger_than_a_batch(accounts, monkeypatch):
    monkeypatch.setattr(alert_access, "FEED_BATCH", 3)
    me = Identity("dina", Role.USER, Tier.FREE, "key")
    follower = alert_access.FeedFollower(accounts, me, pd.Timestamp.now(tz="UTC"))
    assert follower.next_batch().empty
    for k in range(5):  # a burst inside the slack window, more than a batch
        _item(accounts, "dina", f"b{k}")
    handed = list(follower.next_batch()["dedupe_key"])
    assert len(handed) == 3
    handed += list(follower.next_batch()["dedupe_key"])
    assert sorted(handed) == [f"b{k}" for k in range(5)]  # each once, none held back
    _item(accounts, "dina", "after")
    assert list(follower.next_batch()["dedupe_key"]) == ["after"]


def test_a_name_taken_by_a_concurrent_create_is_409_not_422(client, accounts, monkeypatch) -> None:
    key = user_with_key(accounts, "alice")
    assert client.post("/api/v2/alerts/rules", json=RULE, headers=auth(key)).status_code == 201
    # the other request checked the names before this one committed: the store refuses it
    monkeypatch.setattr(alert_access, "_rows", lambda store, owner: pd.DataFrame({"name": []}))
    dup = client.post("/api/v2/alerts/rules", json=RULE, headers=auth(key))
    assert dup.status_code == 409 and dup.json()["code"] == "conflict", dup.text
