"""option_sign maps labels through one factorize (issue 21): same signs, same refusals.

The previous implementation (a comparison of every row with "CE", then with "PE") is
kept here as the reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optionsintel.pricing import greeks
from optionsintel.pricing._inputs import PricingInputError, as_arrays, option_sign

_CALLS = {"ce", "call", "c"}
_PUTS = {"pe", "put", "p"}


def _reference(labels: np.ndarray) -> np.ndarray:
    flat = labels.reshape(-1)
    call = flat == "CE"
    if (flat[~call] == "PE").all():
        return np.where(call, 1.0, -1.0).reshape(labels.shape)
    out = []
    for v in flat:
        key = str(v).strip().lower()
        out.append(1.0 if key in _CALLS else -1.0)
    return np.array(out).reshape(labels.shape)


LABELS = st.sampled_from(["CE", "PE", "call", "Put", " c ", "p", "CALL"])


@settings(max_examples=60, deadline=None)
@given(st.lists(LABELS, min_size=1, max_size=200), st.booleans())
def test_signs_equal_the_per_row_comparison(labels: list[str], as_series: bool) -> None:
    arr = np.array(labels, dtype=object)
    got = option_sign(pd.Series(arr) if as_series else arr)
    np.testing.assert_array_equal(got, _reference(arr), strict=True)


def test_fixed_width_text_and_2d() -> None:
    arr = np.array([["CE", "PE"], ["pe", "ce"]])  # dtype <U2
    np.testing.assert_array_equal(option_sign(arr), [[1.0, -1.0], [-1.0, 1.0]], strict=True)


@pytest.mark.parametrize("bad", [["CE", "XX"], ["CE", None], ["PE", float("nan")]])
def test_refusals_unchanged(bad: list[object]) -> None:
    with pytest.raises(PricingInputError):
        option_sign(np.array(bad, dtype=object))


def test_greeks_equal_with_and_without_input_copies() -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    args = dict(
        forward_or_spot=rng.uniform(20_000, 60_000, n),
        strike=rng.uniform(18_000, 65_000, n),
        time_to_expiry=rng.uniform(0.0, 1.5, n),
        rate=0.065,  # a scalar: broadcast with stride 0 when not copied
        volatility=rng.uniform(0.0, 0.6, n),
        option_type=np.where(rng.random(n) < 0.5, "CE", "PE").astype(object),
        dividend_yield=0.0,
    )
    copied, _, _ = as_arrays(**args)
    views, _, _ = as_arrays(copy=False, **args)
    for a, b in zip(copied, views, strict=True):
        np.testing.assert_array_equal(a, b, strict=True)
    before = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in args.items()}
    greeks(*(args[k] for k in list(args)[:6]))
    for k, v in before.items():  # inputs left as they were
        np.testing.assert_array_equal(args[k], v)
