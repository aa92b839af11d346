"""Fixtures of the services tests."""

from __future__ import annotations

import pytest

from accounts_helpers import empty_accounts
from optionsintel.store import Store


@pytest.fixture
def accounts(store: Store) -> Store:
    """The session store with empty account tables."""
    return empty_accounts(store)
