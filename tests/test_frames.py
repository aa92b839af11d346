"""Core frame helpers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from optionsintel.frames import to_jsonable


def test_to_jsonable_gives_plain_json_without_nan():
    value = {
        1: np.array([1.5, np.nan]),
        "t": pd.Timestamp("2025-07-16 10:00", tz="UTC"),
        "n": (np.int64(3), np.float64("nan"), float("nan")),
    }
    out = to_jsonable(value)
    assert out == {"1": [1.5, None], "t": "2025-07-16T10:00:00+00:00", "n": [3, None, None]}
    assert json.loads(json.dumps(out, allow_nan=False)) == out
