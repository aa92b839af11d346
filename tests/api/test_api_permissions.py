"""The full role x endpoint matrix: each call is allowed or answered 403, as declared.

The permission of every operation is read from the OpenAPI document (``x-permission``,
written by the same ``guard`` that enforces it), so a new router is covered as soon as
it is mounted; a test fails if an operation declares none.
"""

from __future__ import annotations

import pytest

from accounts_helpers import auth, user_with_key
from optionsintel.auth import ROLE_PERMISSIONS, Permission, Role, Tier
from optionsintel.delivery import FeedItem
from optionsintel.services import (
    alert_access,
    bulk,
    dispatch,
    export_jobs,
    keys,
    operation_access,
    pattern_access,
    strategy_access,
    watchlist_access,
)
from optionsintel.services.identity import Identity, cli_identity

AT = "2025-07-16T15:00:00%2B05:30"
RULE = "RSI(14) < 30"
ALERT = {"name": "a", "symbols": ["NIFTY"], "channels": [{"kind": "in_app"}],
         "condition": {"type": "PRICE", "op": "above", "value": 25000}}  # fmt: skip
BACKTEST = {
    "source": {"type": "pattern", "entry": "p-{role}@1"},
    "symbols": ["NIFTY"],
    "provider": "synthetic",
}
#: A short straddle-free leg set the replay chain prices: a future (parity forward).
STRATEGY = {"underlying": "NIFTY", "provider": "replay", "as_of": "2025-07-17T11:00:00+05:30",
            "legs": [{"instrument": "FUT", "side": "buy", "expiry": "2025-07-31"}],
            "volatility": 0.12}  # fmt: skip
