"""Snapshot = the provider's quote and chain of one instant, whatever the source."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from optionsintel.providers.base import BackfillSource, MarketDataProvider
from optionsintel.providers.registry import (
    BACKFILL_SOURCES,
    BackfillNotSupportedError,
    ProviderConfig,
    build_backfill,
    build_provider,
)

AT = dt.datetime(2025, 7, 16, 10, 0, tzinfo=dt.UTC)  # 15:30 IST


@pytest.mark.parametrize("name", ["synthetic", "replay"])
def test_snapshot_equals_quote_and_chain_of_the_same_instant(name):
    provider = build_provider(name, ProviderConfig(synthetic_seed=3), clock=lambda: AT)
    assert isinstance(provider, MarketDataProvider)
    snap = provider.snapshot("NIFTY")
    quote, chain = provider.get_quote("NIFTY"), provider.get_option_chain("NIFTY")
    pd.testing.assert_frame_equal(snap.chain, chain)
    pd.testing.assert_frame_equal(snap.quote[["underlying", "ltp"]], quote[["underlying", "ltp"]])
    assert snap.quote["ltp"].iloc[0] == pytest.approx(chain["underlying_price"].iloc[0])
    assert set(snap.chain["provider"]) == set(snap.quote["provider"]) == {name}


def test_backfill_sources_are_declared_in_the_registry():
    assert set(BACKFILL_SOURCES) == {"replay", "synthetic"}
    for name in BACKFILL_SOURCES:
        source = build_backfill(name)
        assert isinstance(source, BackfillSource) and source.name == name
    assert (
        build_backfill("synthetic").regular_cadence and not build_backfill("replay").regular_cadence
    )
    for live in ("nse", "angelone", "failover"):
        with pytest.raises(BackfillNotSupportedError, match="cannot backfill"):
            build_backfill(live)  # type: ignore[arg-type]
