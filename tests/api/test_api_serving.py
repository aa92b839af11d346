"""The serving mode (app lifespan started): cached keys and batched call counts.

``with TestClient(app)`` runs the lifespan as uvicorn does, so keys verified once are
answered from memory and call counts are written in batches. Every change to keys or
accounts, made anywhere (here through the services, as the CLI does), must still refuse
the key at once: the cache is dropped by the LISTEN/NOTIFY of migration 0013.
"""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from accounts_helpers import SECRET, auth, user_with_key
from optionsintel.api import create_app
from optionsintel.auth import TIER_QUOTAS, Role, Tier
from optionsintel.services import keys, quotas, users
from optionsintel.services.identity import cli_identity
from optionsintel.store import Store


@pytest.fixture
def serving(accounts: Store):
    with TestClient(create_app(accounts, secret=SECRET), raise_server_exceptions=False) as c:
        yield c


def _refused_within(client: TestClient, key: str, seconds: float = 2.0) -> tuple[int, float]:
    """(status, seconds) of the first non-200 answer for ``key``, polling."""
    t0 = time.monotonic()
    while True:
        r = client.get("/api/v2/me", headers=auth(key))
        if r.status_code != 200 or time.monotonic() - t0 > seconds:
            return r.status_code, time.monotonic() - t0


def test_key_is_served_from_the_cache_while_unchanged(serving, accounts) -> None:
    key = user_with_key(accounts, "alice")
    cache = serving.app.state.ctx.keys
    assert cache.active
    for _ in range(5):
        assert serving.get("/api/v2/me", headers=auth(key)).status_code == 200
    assert cache.hits >= 3


@pytest.mark.parametrize(
    "change",
    [
        lambda s, key: keys.revoke_key(s, cli_identity(), key[:11]),
        lambda s, key: users.disable_user(s, cli_identity(), "alice"),
    ],
    ids=["key revoked", "owner disabled"],
)
def test_changes_made_elsewhere_refuse_a_cached_key_at_once(serving, accounts, change) -> None:
    key = user_with_key(accounts, "alice")
    user_with_key(accounts, "root", "SUPER_ADMIN")  # disable keeps a super admin
    for _ in range(3):
        assert serving.get("/api/v2/me", headers=auth(key)).status_code == 200
    change(accounts, key)
    status, took = _refused_within(serving, key)
    assert status == 401 and took < 0.5, (status, took)


def test_role_change_applies_to_a_cached_key(serving, accounts) -> None:
    key = user_with_key(accounts, "alice")
    user_with_key(accounts, "root", "SUPER_ADMIN")
    assert serving.get("/api/v2/users", headers=auth(key)).status_code == 403
    users.set_role(accounts, cli_identity(), "alice", "ADMIN")
    t0 = time.monotonic()
    while serving.get("/api/v2/users", headers=auth(key)).status_code != 200:
        assert time.monotonic() - t0 < 0.5


