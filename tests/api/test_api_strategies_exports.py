"""Strategy analysis and exports over HTTP, against the library's own numbers and files."""

from __future__ import annotations

import time

import pandas as pd

from accounts_helpers import auth, user_with_key
from optionsintel.services import market
from optionsintel.strategies import (
    LegSpec,
    analyse_strategy,
    build_strategy,
    chain_quotes,
    market_from_chain,
)

AT = "2025-07-17T11:00:00+05:30"


def _straddle_inputs(store):
    _, chain = market.chain(store, "NIFTY", at=pd.Timestamp(AT), provider="replay", expiry=None)
    expiry = sorted(e for e in chain["expiry"].unique() if pd.Timestamp(e).date() >
                    pd.Timestamp(AT).date())[0]  # fmt: skip
    spot = float(chain["underlying_price"].dropna().iloc[-1])
    strikes = chain.loc[chain["expiry"] == expiry, "strike"].unique()
    strike = float(min(strikes, key=lambda k: abs(k - spot)))
    return chain, pd.Timestamp(expiry).date(), strike


def test_analyse_equals_the_library_on_the_same_chain(client, accounts, demo_store) -> None:
    key = user_with_key(accounts, "trader")
    chain, expiry, strike = _straddle_inputs(demo_store)
    legs = [{"instrument": k, "side": "sell", "expiry": expiry.isoformat(), "strike": strike}
            for k in ("CE", "PE")]  # fmt: skip
    r = client.post("/api/v2/strategies/analyse",
                    json={"underlying": "NIFTY", "legs": legs, "as_of": AT, "provider": "replay"},
                    headers=auth(key))  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    when = pd.Timestamp(AT)
    specs = [LegSpec(k, "sell", expiry, strike) for k in ("CE", "PE")]
    strategy = build_strategy("NIFTY", specs, market_from_chain(chain, "NIFTY", when),
                              chain_quotes(chain, "NIFTY", when))  # fmt: skip
    expected = analyse_strategy(strategy)
    assert body["provider"] == "replay" and body["as_of"] == AT
    assert body["breakevens"]["prices"] == list(expected.breakevens.prices)
    assert body["pop"]["probability"] == expected.pop.probability
    assert body["profit_range"]["loss_unbounded"] is True
    assert body["profit_range"]["max_loss"] is None  # -inf is stated by the flag, not a number
    assert body["greeks"][-1]["leg"] == "net" and "ESTIMATE" in body["margin"]["label"]


def test_analyse_refuses_what_the_chain_cannot_price(client, accounts, demo_store) -> None:
    key = user_with_key(accounts, "trader")
    leg = {"instrument": "CE", "side": "buy", "expiry": "2031-01-01", "strike": 1.0}
    r = client.post("/api/v2/strategies/analyse", json={"underlying": "NIFTY", "legs": [leg],
                    "as_of": AT, "provider": "replay"}, headers=auth(key))  # fmt: skip
    assert r.status_code == 422 and r.json()["code"] == "invalid_input"
    fut = {"instrument": "FUT", "side": "buy", "expiry": "2025-07-31", "strike": 25000}
    r = client.post("/api/v2/strategies/analyse", json={"underlying": "NIFTY", "legs": [fut]},
                    headers=auth(key))  # fmt: skip
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"


def _wait(client, key, op_id, done=("SUCCEEDED", "FAILED", "CANCELLED")):
    for _ in range(200):
        op = client.get(f"/api/v2/exports/{op_id}", headers=auth(key)).json()
        if op["status"] in done:
            return op
        time.sleep(0.05)
    raise AssertionError(op)


def test_export_202_progress_download(client, accounts, demo_store) -> None:
    key = user_with_key(accounts, "analyst")
    r = client.post("/api/v2/exports", json={"dataset": "daily_ohlc", "provider": "synthetic",
                    "symbols": ["NIFTY"], "format": "csv"}, headers=auth(key))  # fmt: skip
    assert r.status_code == 202, r.text
    op_id = r.json()["operation_id"]
    assert r.headers["location"] == f"/api/v2/exports/{op_id}"
    op = _wait(client, key, op_id)
    assert op["status"] == "SUCCEEDED" and op["done_items"] == op["total_items"] > 0
    got = client.get(op["links"]["download"], headers=auth(key))
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    n_rows = sum(1 for line in got.text.splitlines() if line and not line.startswith("#")) - 1
    assert n_rows == op["total_items"]
    other = user_with_key(accounts, "other")
    assert client.get(f"/api/v2/exports/{op_id}", headers=auth(other)).status_code == 404
    root = user_with_key(accounts, "root", "ADMIN")
    audit = client.get("/api/v2/audit?actor=analyst", headers=auth(root)).json()["items"]
    assert audit[0]["action"] == "export.start" and audit[0]["target"] == op_id


def test_export_refuses_account_tables_and_unready_download(client, accounts, demo_store) -> None:
    key = user_with_key(accounts, "analyst")
    r = client.post("/api/v2/exports", json={"dataset": "api_keys"}, headers=auth(key))
    assert r.status_code == 422 and "cannot be exported" in r.json()["message"]
    r = client.post("/api/v2/exports", json={"dataset": "daily_ohlc"}, headers=auth(key))
    op = _wait(client, key, r.json()["operation_id"])
    assert op["status"] == "FAILED" and "provider" in op["error"]
    dl = client.get(f"/api/v2/exports/{op['operation_id']}/download", headers=auth(key))
    assert dl.status_code == 409 and dl.json()["code"] == "not_ready"
