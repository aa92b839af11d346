import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optionsintel.calendar import (
    calendar_coverage,
    holidays,
    is_trading_day,
    next_trading_day,
    previous_trading_day,
    special_sessions,
    trading_days,
)
from optionsintel.errors import CalendarError

KNOWN_HOLIDAYS = [
    "2019-03-04", "2019-04-29", "2019-10-21", "2019-10-28",
    "2020-04-14", "2020-11-30", "2021-01-26", "2021-11-05",
    "2022-03-18", "2022-10-24", "2023-06-29", "2023-11-27",
    "2024-01-22", "2024-05-20", "2024-11-20", "2024-12-25",
    "2025-08-15", "2025-10-02", "2025-10-21", "2025-11-05",
    "2026-01-15", "2026-03-03", "2026-11-24", "2026-12-25",
]  # fmt: skip

dates = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2026, 12, 20))


def test_coverage():
    cov = calendar_coverage()
    assert (cov.first_year, cov.last_year) == (2019, 2026)
    assert cov.first_date == dt.date(2019, 1, 1) and cov.last_date == dt.date(2026, 12, 31)


@pytest.mark.parametrize("day", KNOWN_HOLIDAYS)
def test_known_holidays_are_closed(day):
    assert is_trading_day(dt.date.fromisoformat(day)) is False


def test_bakri_id_2023_moved_to_29th():
    assert is_trading_day(dt.date(2023, 6, 28)) is True
    assert is_trading_day(dt.date(2023, 6, 29)) is False


def test_trading_day_and_weekend():
    assert is_trading_day(dt.date(2024, 7, 4)) is True
    assert is_trading_day(dt.date(2024, 7, 6)) is False  # Saturday
    assert is_trading_day(pd.Timestamp("2024-07-07")) is False  # Sunday


def test_special_sessions_are_not_trading_days():
    sessions = special_sessions()
    assert {"muhurat", "budget"} <= set(sessions["kind"])
    assert not is_trading_day(list(sessions["date"])).any()


def test_aware_timestamp_uses_india_date():
    # 2024-07-04 20:00 UTC is Friday 01:30 IST; 2024-07-05 20:00 UTC is Saturday in India.
    assert is_trading_day(pd.Timestamp("2024-07-05 20:00", tz="UTC")) is False
    assert is_trading_day(pd.Timestamp("2024-07-04 20:00", tz="UTC")) is True


def test_vectorised_shapes():
    arr = is_trading_day(np.array(["2024-01-22", "2024-01-23"], dtype="datetime64[D]"))
    np.testing.assert_array_equal(arr, [False, True])
    ser = pd.Series(pd.to_datetime(["2024-01-22", "2024-01-23"]), index=["a", "b"])
    out = is_trading_day(ser)
    assert list(out.index) == ["a", "b"] and out.tolist() == [False, True]


@pytest.mark.parametrize("day", ["2018-12-31", "2027-01-04", dt.date(2030, 5, 6)])
def test_out_of_coverage_raises(day):
    with pytest.raises(CalendarError, match="outside the NSE calendar coverage"):
        is_trading_day(day)


def test_next_previous_cross_coverage_end_raises():
    with pytest.raises(CalendarError):
        next_trading_day(dt.date(2026, 12, 31))
    with pytest.raises(CalendarError):
        previous_trading_day(dt.date(2019, 1, 1))


def test_next_previous_known_cases():
    assert next_trading_day(dt.date(2024, 1, 19)) == dt.date(2024, 1, 23)
    assert previous_trading_day(dt.date(2023, 6, 30)) == dt.date(2023, 6, 28)
    assert next_trading_day(dt.date(2025, 10, 20)) == dt.date(2025, 10, 23)


def test_trading_days_counts():
    days = trading_days("2024-01-01", "2024-12-31")
    assert isinstance(days, pd.DatetimeIndex)
    # 262 weekdays in 2024 minus 17 weekday holidays.
    assert len(days) == 262 - 17
    assert len(trading_days("2024-01-02", "2024-01-01")) == 0


def test_holidays_frame_names_sources():
    frame = holidays("2024-01-01", "2024-12-31")
    assert len(frame) == 17 and frame["source"].str.contains("NSE").all()


def test_holidays_match_recorded_bars(recorded_bar_dates):
    """Every weekday without bars is a holiday and vice versa (bars from NSE / 3-min feed)."""
    for (start, end), traded in recorded_bar_dates.items():
        weekdays = pd.bdate_range(start, end)
        expected = set(weekdays[is_trading_day(weekdays)].date)
        observed = {d for d in traded if d.weekday() < 5} & set(weekdays.date)
        extra = observed - expected
        # Muhurat sessions on weekday holidays show up in intraday bars.
        assert extra <= set(special_sessions()["date"]), extra
        assert expected - observed == set()


@settings(max_examples=200, deadline=None)
@given(dates, st.integers(0, 60))
def test_trading_days_sorted_and_all_trading(start, span):
    end = min(start + dt.timedelta(days=span), dt.date(2026, 12, 31))
    days = trading_days(start, end)
    assert days.is_monotonic_increasing and days.is_unique
    if len(days):
        assert is_trading_day(days).all()
    weekdays = pd.bdate_range(start, end)
    assert len(days) == int(is_trading_day(weekdays).sum()) if len(weekdays) else len(days) == 0


@settings(max_examples=200, deadline=None)
@given(dates)
def test_next_and_previous_properties(day):
    nxt = next_trading_day(day)
    assert nxt > day and is_trading_day(nxt)
    assert len(trading_days(day + dt.timedelta(days=1), nxt - dt.timedelta(days=1))) == 0
    if day > dt.date(2019, 1, 5):
        prev = previous_trading_day(day)
        assert prev < day and is_trading_day(prev)
