"""Records for JSON: instants round-trip with their IST offset, NaN becomes null."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from optionsintel.services.serialise import iso, records


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.datetimes(min_value=pd.Timestamp("1990-01-01"),
                                                  max_value=pd.Timestamp("2100-01-01"))),
                min_size=1, max_size=20))  # fmt: skip
def test_instants_round_trip_with_offset(values) -> None:
    col = pd.to_datetime(pd.Series(values, dtype="object"), utc=True)
    out = [r["ts"] for r in records(pd.DataFrame({"ts": col}))]
    for got, want in zip(out, col, strict=True):
        if pd.isna(want):
            assert got is None
        else:
            assert got.endswith("+05:30") and pd.Timestamp(got) == want
            assert got == iso(want)


def test_dates_floats_and_objects() -> None:
    frame = pd.DataFrame({"d": pd.to_datetime(["2025-07-17", None]), "x": [1.25, np.nan],
                          "j": [{"a": 1}, None], "n": [1, 2]})  # fmt: skip
    assert records(frame) == [{"d": "2025-07-17", "x": 1.25, "j": {"a": 1}, "n": 1},
                              {"d": None, "x": None, "j": None, "n": 2}]  # fmt: skip
    assert records(frame.iloc[:0]) == []
