import datetime as dt

import numpy as np
import pandas as pd
import pytest

from optionsintel.calendar import (
    contract_spec,
    days_to_expiry,
    is_market_open,
    lot_size,
    session_bounds,
    session_times,
    strike_step,
    years_to_expiry,
)
from optionsintel.errors import CalendarError

D = dt.date


def test_session_bounds_utc_and_ist():
    open_utc, close_utc = session_bounds(D(2024, 7, 4))
    assert open_utc == pd.Timestamp("2024-07-04 03:45", tz="UTC")
    assert close_utc == pd.Timestamp("2024-07-04 10:00", tz="UTC")
    open_ist, close_ist = session_bounds(D(2024, 7, 4), tz="Asia/Kolkata")
    assert (open_ist.hour, open_ist.minute, close_ist.hour, close_ist.minute) == (9, 15, 15, 30)
    assert session_times()["pre_open_start"] == dt.time(9, 0)


def test_session_bounds_non_trading_day_raises():
    with pytest.raises(CalendarError, match="not an NSE trading day"):
        session_bounds(D(2025, 8, 15))


def test_is_market_open():
    ts = pd.to_datetime(
        ["2024-07-04 03:44:59", "2024-07-04 03:45:00", "2024-07-04 10:00:00", "2024-07-04 10:00:01",
         "2024-07-06 05:00:00", "2024-01-22 05:00:00"]
    ).tz_localize("UTC")  # fmt: skip
    np.testing.assert_array_equal(is_market_open(ts), [False, True, True, False, False, False])
    with pytest.raises(CalendarError, match="timezone-aware"):
        is_market_open(pd.Timestamp("2024-07-04 10:00"))


def test_days_to_expiry():
    assert days_to_expiry(D(2024, 7, 1), D(2024, 7, 4)) == 3
    assert days_to_expiry(D(2024, 7, 4), D(2024, 7, 4), basis="trading") == 0
    # Fri 2024-01-19 -> Thu 2024-01-25: Mon 22nd holiday, so Tue/Wed/Thu = 3 trading days.
    assert days_to_expiry(D(2024, 1, 19), D(2024, 1, 25), basis="trading") == 3
    out = days_to_expiry(["2024-07-01", "2024-07-02"], D(2024, 7, 4))
    np.testing.assert_array_equal(out, [3, 2])


def test_years_to_expiry_calendar():
    ts = pd.Timestamp("2024-07-03 10:00", tz="UTC")  # exactly one day before expiry close
    np.testing.assert_allclose(years_to_expiry(ts, D(2024, 7, 4)), 1 / 365, rtol=1e-12)
    assert years_to_expiry(pd.Timestamp("2024-07-05", tz="UTC"), D(2024, 7, 4)) == 0.0


def test_years_to_expiry_trading():
    open_ts = pd.Timestamp("2024-07-04 09:15", tz="Asia/Kolkata")
    np.testing.assert_allclose(years_to_expiry(open_ts, D(2024, 7, 4), "trading"), 1 / 252)
    midday = pd.Timestamp("2024-07-04 12:22:30", tz="Asia/Kolkata")  # 187.5 of 375 min left
    np.testing.assert_allclose(years_to_expiry(midday, D(2024, 7, 4), "trading"), 0.5 / 252)
    # Friday 2024-01-19 after the close: Tue 23, Wed 24, Thu 25 are left (22nd holiday).
    friday = pd.Timestamp("2024-01-19 16:00", tz="Asia/Kolkata")
    np.testing.assert_allclose(years_to_expiry(friday, D(2024, 1, 25), "trading"), 3 / 252)
    with pytest.raises(CalendarError, match="basis"):
        years_to_expiry(friday, D(2024, 1, 25), "business")


@pytest.mark.parametrize(
    ("underlying", "day", "lot"),
    [
        ("NIFTY", D(2019, 6, 3), 75), ("NIFTY", D(2021, 7, 22), 75),
        ("NIFTY", D(2021, 7, 23), 50), ("NIFTY", D(2022, 5, 5), 50),
        ("NIFTY", D(2024, 4, 25), 50), ("NIFTY", D(2024, 4, 26), 25),
        ("NIFTY", D(2024, 12, 26), 25), ("NIFTY", D(2024, 12, 27), 75),
        ("NIFTY", D(2025, 12, 31), 65), ("BANKNIFTY", D(2020, 1, 2), 20),
        ("BANKNIFTY", D(2022, 3, 28), 25), ("BANKNIFTY", D(2024, 3, 15), 15),
        ("BANKNIFTY", D(2025, 2, 3), 30), ("BANKNIFTY", D(2025, 7, 1), 35),
        ("FINNIFTY", D(2024, 3, 15), 40), ("FINNIFTY", D(2024, 8, 1), 25),
        ("FINNIFTY", D(2025, 3, 3), 65), ("MIDCPNIFTY", D(2024, 3, 15), 75),
    ],
)  # fmt: skip
def test_lot_sizes_across_revisions(underlying, day, lot):
    # 2022-05-05 NIFTY 50 and Mar-Apr 2024 (NIFTY 50/BANKNIFTY 15/FINNIFTY 40/MIDCPNIFTY 75)
    # also appear in the recorded Angel One scrip-master excerpts.
    assert lot_size(underlying, day) == lot


def test_lot_size_vectorised_and_errors():
    np.testing.assert_array_equal(lot_size("NIFTY", ["2024-04-25", "2024-04-26"]), [50, 25])
    with pytest.raises(CalendarError, match="contract master"):
        lot_size("RELIANCE", D(2024, 1, 2))
    with pytest.raises(CalendarError, match="no FINNIFTY lot size before"):
        lot_size("FINNIFTY", D(2020, 6, 1))


def test_contract_spec():
    spec = contract_spec("nifty", D(2024, 7, 4))
    assert (spec.underlying, spec.segment, spec.lot_size) == ("NIFTY", "index", 25)
    assert (spec.tick_size, spec.strike_step, spec.weekly_expiries) == (0.05, 50.0, True)
    bank = contract_spec("BANKNIFTY", D(2025, 3, 3))
    assert bank.weekly_expiries is False and bank.strike_step == 100.0
    stock = contract_spec("TCS", D(2024, 7, 4))
    assert stock.segment == "equity" and stock.lot_size is None
    assert strike_step("FINNIFTY", D(2024, 7, 4)) == 50.0
