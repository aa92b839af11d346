"""The typed read layer against the real PostgreSQL: one provider per read, always."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from optionsintel.errors import StoreError
from optionsintel.store import Store, reads
from optionsintel.store.schema import metadata

DAY = dt.date(2025, 7, 16)
# replay snapshots at 10:00 and 10:05 IST; synthetic ones at 10:01 and 10:06 (the latest)
TIMES = {
    "replay": pd.to_datetime(["2025-07-16 04:30", "2025-07-16 04:35"], utc=True),
    "synthetic": pd.to_datetime(["2025-07-16 04:31", "2025-07-16 04:36"], utc=True),
}
LTP = {"replay": 25000.0, "synthetic": 31000.0}


def _quotes(provider: str) -> pd.DataFrame:
    t = TIMES[provider]
    return pd.DataFrame({"underlying": "NIFTY", "snapshot_ts": t, "provider": provider,
                         "ltp": [LTP[provider], LTP[provider] + 1]})  # fmt: skip


def _chain(provider: str) -> pd.DataFrame:
    rows = [dict(underlying="NIFTY", snapshot_ts=ts, expiry=pd.Timestamp("2025-07-17"),
                 strike=k, option_type=o, oi=LTP[provider] / 100 + i, provider=provider)
            for i, ts in enumerate(TIMES[provider]) for k in (25000.0, 25100.0)
            for o in ("CE", "PE")]  # fmt: skip
    return pd.DataFrame(rows)


def _signals(provider: str) -> pd.DataFrame:
    conf = {"replay": 40.0, "synthetic": 90.0}[provider]
    return pd.DataFrame({"underlying": "NIFTY", "snapshot_ts": TIMES[provider],
                         "expiry": pd.Timestamp("2025-07-17"), "signal_type": "CALL_BUILDUP",
                         "confidence": [conf, conf + 1], "strength": "STRONG",
                         "provider": provider})  # fmt: skip


def _levels(provider: str) -> pd.DataFrame:
    days = [DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=1)]
    return pd.DataFrame({"underlying": "NIFTY", "trade_date": pd.to_datetime(days),
                         "method": "oi_wall", "level_type": "SUPPORT", "rank": 1,
                         "level": [LTP[provider] - 100, LTP[provider] - 50],
                         "provider": provider})  # fmt: skip


def _bars(provider: str, n: int) -> pd.DataFrame:
    days = pd.bdate_range("2025-07-01", periods=n)
    return pd.DataFrame({"symbol": "NIFTY", "trade_date": days, "close": LTP[provider],
                         "provider": provider})  # fmt: skip


@pytest.fixture
def mixed(clean_store: Store) -> Store:
    with clean_store.transaction() as tx:
        for provider in ("replay", "synthetic"):
            tx.write("underlying_quotes", _quotes(provider))
            tx.write("option_chain_snapshots", _chain(provider))
            tx.write("signals", _signals(provider))
            tx.write("support_resistance_levels", _levels(provider))
        tx.write("daily_ohlc", _bars("replay", 5))
        tx.write("daily_ohlc", _bars("synthetic", 3))
    return clean_store


def test_columns_come_from_the_schema():
    assert reads.columns_of("signals") == [c.name for c in metadata.tables["signals"].columns]
    with pytest.raises(StoreError, match="unknown data set"):
        reads.columns_of("no_such_table")
    assert reads.subject_column("daily_ohlc") == "symbol"
    assert reads.time_column("support_resistance_levels") == "trade_date"
    with pytest.raises(StoreError, match="not a market data set"):
        reads.time_column("audit_log")  # type: ignore[arg-type]


def test_market_reads_require_a_provider(mixed: Store):
    with pytest.raises(TypeError):
        reads.read_quotes(mixed, underlying="NIFTY")  # type: ignore[call-arg]
    for bad in ("", None):
        with pytest.raises(StoreError, match="needs a provider"):
            reads.read_signals(mixed, provider=bad)  # type: ignore[arg-type]
        with pytest.raises(StoreError, match="needs a provider"):
            reads.read_chain_as_of(mixed, "NIFTY", "2025-07-16 10:10", provider=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("provider", ["replay", "synthetic"])
def test_each_read_returns_only_its_provider(mixed: Store, provider: str):
    quotes = reads.read_quotes(mixed, provider=provider, underlying="NIFTY")
    assert quotes["ltp"].tolist() == [LTP[provider], LTP[provider] + 1]
    assert (quotes["provider"] == provider).all()
    assert reads.read_quote_times(mixed, provider=provider).equals(TIMES[provider])
    chain = reads.read_chain_as_of(mixed, "NIFTY", "2025-07-16 10:10", provider=provider)
    assert len(chain) == 4 and set(chain["provider"]) == {provider}
    assert (chain["oi"] == LTP[provider] / 100 + 1).all()  # the later snapshot
    snaps = reads.read_chain_snapshots(mixed, provider=provider, instants=TIMES[provider][:1])
    assert len(snaps) == 4 and set(snaps["snapshot_ts"]) == {TIMES[provider][0]}
    assert reads.read_chain_snapshots(mixed, provider=provider, instants=[]).empty
    other = "replay" if provider == "synthetic" else "synthetic"
    assert reads.read_chain_snapshots(mixed, provider=provider, instants=TIMES[other]).empty
    signals = reads.read_signals(mixed, provider=provider, underlying="NIFTY", limit=1)
    assert signals["confidence"].tolist() == [_signals(provider)["confidence"].max()]
    assert signals["snapshot_ts"].tolist() == [TIMES[provider][-1]]  # newest first
    levels = reads.read_levels_in_force(mixed, "NIFTY", DAY, provider=provider)
    assert levels["level"].tolist() == [LTP[provider] - 50]  # the day before DAY only
    assert (levels["provider"] == provider).all()


def test_time_bounds_are_inclusive(mixed: Store):
    t = TIMES["replay"]
    assert len(reads.read_quotes(mixed, provider="replay", start=t[1], end=t[1])) == 1
    early = reads.read_signals(mixed, provider="replay", end=t[0])
    assert early["snapshot_ts"].tolist() == [t[0]]


def test_resolve_provider_names_the_latest(mixed: Store):
    assert reads.resolve_provider(mixed, "underlying_quotes", "NIFTY") == "synthetic"
    # at 10:04 IST the newest snapshot is synthetic's 10:01; at 10:00 only replay's exists
    assert reads.resolve_provider(mixed, "underlying_quotes", "NIFTY",
                                  at="2025-07-16 10:04") == "synthetic"  # fmt: skip
    assert reads.resolve_provider(mixed, "underlying_quotes", "NIFTY",
                                  at="2025-07-16 10:00") == "replay"  # fmt: skip
    assert reads.resolve_provider(mixed, "underlying_quotes", "BANKNIFTY") is None
    assert reads.resolve_provider(mixed, "option_chain_snapshots", "NIFTY",
                                  at="2025-07-16 09:00") is None  # fmt: skip


def test_listings_span_providers(mixed: Store):
    assert reads.list_providers(mixed, "underlying_quotes", "NIFTY") == ["replay", "synthetic"]
    first = TIMES["replay"][0]
    only_replay = reads.list_providers(mixed, "underlying_quotes", "NIFTY", start=first, end=first)
    assert only_replay == ["replay"]
    assert reads.list_underlyings(mixed) == ["NIFTY"]
    assert reads.list_underlyings(mixed, provider="nse") == []
    assert reads.list_quote_days(mixed, "NIFTY") == [DAY]
    assert reads.list_symbols(mixed) == ["NIFTY"]


def test_symbol_providers_pick_the_most_bars(mixed: Store):
    assert reads.resolve_symbol_providers(mixed, ["NIFTY", "NOPE"]) == {"NIFTY": "replay"}
    # in a window where synthetic has as many bars, the tie goes to the name first
    assert reads.resolve_symbol_providers(mixed, ["NIFTY"], end="2025-07-02") == {"NIFTY": "replay"}
    bars = reads.read_daily_ohlc(mixed, provider="synthetic", symbols="NIFTY")
    assert len(bars) == 3 and (bars["close"] == LTP["synthetic"]).all()
    assert reads.latest_time(mixed, "daily_ohlc", "NIFTY", provider="synthetic") == (
        pd.Timestamp("2025-07-03")
    )
