"""Market reads over HTTP: the provider is named, instants carry offsets, SSE pushes chains."""

from __future__ import annotations

import json

import pandas as pd

from accounts_helpers import auth, user_with_key
from optionsintel.store.reads import read_chain_as_of

AT = "2025-07-17T11:00:00+05:30"


def test_chain_as_of_matches_the_read_layer(client, accounts, demo_store) -> None:
    key = user_with_key(accounts, "quant")
    r = client.get("/api/v2/chains/NIFTY", params={"at": AT, "provider": "replay"},
                   headers=auth(key))  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    expected = read_chain_as_of(demo_store, "NIFTY", AT, provider="replay")
    assert body["provider"] == "replay" and len(body["rows"]) == len(expected)
    assert pd.Timestamp(body["snapshot_ts"]) == expected["snapshot_ts"].max()
    assert body["snapshot_ts"].endswith("+05:30") and pd.Timestamp(body["snapshot_ts"]) <= \
        pd.Timestamp(AT)  # fmt: skip
    assert {row["provider"] for row in body["rows"]} == {"replay"}
    got = [row["oi"] for row in body["rows"]]
    assert got == [None if pd.isna(v) else v for v in expected["oi"]]


def test_naive_instant_is_ist_and_summary_has_figures(client, accounts, demo_store) -> None:
    key = user_with_key(accounts, "quant")
    a = client.get("/api/v2/chains/NIFTY/summary", params={"at": "2025-07-17T11:00:00",
                   "provider": "replay"}, headers=auth(key)).json()  # fmt: skip
    b = client.get("/api/v2/chains/NIFTY/summary", params={"at": AT, "provider": "replay"},
                   headers=auth(key)).json()  # fmt: skip
    assert a == b and a["rows"] and {"pcr_oi", "max_pain", "atm_iv"} <= set(a["rows"][0])


def test_provider_is_never_mixed(client, accounts, demo_store) -> None:
    key = user_with_key(accounts, "quant")
    syn = client.get("/api/v2/bars/daily/NIFTY", params={"provider": "synthetic"},
                     headers=auth(key)).json()  # fmt: skip
    assert syn["provider"] == "synthetic" and {r["provider"] for r in syn["items"]} == {"synthetic"}
    none = client.get("/api/v2/chains/NIFTY", params={"at": AT, "provider": "nobody"},
                      headers=auth(key))  # fmt: skip
    assert none.status_code == 404


def test_sse_stream_sends_the_latest_chain(client, accounts, demo_store) -> None:
    key = user_with_key(accounts, "quant")
    with client.stream("GET", "/api/v2/stream/chains/NIFTY",
                       params={"provider": "replay", "max_events": 1, "interval": 0.2},
                       headers=auth(key)) as r:  # fmt: skip
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    event = next(line for line in text.splitlines() if line.startswith("data: "))
    data = json.loads(event[len("data: ") :])
    assert "event: chain" in text and data["provider"] == "replay"
    assert data["snapshot_ts"] == "2025-07-17T15:30:00+05:30" and data["rows"]


def test_chain_cache_serves_new_rows_at_once(client, accounts, clean_store, nifty_0717) -> None:
    """A cached as-of answer is reused only while the rows of its window are unchanged."""
    from optionsintel.store.chain_version import read_chain_version

    store, chain = clean_store, nifty_0717.chain
    store.write("option_chain_snapshots", chain)
    at = chain["snapshot_ts"].max()
    key = user_with_key(accounts, "quant")
    params = {"at": at.isoformat(), "provider": chain["provider"].iloc[0]}
    first = client.get("/api/v2/chains/NIFTY", params=params, headers=auth(key)).json()
    again = client.get("/api/v2/chains/NIFTY", params=params, headers=auth(key)).json()
    cache = client.app.state.ctx.chains
    assert first == again and (cache.hits, cache.misses) == (1, 1)
    before = read_chain_version(store, "NIFTY", at, provider=params["provider"])
    changed = chain.head(1).assign(oi=chain["oi"].iloc[0] + 12345)
    store.write("option_chain_snapshots", changed)
    assert read_chain_version(store, "NIFTY", at, provider=params["provider"]) != before
    fresh = client.get("/api/v2/chains/NIFTY", params=params, headers=auth(key)).json()
    assert cache.misses == 2
    assert any(r["oi"] == chain["oi"].iloc[0] + 12345 for r in fresh["rows"])


def test_open_streams_per_user_are_capped_and_counted_until_they_end(
    client, accounts, monkeypatch
) -> None:
    import asyncio

    import pytest

    from optionsintel.api.routers import stream
    from optionsintel.auth import Role, Tier
    from optionsintel.errors import QuotaExceededError
    from optionsintel.services.identity import Identity

    monkeypatch.setattr(stream, "MAX_OPEN_STREAMS", 2)
    me = Identity("sam", Role.USER, Tier.FREE, "key")

    async def forever():
        while True:
            yield ": tick\n\n"
            await asyncio.sleep(0)

    async def scenario() -> None:
        first, second = stream._counted(me, forever()), stream._counted(me, forever())
        await first.__anext__(), await second.__anext__()  # two open
        with pytest.raises(QuotaExceededError, match="at most 2 streams"):
            stream._admit(me)
        await first.aclose()  # a client goes away: its stream stops counting
        stream._admit(me)
        await second.aclose()
        assert stream._open_streams["sam"] == 0

    asyncio.run(scenario())
    # over HTTP: the refusal is a 429 naming the limit, before any event
    key = user_with_key(accounts, "quant")
    monkeypatch.setitem(stream._open_streams, "quant", 2)
    r = client.get("/api/v2/stream/chains/NIFTY", params={"provider": "replay"},
                   headers=auth(key))  # fmt: skip
    assert r.status_code == 429 and r.json()["code"] == "quota_exceeded"
    assert r.json()["details"]["limit"] == "open_streams"
