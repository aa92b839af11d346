import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optionsintel.transforms.ticks import (
    CollectionScheduleError,
    align_tick,
    missing_ticks,
    remaining_ticks,
    session_ticks,
)

DAY = dt.date(2025, 7, 16)


def test_session_grid_covers_open_to_close():
    ticks = session_ticks(DAY, 15)
    assert len(ticks) == 1501  # 6h15m / 15 s + 1
    assert ticks[0] == pd.Timestamp("2025-07-16 09:15", tz="Asia/Kolkata")
    assert ticks[-1] == pd.Timestamp("2025-07-16 15:30", tz="Asia/Kolkata")
    assert ticks.is_unique and ticks.is_monotonic_increasing


def test_close_always_included_for_uneven_interval():
    ticks = session_ticks(DAY, 900 + 15)
    assert ticks[-1] == pd.Timestamp("2025-07-16 15:30", tz="Asia/Kolkata")


@pytest.mark.parametrize("bad", [0, -15, 10, 20])
def test_interval_must_be_multiple_of_15(bad):
    with pytest.raises(CollectionScheduleError, match="multiple of 15"):
        session_ticks(DAY, bad)


def test_holiday_has_no_grid():
    with pytest.raises(CollectionScheduleError, match="not an NSE trading day"):
        session_ticks(dt.date(2025, 8, 15), 15)


@given(
    st.integers(min_value=0, max_value=6 * 3600 + 15 * 60 - 1), st.sampled_from([15, 30, 60, 300])
)
@settings(max_examples=60, deadline=None)
def test_align_tick_is_on_grid_and_not_after(offset, interval):
    ts = pd.Timestamp("2025-07-16 09:15", tz="Asia/Kolkata") + pd.Timedelta(seconds=offset)
    tick = align_tick(ts, interval)
    assert tick <= ts
    assert ts - tick < pd.Timedelta(seconds=interval)
    assert tick in session_ticks(DAY, interval)


def test_remaining_ticks_apply_the_catch_up_rule():
    now = pd.Timestamp("2025-07-16 12:00:07", tz="Asia/Kolkata")
    rest = remaining_ticks(now, 15)
    # 12:00:00 is 7 s old (within one interval): still collectable; 11:59:45 is not.
    assert rest[0] == pd.Timestamp("2025-07-16 12:00:00", tz="Asia/Kolkata")
    assert rest[-1] == pd.Timestamp("2025-07-16 15:30", tz="Asia/Kolkata")
    assert remaining_ticks(pd.Timestamp("2025-07-16 15:31", tz="Asia/Kolkata"), 15).empty
    assert remaining_ticks(pd.Timestamp("2025-08-15 10:00", tz="Asia/Kolkata"), 15).empty


def test_missing_ticks_names_the_gaps():
    ticks = session_ticks(DAY, 15)
    observed = ticks.delete([3, 4, 100])
    gaps = missing_ticks(observed, DAY, 15)
    assert list(gaps) == [ticks[3], ticks[4], ticks[100]]
    assert missing_ticks(observed, DAY, 15, until=ticks[2]).empty
