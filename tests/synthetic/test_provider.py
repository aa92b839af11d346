from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from optionsintel.frames import CANDLE_COLUMNS, CHAIN_COLUMNS, QUOTE_COLUMNS
from optionsintel.providers.base import MarketDataProvider, NoDataError
from optionsintel.providers.synthetic import SyntheticProvider
from optionsintel.synthetic import SyntheticMarket, index_daily_ohlc

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


def _provider(when: dt.datetime) -> SyntheticProvider:
    return SyntheticProvider(seed=9, clock=lambda: when)


def test_conforms_to_the_provider_interface():
    p = SyntheticProvider(seed=1)
    assert isinstance(p, MarketDataProvider) and p.name == "synthetic"


def test_quote_is_the_latest_tick_at_or_before_the_clock():
    now = dt.datetime(2025, 7, 16, 11, 0, 7, tzinfo=IST)
    q = _provider(now).get_quote("NIFTY")
    assert list(q.columns) == list(QUOTE_COLUMNS) and len(q) == 1
    assert q["snapshot_ts"].iloc[0] == pd.Timestamp("2025-07-16 11:00:00", tz=IST)


def test_outside_the_session_the_last_close_is_served():
    q = _provider(dt.datetime(2025, 7, 19, 12, 0, tzinfo=IST)).get_quote("BANKNIFTY")  # Saturday
    close = index_daily_ohlc("BANKNIFTY", "2025-07-18", "2025-07-18", seed=9)["close"].iloc[0]
    assert q["ltp"].iloc[0] == pytest.approx(close)
    early = _provider(dt.datetime(2025, 7, 16, 8, 0, tzinfo=IST)).get_quote("BANKNIFTY")
    assert early["snapshot_ts"].iloc[0] == pd.Timestamp("2025-07-15 15:30", tz=IST)


def test_option_chain_all_and_one_expiry():
    p = _provider(dt.datetime(2025, 7, 16, 14, 0, tzinfo=IST))
    chain = p.get_option_chain("NIFTY")
    assert list(chain.columns) == list(CHAIN_COLUMNS) and chain["expiry"].nunique() > 3
    one = p.get_option_chain("NIFTY", dt.date(2025, 7, 24))
    assert (one["expiry"] == pd.Timestamp("2025-07-24")).all() and len(one) > 100
    with pytest.raises(NoDataError, match="no expiry"):
        p.get_option_chain("NIFTY", dt.date(2025, 7, 25))
    with pytest.raises(NoDataError):
        p.get_option_chain("SENSEX")


def test_candles_index_intraday_daily_and_equity():
    p = _provider(dt.datetime(2025, 7, 16, 15, 0, tzinfo=IST))
    start, end = dt.datetime(2025, 7, 14, tzinfo=IST), dt.datetime(2025, 7, 15, 23, tzinfo=IST)
    m15 = p.get_candles("NIFTY", "15m", start, end)
    assert list(m15.columns) == list(CANDLE_COLUMNS) and len(m15) == 2 * 25
    d1 = p.get_candles("NIFTY", "1d", start, end)
    assert len(d1) == 2
    day = m15.loc[m15["ts"].dt.tz_convert(IST).dt.date == dt.date(2025, 7, 15)]
    assert day["high"].max() == pytest.approx(d1["high"].iloc[1])
    assert day["close"].iloc[-1] == pytest.approx(d1["close"].iloc[1])
    sym = SyntheticMarket(seed=9).equities()["symbol"].iloc[0]
    eq = p.get_candles(sym, "1d", start, end)
    assert len(eq) == 2 and (eq["symbol"] == sym).all()
    with pytest.raises(NoDataError, match="daily candles only"):
        p.get_candles(sym, "1m", start, end)
    with pytest.raises(ValueError, match="unknown interval"):
        p.get_candles("NIFTY", "7m", start, end)


def test_market_config_rejects_unknown_underlyings():
    with pytest.raises(NoDataError):
        SyntheticMarket(underlyings=("NIFTY", "XYZ"))