SAVED = {
    "name": "s-{role}",
    "underlying": "NIFTY",
    "note": "matrix",
    "legs": [{"instrument": "CE", "side": "sell", "expiry": "2025-07-31", "strike": 25000}],
}
#: A valid request per operation (path parameters filled, a body where one is needed).
REQUESTS: dict[tuple[str, str], tuple[str, dict | None]] = {
    ("get", "/api/v2/health"): ("/api/v2/health", None),
    ("get", "/api/v2/version"): ("/api/v2/version", None),
    ("get", "/api/v2/me"): ("/api/v2/me", None),
    ("get", "/api/v2/system/metrics"): ("/api/v2/system/metrics", None),
    ("get", "/api/v2/system/config"): ("/api/v2/system/config", None),
    ("get", "/api/v2/instruments"): ("/api/v2/instruments", None),
    ("get", "/api/v2/chains/{underlying}"): (f"/api/v2/chains/NIFTY?at={AT}", None),
    ("get", "/api/v2/chains/{underlying}/summary"): (
        f"/api/v2/chains/NIFTY/summary?at={AT}", None),
    # a named provider: the demo days may fire no signal, and with no provider given an
    # empty dataset is a 404 (there is nothing to resolve the provider from)
    ("get", "/api/v2/signals/{underlying}"): ("/api/v2/signals/NIFTY?provider=replay", None),
    ("get", "/api/v2/levels/{underlying}"): ("/api/v2/levels/NIFTY", None),
    ("get", "/api/v2/bars/daily/{symbol}"): ("/api/v2/bars/daily/NIFTY", None),
    ("get", "/api/v2/research/metrics"): ("/api/v2/research/metrics?symbols=NIFTY", None),
    ("get", "/api/v2/coverage"): ("/api/v2/coverage?subject=NIFTY", None),
    ("get", "/api/v2/stream/chains/{underlying}"): (
        "/api/v2/stream/chains/NIFTY?max_events=1&interval=0.2", None),
    ("get", "/api/v2/stream/notifications"): (
        "/api/v2/stream/notifications?since=2000-01-01&max_events=1&interval=0.2", None),
    ("get", "/api/v2/users"): ("/api/v2/users", None),
    ("post", "/api/v2/users"): ("/api/v2/users", {"username": "new-{role}"}),
    ("get", "/api/v2/users/{username}"): ("/api/v2/users/target", None),
    ("put", "/api/v2/users/{username}/role"): ("/api/v2/users/target/role", {"role": "USER"}),
    ("put", "/api/v2/users/{username}/tier"): ("/api/v2/users/target/tier", {"tier": "PRO"}),
    ("post", "/api/v2/users/{username}/disable"): ("/api/v2/users/target/disable", None),
    ("get", "/api/v2/keys"): ("/api/v2/keys", None),
    ("post", "/api/v2/keys"): ("/api/v2/keys", {"name": "matrix"}),
    ("delete", "/api/v2/keys/{key_prefix}"): ("/api/v2/keys/{spare}", None),
    ("get", "/api/v2/audit"): ("/api/v2/audit", None),
    ("get", "/api/v2/patterns"): ("/api/v2/patterns", None),
    ("post", "/api/v2/patterns"): ("/api/v2/patterns",
                                   {"pattern_id": "new-{role}", "name": "n", "rule": RULE}),
    ("get", "/api/v2/patterns/{pattern_id}"): ("/api/v2/patterns/p-{role}", None),
    ("get", "/api/v2/patterns/{pattern_id}/versions"): ("/api/v2/patterns/p-{role}/versions", None),
    ("post", "/api/v2/patterns/{pattern_id}/versions"): (
        "/api/v2/patterns/p-{role}/versions", {"rule": "RSI(14) < 20"}),
    ("get", "/api/v2/patterns/{pattern_id}/versions/{version}"): (
        "/api/v2/patterns/p-{role}/versions/1", None),
    ("post", "/api/v2/patterns/validate"): ("/api/v2/patterns/validate", {"rule": RULE}),
    ("post", "/api/v2/patterns/evaluate"): (
        "/api/v2/patterns/evaluate", {"rule": RULE, "provider": "synthetic"}),
    ("post", "/api/v2/patterns/{pattern_id}/evaluate"): (
        "/api/v2/patterns/p-{role}/evaluate?provider=synthetic", None),
    ("delete", "/api/v2/patterns/{pattern_id}"): ("/api/v2/patterns/p-{role}", None),
    ("post", "/api/v2/strategies/analyse"): ("/api/v2/strategies/analyse", STRATEGY),
    ("get", "/api/v2/strategies/saved"): ("/api/v2/strategies/saved", None),
    ("post", "/api/v2/strategies/saved"): ("/api/v2/strategies/saved", SAVED),
    ("get", "/api/v2/strategies/saved/{name}"): ("/api/v2/strategies/saved/s-{role}", None),
    ("get", "/api/v2/strategies/saved/{name}/versions"): (
        "/api/v2/strategies/saved/s-{role}/versions", None),
    ("get", "/api/v2/strategies/saved/{name}/versions/{version}"): (
        "/api/v2/strategies/saved/s-{role}/versions/1", None),
    ("get", "/api/v2/alerts/rules"): ("/api/v2/alerts/rules", None),
    ("post", "/api/v2/alerts/rules"): ("/api/v2/alerts/rules", {**ALERT, "name": "new"}),
    ("get", "/api/v2/alerts/rules/{name}"): ("/api/v2/alerts/rules/a", None),
    ("put", "/api/v2/alerts/rules/{name}"): ("/api/v2/alerts/rules/a", ALERT),
    ("post", "/api/v2/alerts/rules/{name}/mute"): ("/api/v2/alerts/rules/a/mute", None),
    ("post", "/api/v2/alerts/rules/{name}/unmute"): ("/api/v2/alerts/rules/a/unmute", None),
    ("post", "/api/v2/alerts/rules/{name}/test"): ("/api/v2/alerts/rules/a/test", None),
    ("get", "/api/v2/alerts/notifications"): ("/api/v2/alerts/notifications", None),
    ("post", "/api/v2/alerts/notifications/{dedupe_key}/read"): (
        "/api/v2/alerts/notifications/{feed}/read", None),
    ("delete", "/api/v2/alerts/rules/{name}"): ("/api/v2/alerts/rules/a", None),
    ("get", "/api/v2/watchlists"): ("/api/v2/watchlists", None),
    ("get", "/api/v2/watchlists/{name}"): ("/api/v2/watchlists/wl-{role}", None),
    ("put", "/api/v2/watchlists/{name}"): ("/api/v2/watchlists/wl-{role}", {"symbols": ["NIFTY"]}),
    ("delete", "/api/v2/watchlists/{name}"): ("/api/v2/watchlists/wl-{role}", None),
    ("post", "/api/v2/exports"): ("/api/v2/exports", {"dataset": "instruments"}),
    ("get", "/api/v2/exports/{operation_id}"): ("/api/v2/exports/{export}", None),
    ("get", "/api/v2/exports/{operation_id}/download"): ("/api/v2/exports/{export}/download", None),
    ("post", "/api/v2/exports/{operation_id}/cancel"): ("/api/v2/exports/{export}/cancel", None),
    ("post", "/api/v2/scans"): ("/api/v2/scans", {"universe": "equity", "provider": "synthetic",
                                                  "patterns": ["p-{role}@1"]}),
    ("get", "/api/v2/scans/{operation_id}/results"): ("/api/v2/scans/{scan}/results", None),
    ("post", "/api/v2/backtests"): ("/api/v2/backtests", BACKTEST),
    ("get", "/api/v2/backtests/runs"): ("/api/v2/backtests/runs", None),
    ("get", "/api/v2/backtests/runs/{run_id}"): ("/api/v2/backtests/runs/{run}", None),
    ("get", "/api/v2/operations"): ("/api/v2/operations", None),
    ("get", "/api/v2/operations/{operation_id}"): ("/api/v2/operations/{scan}", None),
    ("get", "/api/v2/operations/{operation_id}/errors"): ("/api/v2/operations/{scan}/errors", None),
    ("post", "/api/v2/operations/{operation_id}/cancel"): (
        "/api/v2/operations/{scan}/cancel", None),
}  # fmt: skip
PUBLIC = {("post", "/api/v2/auth/login")}
#: Non-GET operations that store nothing: they compute an answer (every other write must
#: leave an audit record), or, for a cancel, find the operation already finished.
NO_CHANGE = {("post", "/api/v2/patterns/validate"), ("post", "/api/v2/patterns/evaluate"),
             ("post", "/api/v2/patterns/{pattern_id}/evaluate"),
             ("post", "/api/v2/strategies/analyse"),
             ("post", "/api/v2/exports/{operation_id}/cancel"),
             ("post", "/api/v2/operations/{operation_id}/cancel")}  # fmt: skip