def test_batched_counts_enforce_the_quota_exactly_and_are_written(
    serving, accounts, monkeypatch
) -> None:
    small = dict(TIER_QUOTAS)
    small[Tier.PRO] = TIER_QUOTAS[Tier.PRO].__class__(3, 1, 1, 1, 1, 100, 100)
    monkeypatch.setattr(quotas, "TIER_QUOTAS", small)
    key = user_with_key(accounts, "pro", tier="PRO")
    codes = [serving.get("/api/v2/version", headers=auth(key)).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    serving.app.state.ctx.flush()
    assert quotas.calls_today(accounts, "pro") == 5  # refused calls count, as unbatched


def test_usage_reported_includes_unwritten_calls(serving, accounts) -> None:
    key = user_with_key(accounts, "vip", tier="VIP")
    for _ in range(3):
        serving.get("/api/v2/version", headers=auth(key))
    assert serving.get("/api/v2/me", headers=auth(key)).json()["api_calls_today"] == 4


def test_counts_are_flushed_in_the_background_and_at_shutdown(accounts) -> None:
    key = user_with_key(accounts, "bob")
    with TestClient(create_app(accounts, secret=SECRET)) as c:
        for _ in range(4):
            c.get("/api/v2/version", headers=auth(key))
        t0 = time.monotonic()
        while quotas.calls_today(accounts, "bob") < 4 and time.monotonic() - t0 < 5:
            time.sleep(0.05)
        assert quotas.calls_today(accounts, "bob") == 4
        c.get("/api/v2/version", headers=auth(key))
    assert quotas.calls_today(accounts, "bob") == 5


def _changed_within(client: TestClient, path: str, key: str, old: dict, **kw) -> float:
    """Seconds until ``path`` answers something other than ``old`` (polling, < 2 s)."""
    t0 = time.monotonic()
    while client.get(path, headers=auth(key), **kw).json() == old:
        assert time.monotonic() - t0 < 2.0
    return time.monotonic() - t0


def test_chain_read_is_kept_until_the_chain_table_changes(
    serving, accounts, clean_store, nifty_0717
) -> None:
    """While serving, a repeated as-of read makes no query; any chain write drops it."""
    chain = nifty_0717.chain
    clean_store.write("option_chain_snapshots", chain)
    key = user_with_key(accounts, "quant")
    at = chain["snapshot_ts"].max()
    params = {"at": at.isoformat(), "provider": chain["provider"].iloc[0]}
    reads = serving.app.state.ctx.chains.reads
    assert reads.active
    first = serving.get("/api/v2/chains/NIFTY", params=params, headers=auth(key)).json()
    hits = reads.hits
    assert serving.get("/api/v2/chains/NIFTY", params=params, headers=auth(key)).json() == first
    assert reads.hits == hits + 1
    bumped = chain["oi"].iloc[0] + 12345
    clean_store.write("option_chain_snapshots", chain.head(1).assign(oi=bumped))
    took = _changed_within(serving, "/api/v2/chains/NIFTY", key, first, params=params)
    fresh = serving.get("/api/v2/chains/NIFTY", params=params, headers=auth(key)).json()
    assert took < 0.5 and any(r["oi"] == bumped for r in fresh["rows"])


def test_pattern_list_is_kept_until_a_pattern_changes(serving, accounts) -> None:
    """A pattern created elsewhere (here through the services, as the CLI does) is listed
    at once; the cached list is per owner."""
    from optionsintel.services import pattern_access
    from optionsintel.services.identity import Identity

    key = user_with_key(accounts, "alice")
    other = user_with_key(accounts, "bob")
    alice = Identity("alice", Role.USER, Tier.INSTITUTIONAL, "cli")
    pattern_access.create(accounts, alice, "dip", "RSI(14) < 30", name="dip")
    cache = serving.app.state.ctx.patterns
    first = serving.get("/api/v2/patterns", headers=auth(key)).json()
    hits = cache.hits
    assert serving.get("/api/v2/patterns", headers=auth(key)).json() == first
    assert cache.hits == hits + 1 and [p["pattern_id"] for p in first["items"]] == ["dip"]
    assert serving.get("/api/v2/patterns", headers=auth(other)).json()["items"] == []
    pattern_access.create(accounts, alice, "pop", "RSI(14) > 70", name="pop")
    assert _changed_within(serving, "/api/v2/patterns", key, first) < 0.5
    now = serving.get("/api/v2/patterns", headers=auth(key)).json()
    assert [p["pattern_id"] for p in now["items"]] == ["dip", "pop"] and now["total"] == 2


def test_a_call_counted_while_a_flush_writes_still_sees_the_batch(accounts, monkeypatch) -> None:
    """The daily count includes the batch a flush is writing (it was 1 short per call)."""
    import threading

    from optionsintel.services import usage

    user_with_key(accounts, "pro", tier="PRO")
    identity = usage.Identity(username="pro", role=Role.USER, tier=Tier.PRO, via="api")
    meter = usage.UsageMeter()
    meter.load(accounts, "pro")
    meter.count(identity)
    meter.count(identity)
    writing, release = threading.Event(), threading.Event()
    real = usage.add_api_calls

    def slow_write(store, counts):  # the real write, held until the test has counted
        writing.set()
        release.wait(10)
        return real(store, counts)

    monkeypatch.setattr(usage, "add_api_calls", slow_write)
    flusher = threading.Thread(target=meter.flush, args=(accounts,))
    flusher.start()
    assert writing.wait(10)
    assert meter.count(identity) == 3  # stored 0 + writing 2 + this one
    assert meter.used("pro") == 3
    release.set()
    flusher.join(10)
    assert meter.used("pro") == 3 and quotas.calls_today(accounts, "pro") == 2
    meter.flush(accounts)
    assert quotas.calls_today(accounts, "pro") == 3 and meter.used("pro") == 3
