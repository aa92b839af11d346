"""Watchlists over HTTP: the caller's own, sized by the tier, audited with the change."""

from __future__ import annotations

import pandas as pd
import pytest

from accounts_helpers import auth, user_with_key
from optionsintel.auth import TIER_QUOTAS, Tier
from optionsintel.services import watchlists
from scans.helpers import instruments_frame

SYMBOLS = [f"W{i:02d}" for i in range(30)]


@pytest.fixture
def known(accounts):
    accounts.write("instruments", instruments_frame(SYMBOLS))
    return accounts


def _audit(store, action: str) -> list[dict]:
    rows = store.read("audit_log", order_by=["ts", "event_id"]).to_dict("records")
    return [r for r in rows if r["action"] == action]


def test_save_read_list_delete_and_audit(client, known) -> None:
    key = user_with_key(known, "wendy")
    r = client.put("/api/v2/watchlists/banks", json={"symbols": ["w01", "W02", "NOSUCH"]},
                   headers=auth(key))  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "banks", "symbols": ["W01", "W02"], "size": 2,
                        "unknown": ["NOSUCH"]}  # fmt: skip
    assert watchlists.get_watchlist(known, "wendy", "banks").symbols == ["W01", "W02"]
    r = client.put("/api/v2/watchlists/banks", json={"symbols": ["W03"]}, headers=auth(key))
    assert r.json()["symbols"] == ["W03"]  # replaced, not merged
    client.put("/api/v2/watchlists/autos", json={"symbols": ["W04"]}, headers=auth(key))
    page = client.get("/api/v2/watchlists?limit=1", headers=auth(key)).json()
    assert [w["name"] for w in page["items"]] == ["autos"] and page["next_offset"] == 1
    assert page["total"] == 2
    got = client.get("/api/v2/watchlists/banks", headers=auth(key)).json()
    assert got == {"name": "banks", "symbols": ["W03"], "size": 1}
    assert client.delete("/api/v2/watchlists/banks", headers=auth(key)).status_code == 204
    assert client.get("/api/v2/watchlists/banks", headers=auth(key)).status_code == 404
    assert client.delete("/api/v2/watchlists/banks", headers=auth(key)).status_code == 404
    saves = _audit(known, "watchlist.save")
    assert [(a["actor"], a["target"], a["details"]) for a in saves] == [
        ("wendy", "banks", {"symbols": 2}), ("wendy", "banks", {"symbols": 1}),
        ("wendy", "autos", {"symbols": 1})]  # fmt: skip
    assert [a["target"] for a in _audit(known, "watchlist.delete")] == ["banks"]


def test_other_users_lists_are_not_found(client, known) -> None:
    alice, bob = user_with_key(known, "alice"), user_with_key(known, "bob")
    client.put("/api/v2/watchlists/mine", json={"symbols": ["W01"]}, headers=auth(alice))
    assert client.get("/api/v2/watchlists/mine", headers=auth(bob)).status_code == 404
    assert client.delete("/api/v2/watchlists/mine", headers=auth(bob)).status_code == 404
    assert client.get("/api/v2/watchlists", headers=auth(bob)).json()["items"] == []
    assert watchlists.get_watchlist(known, "alice", "mine").symbols == ["W01"]


def test_watchlist_size_of_the_tier_is_a_403_naming_the_limit(client, known) -> None:
    allowed = TIER_QUOTAS[Tier.FREE].watchlist_size
    assert allowed is not None and allowed < len(SYMBOLS)
    key = user_with_key(known, "frugal", tier="FREE")
    ok = client.put("/api/v2/watchlists/w", json={"symbols": SYMBOLS[:allowed]}, headers=auth(key))
    assert ok.status_code == 200 and ok.json()["size"] == allowed
    r = client.put("/api/v2/watchlists/w", json={"symbols": SYMBOLS[: allowed + 1]},
                   headers=auth(key))  # fmt: skip
    assert r.status_code == 403, r.text
    body = r.json()
    assert body["code"] == "quota_exceeded" and "retry-after" not in r.headers
    assert body["details"] == {"limit": "watchlist_size", "tier": "FREE", "allowed": allowed,
                               "used": allowed + 1, "resets_at": None}  # fmt: skip
    # the refused save changed nothing and left no audit record
    assert watchlists.get_watchlist(known, "frugal", "w").symbols == SYMBOLS[:allowed]
    assert len(_audit(known, "watchlist.save")) == 1
    # unknown symbols do not count against the size
    padded = [*SYMBOLS[:allowed], "NOSUCH1", "NOSUCH2"]
    assert client.put("/api/v2/watchlists/w", json={"symbols": padded},
                      headers=auth(key)).status_code == 200  # fmt: skip


def test_bad_names_and_symbols_are_422(client, known) -> None:
    key = user_with_key(known, "val")
    for url, body in (
        ("/api/v2/watchlists/%5Bbad%5D", {"symbols": ["W01"]}),
        ("/api/v2/watchlists/ok", {"symbols": ["W01'; DROP TABLE users;--"]}),
        ("/api/v2/watchlists/ok", {"symbols": "W01"}),
        ("/api/v2/watchlists/ok", {"symbols": ["W01"], "owner": "mallory"}),
    ):
        r = client.put(url, json=body, headers=auth(key))
        assert r.status_code == 422, (url, body, r.text)
        assert set(r.json()) == {"code", "message", "details"}
    assert watchlists.list_watchlists(known, owner="val") == []
    assert pd.DataFrame(_audit(known, "watchlist.save")).empty
