"""A store holding demo data: one synthetic NIFTY day and the two recorded real days."""

from __future__ import annotations

import datetime as dt

import pytest

from optionsintel.store import Store
from optionsintel.ui.demo import REPLAY_DAYS, seed_demo_store

SYNTHETIC_DAY = dt.date(2025, 7, 15)


@pytest.fixture
def demo_store(store: Store) -> Store:
    """The session store with the demo days (re-seeded if another test emptied it)."""
    have = store.count("option_chain_snapshots", where={"provider": ["synthetic", "replay"]})
    signals = store.count("signals")
    if have == 0 or signals == 0 or store.count("daily_ohlc") < 200:
        seed_demo_store(store, synthetic_days=[SYNTHETIC_DAY], replay_days=REPLAY_DAYS)
    return store
