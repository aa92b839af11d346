"""Scans, backtests and bulk operations over HTTP: 202 + operation id, progress, results."""

from __future__ import annotations

import time

from accounts_helpers import auth, user_with_key
from optionsintel.auth import Role, Tier
from optionsintel.services import backtests, bulk, pattern_access, scans
from optionsintel.services.identity import Identity


def _wait(client, key, location):
    for _ in range(600):
        op = client.get(location, headers=auth(key)).json()
        if op["finished"]:
            return op
        time.sleep(0.1)
    raise AssertionError(op)


def test_scan_then_backtest_through_the_library(client, accounts, demo_store) -> None:
    key = user_with_key(accounts, "quant")
    me = Identity("quant", Role.USER, Tier.INSTITUTIONAL, "key")
    pattern_access.create(accounts, me, "trend", "CLOSE > SMA(5)", name="trend")
    r = client.post("/api/v2/scans", json={"universe": "equity", "patterns": ["trend@1"],
                    "provider": "synthetic"}, headers=auth(key))  # fmt: skip
    assert r.status_code == 202, r.text
    op = _wait(client, key, r.headers["location"])
    assert op["status"] == "SUCCEEDED" and op["done"] == op["total"] > 0, op
    page = client.get(op["links"]["results"], headers=auth(key)).json()
    stored = scans.read_scan_results(demo_store, op["operation_id"])
    assert page["total"] == len(stored)
    assert [row["symbol"] for row in page["items"]] == list(stored["symbol"][: len(page["items"])])
    symbols = sorted(stored["symbol"])[:2] or ["NIFTY"]
    r = client.post("/api/v2/backtests", json={"source": {"type": "pattern", "entry": "trend@1"},
                    "symbols": symbols, "provider": "synthetic"}, headers=auth(key))  # fmt: skip
    assert r.status_code == 202, r.text
    done = _wait(client, key, r.headers["location"])
    assert done["status"] == "SUCCEEDED", done
    run = client.get(done["links"]["run"], headers=auth(key)).json()
    expected = backtests.read_run(demo_store, done["summary"]["run_id"]).record
    assert run["pattern_versions"] == ["trend@1"] and run["provider"] == "synthetic"
    assert run["metrics"]["n_trades"] == expected.metrics["n_trades"]
    listed = client.get("/api/v2/backtests/runs", headers=auth(key)).json()["items"]
    assert [x["run_id"] for x in listed] == [run["run_id"]]
    kinds = {o["kind"] for o in client.get("/api/v2/operations",
                                           headers=auth(key)).json()["items"]}  # fmt: skip
    assert kinds == {"scan", "backtest"}


def test_bad_specs_are_422_and_foreign_pins_404(client, accounts) -> None:
    key = user_with_key(accounts, "quant")
    user_with_key(accounts, "other")
    them = Identity("other", Role.USER, Tier.INSTITUTIONAL, "key")
    pattern_access.create(accounts, them, "theirs", "RSI(14) < 30", name="t")
    bad = client.post("/api/v2/scans", json={"universe": "nowhere:x"}, headers=auth(key))
    assert bad.status_code == 422 and set(bad.json()) == {"code", "message", "details"}
    foreign = client.post("/api/v2/scans", json={"universe": "equity", "patterns": ["theirs@1"]},
                          headers=auth(key))  # fmt: skip
    assert foreign.status_code == 404
    r = client.post("/api/v2/backtests", json={"source": {"type": "signal", "signal_type": "NOPE"},
                    "symbols": ["INFY"], "provider": "synthetic"}, headers=auth(key))  # fmt: skip
    assert r.status_code == 422
    r = client.post("/api/v2/backtests", json={"source": {"type": "signal",
                    "signal_type": "CALL_BUILDUP"}, "symbols": ["INFY"], "provider": "synthetic",
                    "settings": {"leverage": 99}}, headers=auth(key))  # fmt: skip
    assert r.status_code == 422 and "unknown backtest settings" in r.json()["message"]
    r = client.post("/api/v2/backtests", json={"source": {"type": "signal",
                    "signal_type": "CALL_BUILDUP"}, "symbols": ["INFY"], "provider": "synthetic",
                    "start": "2025-06-01", "end": "2025-01-01"}, headers=auth(key))  # fmt: skip
    assert r.status_code == 422 and "after end" in r.text  # refused at once, no operation
    assert client.get("/api/v2/operations", headers=auth(key)).json()["items"] == []


