"""The notebooks' helpers read the configured store and never write to it."""

from __future__ import annotations

import pytest

from optionsintel.settings import get_settings
from optionsintel.ui.notebook_helpers import EmptyStoreError, connect, replay_pair


@pytest.fixture
def configured(monkeypatch):
    """Point the process settings at a database URL for the duration of a test."""

    def use(url: str) -> None:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def test_connect_to_an_empty_store_says_what_to_run_and_writes_nothing(
    clean_store, database_url, configured
):
    configured(database_url)
    with pytest.raises(EmptyStoreError, match="optionsintel demo") as info:
        connect()
    assert "optionsintel up" in str(info.value)
    assert not any(clean_store.table_counts().values())


def test_connect_returns_the_seeded_store(demo_store, demo_database_url, configured):
    configured(demo_database_url)
    store = connect()
    assert store.count("option_chain_snapshots") == demo_store.count("option_chain_snapshots")
    previous, current = replay_pair(store)
    assert set(previous["provider"]) == set(current["provider"]) == {"replay"}
    assert previous["snapshot_ts"].max() < current["snapshot_ts"].min()
