"""Issue 21: ``ist_days`` from distinct instants gives the days the per-row version gave."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from optionsintel.store.partitions import IST, ist_days


def _per_row(timestamps: pd.Series) -> list:
    ts = pd.to_datetime(timestamps, utc=True).dt.tz_convert(IST)
    return sorted({d for d in ts.dt.date.unique()})


instants = st.datetimes(
    min_value=pd.Timestamp("2019-01-01").to_pydatetime(),
    max_value=pd.Timestamp("2031-12-31").to_pydatetime(),
    timezones=st.sampled_from([pd.Timestamp("2025-01-01", tz="UTC").tzinfo, IST]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(instants, min_size=1, max_size=40))
def test_ist_days_equal_the_per_row_days(values: list) -> None:
    s = pd.Series(pd.to_datetime(values, utc=True))
    assert ist_days(s) == _per_row(s)


def test_ist_midnight_edges() -> None:
    s = pd.Series(
        pd.to_datetime(["2025-07-16 18:29:59.999999+00:00", "2025-07-16 18:30:00.000000+00:00"])
    )
    assert [d.isoformat() for d in ist_days(s)] == ["2025-07-16", "2025-07-17"]
