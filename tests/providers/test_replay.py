"""ReplayProvider over the packaged recorded real data: clock semantics, bars, EOD chains."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from optionsintel.frames import CANDLE_COLUMNS, CHAIN_COLUMNS, QUOTE_COLUMNS, validate_chain
from optionsintel.providers.base import MarketDataProvider, NoDataError
from optionsintel.providers.replay import ReplayProvider, catalog
from optionsintel.providers.replay_files import verify_checksums

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


class MutableClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(scope="module")
def clock() -> MutableClock:
    return MutableClock(dt.datetime(2025, 7, 17, 16, 0, tzinfo=IST))


@pytest.fixture(scope="module")
def replay(clock) -> ReplayProvider:
    return ReplayProvider(clock=clock)


@pytest.fixture(autouse=True)
def _reset_clock(clock) -> None:
    clock.now = dt.datetime(2025, 7, 17, 16, 0, tzinfo=IST)


def test_packaged_files_are_byte_identical_to_the_recorded_originals() -> None:
    result = verify_checksums()
    assert len(result) == 28 and all(result.values())


def test_every_file_is_catalogued_and_protocol_is_met(replay) -> None:
    assert len(catalog()) == 28
    assert isinstance(replay, MarketDataProvider) and replay.name == "replay"
    kinds = set(replay.available()["kind"])
    assert kinds == {"chain_snapshot", "contract_history", "1m", "3m", "1d"}


def test_chain_is_latest_snapshot_at_or_before_clock(replay, clock) -> None:
    chain = replay.get_option_chain("NIFTY")
    validate_chain(chain)
    assert list(chain.columns) == list(CHAIN_COLUMNS)
    assert set(chain["provider"]) == {"replay"}
    assert chain["snapshot_ts"].iloc[0] == pd.Timestamp("2025-07-17 10:00", tz="UTC")
    assert chain.attrs["source_files"] == [
        "nse_option_chain_indices_NIFTY_2025-07-17_ethanelliott50.json"
    ]
    clock.now = dt.datetime(2025, 7, 17, 15, 29, tzinfo=IST)  # one minute before that snapshot
    assert replay.get_option_chain("NIFTY")["snapshot_ts"].iloc[0] == pd.Timestamp(
        "2025-07-16 10:00", tz="UTC"
    )
    clock.now = dt.datetime(2019, 8, 23, 15, 0, tzinfo=IST)
    with pytest.raises(NoDataError, match="option-chain snapshot"):
        replay.get_option_chain("NIFTY")


def test_expiry_filter_and_staleness_limit(clock) -> None:
    replay = ReplayProvider(clock=clock, max_staleness=dt.timedelta(days=2))
    with pytest.raises(NoDataError, match="older than"):
        replay.get_option_chain("BANKNIFTY")  # last BANKNIFTY snapshot is 2023-05-03
    clock.now = dt.datetime(2023, 5, 4, 9, 0, tzinfo=IST)
    one = replay.get_option_chain("BANKNIFTY", dt.date(2023, 5, 4))
    assert set(one["expiry"]) == {pd.Timestamp("2023-05-04")}


def test_one_minute_bars_drop_pre_open_and_post_close_ticks(replay) -> None:
    start, end = dt.datetime(2021, 1, 1, tzinfo=IST), dt.datetime(2021, 1, 1, 23, 59, tzinfo=IST)
    bars = replay.get_candles("NIFTY", "1m", start, end)
    assert list(bars.columns) == list(CANDLE_COLUMNS)
    local = bars["ts"].dt.tz_convert("Asia/Kolkata").dt.strftime("%H:%M")
    assert local.min() >= "09:15" and local.max() <= "15:30"
    assert "09:08" not in set(local) and "15:32" not in set(local)
    assert bars.attrs["dropped_outside_session"] > 0
    assert bars["ts"].is_monotonic_increasing and not bars["ts"].duplicated().any()
    first = bars.iloc[0]
    assert (first["open"], first["high"], first["low"], first["close"]) == (
        13997.9,
        14020.85,
        13991.35,
        14013.15,
    )
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()


def test_intraday_bars_respect_the_clock(replay, clock) -> None:
    clock.now = dt.datetime(2021, 1, 4, 10, 0, tzinfo=IST)
    bars = replay.get_candles(
        "BANKNIFTY", "1m", dt.datetime(2021, 1, 4, tzinfo=IST), dt.datetime(2021, 1, 5, tzinfo=IST)
    )
    assert bars["ts"].max() + pd.Timedelta(minutes=1) <= pd.Timestamp(clock.now)
    assert bars["ts"].max() == pd.Timestamp("2021-01-04 09:59", tz="Asia/Kolkata")
    quote = replay.get_quote("BANKNIFTY")
    assert list(quote.columns) == list(QUOTE_COLUMNS)
    assert quote["ltp"].iloc[0] == bars["close"].iloc[-1]
    assert (
        quote["high"].iloc[0] == bars["high"].max()
        and quote["open"].iloc[0] == bars["open"].iloc[0]
    )


def test_three_minute_bars(replay, clock) -> None:
    clock.now = dt.datetime(2025, 8, 1, 16, 0, tzinfo=IST)
    bars = replay.get_candles(
        "INDIA VIX",
        "3m",
        dt.datetime(2025, 7, 30, tzinfo=IST),
        dt.datetime(2025, 7, 31, tzinfo=IST),
    )
    assert (bars["symbol"] == "INDIAVIX").all() and (bars["interval"] == "3m").all()
    steps = bars["ts"].diff().dropna()
    assert (steps == pd.Timedelta(minutes=3)).mean() > 0.95
    assert bars.iloc[0][["open", "high", "low", "close"]].tolist() == [11.53, 11.78, 10.61, 11.68]


def test_daily_layouts_null_rows_and_stuck_niftybank_rows(replay) -> None:
    nifty = replay.get_candles(
        "NIFTY",
        "1d",
        dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2024, 12, 31, tzinfo=dt.UTC),
    )
    assert (
        nifty["ts"].is_unique and nifty.attrs["null_rows_dropped"] >= 6 - 6
    )  # NIFTY files have none
    jan3 = nifty.loc[nifty["ts"] == pd.Timestamp("2000-01-03", tz="Asia/Kolkata")].iloc[0]
    assert jan3["close"] == 1592.2  # NSE-layout file wins
    last = nifty.iloc[-1]
    assert last["ts"] == pd.Timestamp("2024-12-30", tz="Asia/Kolkata")  # yfinance layout extends it
    bank = replay.get_candles(
        "BANKNIFTY",
        "1d",
        dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    )
    assert bank.attrs["stuck_ohl_rows"] == 1369 and bank.attrs["null_rows_dropped"] == 6
    early = bank.loc[bank["ts"] <= pd.Timestamp("2005-06-09", tz="Asia/Kolkata")]
    assert early[["open", "high", "low"]].isna().all().all() and early["close"].notna().all()
    valid = bank.dropna(subset=["open", "high", "low"])
    assert (valid["close"] <= valid["high"] + 1e-6).all() and (
        valid["close"] >= valid["low"] - 1e-6
    ).all()
    assert not bank["close"].isna().any()


def test_daily_bar_is_known_only_after_the_close(replay, clock) -> None:
    clock.now = dt.datetime(2020, 3, 23, 15, 0, tzinfo=IST)
    window = (dt.datetime(2020, 3, 20, tzinfo=IST), dt.datetime(2020, 3, 24, tzinfo=IST))
    assert replay.get_candles("NIFTY", "1d", *window)["ts"].max() == pd.Timestamp(
        "2020-03-20", tz="Asia/Kolkata"
    )
    clock.now = dt.datetime(2020, 3, 23, 15, 30, tzinfo=IST)
    assert replay.get_candles("NIFTY", "1d", *window)["ts"].max() == pd.Timestamp(
        "2020-03-23", tz="Asia/Kolkata"
    )


def test_eod_chain_from_contract_history(replay) -> None:
    chain = replay.get_eod_chain("NIFTY", dt.date(2019, 3, 1))
    validate_chain(chain)
    assert chain.attrs["lot_size"] == 75
    row = chain.loc[(chain["strike"] == 11600) & (chain["option_type"] == "CE")].iloc[0]
    assert row["oi"] == 176700 / 75 and row["oi_change"] == 24150 / 75 and row["volume"] == 2702
    assert row["ltp"] == 4.15
    assert_allclose(
        row["underlying_price"], 10863.5, atol=0.01
    )  # NSE wrote "-": daily close filled in
    jan = replay.get_eod_chain("NIFTY", dt.date(2019, 1, 1))
    assert jan["underlying_price"].iloc[0] == 10910.1  # NSE's own Underlying Value
    assert set(jan["option_type"]) == {"CE", "PE"}
    with pytest.raises(NoDataError, match="recorded dates"):
        replay.get_eod_chain("NIFTY", dt.date(2019, 2, 1))


def test_recorded_days_and_unknown_requests(replay) -> None:
    assert replay.recorded_days("NIFTY") == [
        dt.date(2019, 8, 23), dt.date(2020, 4, 20), dt.date(2020, 5, 14),
        dt.date(2022, 3, 24), dt.date(2025, 7, 16), dt.date(2025, 7, 17),
    ]  # fmt: skip
    assert len(replay.recorded_days("NIFTY", "contract_history")) == 41
    assert len(replay.recorded_days("NIFTY", "1m")) == 40
    with pytest.raises(NoDataError, match="15m"):
        replay.get_candles("NIFTY", "15m", dt.datetime(2021, 1, 1), dt.datetime(2021, 1, 2))
    with pytest.raises(NoDataError):
        replay.get_option_chain("RELIANCE")
    assert np.isfinite(replay.get_quote("NIFTY")["ltp"].iloc[0])