def test_cancel_and_ownership_of_operations(client, accounts) -> None:
    key, other = user_with_key(accounts, "quant"), user_with_key(accounts, "other")
    op = bulk.BulkOperation.start(accounts, "scan", ["A", "B"], requested_by="quant")
    url = f"/api/v2/operations/{op.operation_id}"
    assert client.get(url, headers=auth(other)).status_code == 404
    assert client.post(f"{url}/cancel", headers=auth(other)).status_code == 404
    r = client.post(f"{url}/cancel", headers=auth(key))
    assert r.status_code == 200 and r.json()["status"] == "CANCELLED" and r.json()["finished"]
    again = client.post(f"{url}/cancel", headers=auth(key))
    assert again.status_code == 200 and again.json()["status"] == "CANCELLED"
    audit = accounts.read("audit_log")
    cancels = audit[audit["action"] == "operation.cancel"]  # the change only, not the no-op
    assert list(cancels["target"]) == [op.operation_id] and list(cancels["actor"]) == ["quant"]
    assert client.get(f"{url}/errors", headers=auth(key)).json() == []
    bulk.BulkOperation.start(accounts, "scan", ["C"], requested_by="quant")
    first = client.get("/api/v2/operations?limit=1", headers=auth(key)).json()
    rest = client.get("/api/v2/operations?limit=1&offset=1", headers=auth(key)).json()
    assert (len(first["items"]), first["next_offset"], rest["next_offset"]) == (1, 1, None)
    assert rest["items"][0]["operation_id"] == op.operation_id  # newest first
    bulk.BulkOperation.start(accounts, "scan", ["D"], requested_by="other")  # newer, not mine
    first = client.get("/api/v2/operations?limit=1", headers=auth(key)).json()
    rest = client.get("/api/v2/operations?limit=1&offset=1", headers=auth(key)).json()
    assert (first["next_offset"], rest["next_offset"]) == (1, None)  # pages of mine only
    assert rest["items"][0]["operation_id"] == op.operation_id


def test_backtests_per_day_of_the_tier(client, accounts) -> None:
    key = user_with_key(accounts, "free", tier="FREE")
    for _ in range(5):
        bulk.BulkOperation.start(accounts, "backtest", ["run"], requested_by="free")
    r = client.post("/api/v2/backtests", json={"source": {"type": "signal",
                    "signal_type": "CALL_BUILDUP"}, "symbols": ["INFY"], "provider": "synthetic"},
                    headers=auth(key))  # fmt: skip
    assert r.status_code == 429 and r.json()["details"]["limit"] == "backtests_per_day"
    assert int(r.headers["retry-after"]) >= 1


def test_a_scan_reads_only_the_callers_own_watchlists(client, accounts, demo_store) -> None:
    from optionsintel.services import watchlists

    key = user_with_key(accounts, "quant")
    user_with_key(accounts, "other")
    watchlists.create_watchlist(accounts, "other", "secret", ["NIFTY"])
    watchlists.create_watchlist(accounts, "quant", "mine", ["NIFTY"])
    body = {"detectors": ["CALL_BUILDUP:0.7"], "provider": "synthetic"}
    theirs = client.post("/api/v2/scans", json={**body, "universe": "watchlist:other/secret"},
                         headers=auth(key))  # fmt: skip
    missing = client.post("/api/v2/scans", json={**body, "universe": "watchlist:other/none"},
                          headers=auth(key))  # fmt: skip
    # another's list answers like a missing one (it was scanned: its size, symbols, existence)
    assert theirs.status_code == missing.status_code == 422, theirs.text
    assert theirs.json()["message"] == "no watchlist 'secret' of 'other'"
    own = client.post("/api/v2/scans", json={**body, "universe": "watchlist:quant/mine"},
                      headers=auth(key))  # fmt: skip
    assert own.status_code == 202, own.text
    _wait(client, key, own.headers["location"])
