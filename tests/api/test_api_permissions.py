"""The full role x endpoint matrix: each call is allowed or answered 403, as declared.

The permission of every operation is read from the OpenAPI document (``x-permission``,
written by the same ``guard`` that enforces it), so a new router is covered as soon as
it is mounted; a test fails if an operation declares none.
"""

from __future__ import annotations

import pytest

from accounts_helpers import auth, user_with_key
from optionsintel.auth import ROLE_PERMISSIONS, Permission, Role
from optionsintel.services import keys
from optionsintel.services.identity import cli_identity

AT = "2025-07-16T15:00:00%2B05:30"
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
}  # fmt: skip
PUBLIC = {("post", "/api/v2/auth/login")}


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
    ops = _operations(client)
    for (method, path), (url, body) in REQUESTS.items():
        url = url.format(spare=spare["key_prefix"])
        if body is not None:
            body = {k: v.format(role=role.value.lower().replace("_", "-")) if isinstance(v, str)
                    else v for k, v in body.items()}  # fmt: skip
        r = client.request(method.upper(), url, json=body, headers=auth(key))
        if _allowed(role, ops[(method, path)]):
            assert r.status_code not in (401, 403), (role, method, path, r.text)
            assert r.status_code < 300, (role, method, path, r.status_code, r.text)
        else:
            assert r.status_code == 403, (role, method, path, r.status_code, r.text)
            body_ = r.json()
            assert body_["code"] == "forbidden"
            assert body_["details"] == {"permission": ops[(method, path)]}


def test_every_guarded_endpoint_needs_a_credential(client) -> None:
    for (method, _path), (url, body) in REQUESTS.items():
        r = client.request(method.upper(), url.format(spare="oi_aaaaaaaa"), json=body)
        assert r.status_code == 401, (method, url, r.text)
        assert r.json()["code"] == "unauthenticated"
        assert r.headers["www-authenticate"] == "Bearer"
