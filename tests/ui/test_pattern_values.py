"""How the pattern builder shows a condition's values (the "why it matched" column)."""

from __future__ import annotations

import math

import pytest

from optionsintel.ui.pattern_views import _value


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (62_950.4, "62,950"),  # an index close was shown as 6.295e+04
        (1_234_567.0, "1,234,567"),
        (-25_000.0, "-25,000"),
        (3_880.2, "3,880"),
        (21.389541, "21.39"),
        (0.5, "0.5"),
        (math.nan, "–"),
        (math.inf, "–"),
    ],
)
def test_values_are_plain_numbers(value: float, shown: str) -> None:
    assert _value(value) == shown
