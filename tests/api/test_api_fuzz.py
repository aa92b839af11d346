"""Property-based fuzzing of every operation from the OpenAPI document: never a 500.

Schemathesis generates valid and invalid requests from the spec and sends them through
the ASGI app to the real PostgreSQL, authenticated as a SUPER_ADMIN (the widest surface).
The SSE stream is left out (an endless response by design; it has its own test). The
number of examples is kept modest so the whole run stays under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from accounts_helpers import SECRET, user_with_key
from optionsintel.api import create_app

MAX_EXAMPLES = 8


_STATE: dict = {}
APP = create_app(lambda: _STATE["store"], secret=SECRET)  # the store is bound per test
schema = schemathesis.openapi.from_asgi("/api/v2/openapi.json", APP).exclude(path_regex="/stream/")


@pytest.fixture(autouse=True)
def _bound(accounts, demo_store):
    _STATE["store"] = accounts
    _STATE["key"] = user_with_key(accounts, "fuzzer", "SUPER_ADMIN")
    APP.state.ctx._store = None
    yield
    _STATE.clear()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
def test_no_server_errors(case) -> None:
    case.call_and_validate(headers={"X-API-Key": _STATE["key"]}, checks=[not_a_server_error])
