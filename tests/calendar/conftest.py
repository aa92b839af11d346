"""Shared helpers for calendar tests: recorded NSE bars and option chains.

The recorded files are the gzip copies shipped with the replay provider
(src/optionsintel/providers/replay_data/, provenance in the PROVENANCE.md next to them).
"""

from __future__ import annotations

import gzip
import json
from importlib import resources

import pandas as pd
import pytest

_REPLAY = resources.files("optionsintel.providers").joinpath("replay_data")


def _open(sub: str, name: str):
    return gzip.open(_REPLAY.joinpath(sub, name).open("rb"), "rt", encoding="utf-8")


@pytest.fixture(scope="session")
def recorded_bar_dates():
    """Dates with NIFTY bars: {(start, end): set of dates}, per recorded source."""
    with _open("market", "NIFTY50_daily_2000-01-03_2021-08-26_arun7pulse.csv.gz") as fh:
        nse = pd.to_datetime(pd.read_csv(fh)["date"])
    with _open("market", "intraday_3min_NIFTY_helpdeskdcp.csv.gz") as fh:
        intraday = pd.to_datetime(pd.read_csv(fh)["datetime"]).dt.normalize()
    return {
        ("2019-01-01", "2021-08-26"): set(pd.DatetimeIndex(nse).date),
        ("2025-07-23", "2026-08-04"): set(pd.DatetimeIndex(intraday).date),
    }


def _chain_expiries(name: str) -> list[str]:
    with _open("nse", name) as fh:
        return json.load(fh)["records"]["expiryDates"]


@pytest.fixture(scope="session")
def chain_expiries():
    """Reader of the ``records.expiryDates`` list of a recorded NSE option-chain response."""
    return _chain_expiries