def _owned_objects(store, caller: str, role: Role) -> dict[str, str]:
    """A pattern, an alert rule, a watchlist, a feed item and finished operations of the caller."""
    me = Identity(caller, role, Tier.INSTITUTIONAL, "key")
    tag = role.value.lower().replace("_", "-")
    pattern_access.create(store, me, f"p-{tag}", RULE, name="p")
    strategy_access.save(store, me, f"s-{tag}", underlying="NIFTY", legs=[{"instrument": "FUT",
                         "side": "buy", "expiry": "2025-07-31"}])  # fmt: skip
    alert_access.create(store, me, ALERT)
    watchlist_access.save(store, me, f"wl-{tag}", ["NIFTY"])
    dispatch.feed_writer(store)(FeedItem(caller, f"feed-{tag}", caller, "a", "t", "b", {}))
    op = export_jobs.start(store, me, "instruments", fmt="csv", provider=None, background=False)
    scan = operation_access.start_scan(store, me, {"universe": "equity", "provider": "synthetic",
                                       "patterns": [f"p-{tag}@1"]}, background=False)  # fmt: skip
    test = operation_access.start_backtest(
        store, me, source={"type": "pattern", "entry": f"p-{tag}@1"}, symbols=["NIFTY"],
        provider="synthetic", background=False)  # fmt: skip
    done = bulk.read_operation(store, test)
    assert "run_id" in done.summary, (done, bulk.operation_errors(store, test))
    run = done.summary["run_id"]
    return {"role": tag, "feed": f"feed-{tag}", "export": op, "scan": scan, "run": run}


def _fill(value, role: str):
    """``value`` with ``{role}`` filled in every string, however deep."""
    if isinstance(value, str):
        return value.format(role=role)
    if isinstance(value, dict):
        return {k: _fill(v, role) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, role) for v in value]
    return value


def _operations(client) -> dict[tuple[str, str], str]:
    spec = client.get("/api/v2/openapi.json").json()
    return {(m, p): op.get("x-permission") for p, ops in spec["paths"].items()
            for m, op in ops.items()}  # fmt: skip


def test_every_operation_declares_a_permission_and_is_in_the_matrix(client) -> None:
    ops = _operations(client)
    assert all(ops.values()), [k for k, v in ops.items() if not v]
    assert set(ops) == set(REQUESTS) | PUBLIC
    assert {ops[k] for k in PUBLIC} == {"public"}


def _allowed(role: Role, mark: str) -> bool:
    return mark == "authenticated" or Permission(mark) in ROLE_PERMISSIONS[role]


@pytest.mark.parametrize("role", list(Role))
def test_role_by_endpoint_matrix(client, accounts, demo_store, role: Role) -> None:
    key = user_with_key(accounts, f"caller-{role.value.lower().replace('_', '-')}", role.value)
    caller = f"caller-{role.value.lower().replace('_', '-')}"
    spare = keys.create_key(accounts, cli_identity(), name="spare", username=caller)
    user_with_key(accounts, "target")
    names = _owned_objects(accounts, caller, role)
    ops = _operations(client)
    for (method, path), (url, body) in REQUESTS.items():
        url = url.format(spare=spare["key_prefix"], **names)
        if body is not None:
            body = _fill(body, names["role"])
        before = accounts.count("audit_log")
        r = client.request(method.upper(), url, json=body, headers=auth(key))
        if _allowed(role, ops[(method, path)]):
            assert r.status_code not in (401, 403), (role, method, path, r.text)
            assert r.status_code < 300, (role, method, path, r.status_code, r.text)
            if method != "get" and (method, path) not in NO_CHANGE:  # every write is audited
                assert accounts.count("audit_log") > before, (role, method, path)
        else:
            assert r.status_code == 403, (role, method, path, r.status_code, r.text)
            body_ = r.json()
            assert body_["code"] == "forbidden"
            assert body_["details"] == {"permission": ops[(method, path)]}


def test_every_guarded_endpoint_needs_a_credential(client) -> None:
    for (method, _path), (url, body) in REQUESTS.items():
        url = url.format(
            spare="oi_aaaaaaaa",
            role="x",
            feed="f",
            export="export-" + "0" * 20,
            scan="scan-" + "0" * 20,
            run="r",
        )
        r = client.request(method.upper(), url, json=body)
        assert r.status_code == 401, (method, url, r.text)
        assert r.json()["code"] == "unauthenticated"
        assert r.headers["www-authenticate"] == "Bearer"
