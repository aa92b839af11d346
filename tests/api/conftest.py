"""Fixtures of the API tests: the real app on the test PostgreSQL, through TestClient."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from accounts_helpers import SECRET, empty_accounts, user_with_key
from optionsintel.api import create_app
from optionsintel.store import Store


@pytest.fixture
def accounts(store: Store) -> Store:
    """The session store with empty account tables (market data is kept)."""
    return empty_accounts(store)


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
