"""Fixtures of the API tests: the real app on the test PostgreSQL, through TestClient."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from accounts_helpers import SECRET, empty_accounts, user_with_key
from optionsintel.api import create_app
from optionsintel.store import Store


@pytest.fixture
def accounts(request: pytest.FixtureRequest, store: Store) -> Store:
    """A store with empty account tables (market data is kept).

    Tests that also ask for ``demo_store`` get the demo database (market data
    materialised through the asset graph); the others the session's test database.
    """
    wants_demo = "demo_store" in request.fixturenames
    return empty_accounts(request.getfixturevalue("demo_store") if wants_demo else store)


@pytest.fixture
def client(accounts: Store) -> TestClient:
    """A client of a fresh app (fresh rate-limit buckets) on the test store."""
    return TestClient(create_app(accounts, secret=SECRET), raise_server_exceptions=False)


@pytest.fixture
def role_keys(accounts: Store) -> dict[str, str]:
    """An API key per role (INSTITUTIONAL tier, so quotas stay out of the way)."""
    return {
        role: user_with_key(accounts, role.lower().replace("_", "-"), role)
        for role in ("USER", "ADMIN", "SUPER_ADMIN")
    }
