"""NSE quote and daily-history parsers over recorded real payloads (tests/data/nse)."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from optionsintel.frames import CANDLE_COLUMNS, QUOTE_COLUMNS
from optionsintel.providers.base import NoDataError, SchemaDriftError
from optionsintel.providers.nse_quotes import (
    parse_all_indices,
    parse_equity_history,
    parse_quote_equity,
)

ALL_INDICES = "nse_allIndices_EXCERPT_2021-06-01_GamesBond008.json"
QUOTE_EQUITY = "nse_quote_equity_RBLBANK_2021-06-01_GamesBond008.json"
HISTORY = "nse_historical_cm_equity_RBLBANK_2021-05-20_to_25_GamesBond008.json"


def test_all_indices_quote_of_nifty(nse_test_json) -> None:
    q = parse_all_indices(nse_test_json(ALL_INDICES), "NIFTY")
    assert list(q.columns) == list(QUOTE_COLUMNS) and len(q) == 1
    row = q.iloc[0]
    assert (row["ltp"], row["open"], row["high"], row["low"], row["prev_close"]) == (
        15574.85, 15629.65, 15660.75, 15528.3, 15582.8,
    )  # fmt: skip
    assert row["snapshot_ts"] == pd.Timestamp("2021-06-01 10:00", tz="UTC")
    assert row["underlying"] == "NIFTY" and row["provider"] == "nse"


def test_all_indices_unknown_index_and_drift(nse_test_json) -> None:
    payload = nse_test_json(ALL_INDICES)
    with pytest.raises(NoDataError, match="NIFTY BANK"):
        parse_all_indices(payload, "BANKNIFTY")  # the excerpt holds NIFTY 50 only
    broken = copy.deepcopy(payload)
    del broken["data"][0]["previousClose"]
    with pytest.raises(SchemaDriftError, match="previousClose"):
        parse_all_indices(broken, "NIFTY")


def test_quote_equity_of_rblbank(nse_test_json) -> None:
    row = parse_quote_equity(nse_test_json(QUOTE_EQUITY)).iloc[0]
    assert row["underlying"] == "RBLBANK"
    assert (row["ltp"], row["open"], row["high"], row["low"], row["prev_close"]) == (
        211.5, 215.1, 216.3, 210.05, 214.2,
    )  # fmt: skip
    assert row["exchange_ts"] == pd.Timestamp("2021-06-01 10:30", tz="UTC")  # 16:00 IST


def test_equity_history_daily_candles(nse_test_json) -> None:
    candles = parse_equity_history(nse_test_json(HISTORY))
    assert list(candles.columns) == list(CANDLE_COLUMNS)
    assert candles["ts"].is_monotonic_increasing and (candles["interval"] == "1d").all()
    last = candles.iloc[-1]
    assert last["ts"] == pd.Timestamp("2021-05-24 18:30", tz="UTC")  # 25-May-2021 00:00 IST
    assert (last["open"], last["high"], last["low"], last["close"], last["volume"]) == (
        211.5, 211.75, 205.05, 206.1, 9106739,
    )  # fmt: skip
    assert (candles[["open", "close"]].to_numpy() <= candles[["high"]].to_numpy()).all()
