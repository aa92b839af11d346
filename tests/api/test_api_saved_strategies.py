"""Saved strategies over HTTP: insert-only versions, owner-scoped, audited, bad input refused."""

from __future__ import annotations

from urllib.parse import quote

from accounts_helpers import auth, user_with_key
from optionsintel.store.accounts import read_audit_log
from optionsintel.store.strategies import read_user_strategy

URL = "/api/v2/strategies/saved"
LEGS = [{"instrument": "CE", "side": "sell", "expiry": "2025-07-31", "strike": 25000,
         "lots": 1, "lot_size": 75, "premium": 120.5, "iv": 0.12},
        {"instrument": "PE", "side": "sell", "expiry": "2025-07-31", "strike": 25000}]  # fmt: skip
BODY = {"name": "short straddle", "underlying": "NIFTY", "legs": LEGS,
        "rules": {"exit": {"stop_loss": 0.5}}, "note": "first"}  # fmt: skip


def test_save_versions_and_read_back(client, accounts) -> None:
    key = user_with_key(accounts, "alice")
    first = client.post(URL, json=BODY, headers=auth(key))
    assert first.status_code == 201, first.text
    doc = first.json()
    assert (doc["pin"], doc["version"], doc["stored"]) == ("alice/short straddle@1", 1, True)
    assert doc["legs"][0]["strike"] == 25000 and doc["created_at"].endswith("+05:30")
    same = client.post(URL, json=BODY, headers=auth(key))  # unchanged: nothing stored
    assert same.status_code == 200 and same.json()["version"] == 1 and not same.json()["stored"]
    changed = {**BODY, "legs": LEGS[:1], "note": "calls only"}
    assert client.post(URL, json=changed, headers=auth(key)).json()["version"] == 2
    name = quote(BODY["name"])
    versions = client.get(f"{URL}/{name}/versions", headers=auth(key)).json()
    assert [v["version"] for v in versions] == [1, 2] and len(versions[0]["legs"]) == 2
    assert client.get(f"{URL}/{name}", headers=auth(key)).json()["note"] == "calls only"
    one = client.get(f"{URL}/{name}/versions/1", headers=auth(key)).json()
    assert one["rules"] == {"exit": {"stop_loss": 0.5}} and one["note"] == "first"
    page = client.get(URL, headers=auth(key)).json()
    assert page["total"] == 1 and page["items"][0]["version"] == 2
    # the very rows the strategy builder and backtests read
    assert read_user_strategy(accounts, "alice", "short straddle", 1).legs[1]["instrument"] == "PE"


def test_saves_are_audited_in_their_transaction(client, accounts) -> None:
    key = user_with_key(accounts, "alice")
    client.post(URL, json=BODY, headers=auth(key))
    client.post(URL, json=BODY, headers=auth(key))  # unchanged: no second record
    found = read_audit_log(accounts, limit=10, action="strategy.save")
    assert [(r["actor"], r["target"]) for r in found] == [("alice", "alice/short straddle@1")]
    assert found[0]["details"]["legs"] == 2 and found[0]["source"] == "testclient"


def test_strategies_of_others_are_not_found(client, accounts) -> None:
    alice, bob = user_with_key(accounts, "alice"), user_with_key(accounts, "bob")
    client.post(URL, json=BODY, headers=auth(alice))
    name = quote(BODY["name"])
    for path in (f"{URL}/{name}", f"{URL}/{name}/versions", f"{URL}/{name}/versions/1"):
        r = client.get(path, headers=auth(bob))
        assert r.status_code == 404 and "alice" not in r.text, (path, r.text)
    assert client.get(URL, headers=auth(bob)).json()["items"] == []
    assert client.get(f"{URL}/{name}/versions/9", headers=auth(alice)).status_code == 404


def test_bad_input_is_refused_and_stores_nothing(client, accounts) -> None:
    key = user_with_key(accounts, "alice")
    bad = [
        {**BODY, "name": "x'; drop table"},
        {**BODY, "legs": []},
        {**BODY, "legs": [{**LEGS[0], "strike": None}]},
        {
            **BODY,
            "legs": [{"instrument": "FUT", "side": "buy", "expiry": "2025-07-31", "strike": 100}],
        },
        {**BODY, "rules": {"x": "nul\u0000"}},
        {**BODY, "note": "a" * 501},
        {**BODY, "rules": {"x": "y" * 20_000}},
        {**BODY, "unknown": 1},
    ]
    for body in bad:
        r = client.post(URL, json=body, headers=auth(key))
        assert r.status_code == 422 and r.json()["code"], (body, r.text)
    r = client.post(URL, content=b'{"name": "n", "underlying": "NIFTY", "legs": [], '
                    b'"rules": {"x": NaN}}', headers={**auth(key), "content-type":
                    "application/json"})  # fmt: skip
    assert r.status_code == 422
    assert client.get(URL, headers=auth(key)).json()["total"] == 0
