"""User input to backtest settings and sweep grids: fuzzed, never more than a one-line error."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optionsintel.errors import OptionsIntelError
from optionsintel.services.backtest_inputs import parse_grid, settings_from_plain

NAMES = ["stop_loss", "target", "trailing_stop", "max_bars", "amount", "fraction", "lookback",
         "target_volatility", "stoploss", "", "max_bars ", "x=y"]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(
    st.text(max_size=40),
    st.builds(lambda n, vs: f"{n}={','.join(vs)}", st.sampled_from(NAMES),
              st.lists(st.one_of(st.text(max_size=6), st.floats(allow_nan=True).map(str),
                                 st.integers(-5, 50).map(str)), max_size=4)),
), max_size=4))  # fmt: skip
def test_parse_grid_returns_numbers_or_one_line_error(items: list[str]) -> None:
    try:
        grid = parse_grid(items)
    except OptionsIntelError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 300
        return
    for name, values in grid.items():
        assert values and all(isinstance(v, int | float) for v in values), (name, values)
        assert name in NAMES


@settings(max_examples=120, deadline=None)
@given(st.dictionaries(
    st.sampled_from(["direction", "exit_rules", "sizing", "segment", "brokerage", "init_cash",
                     "portfolio", "execution", "overrides", "bogus"]),
    st.one_of(st.none(), st.text(max_size=8), st.floats(allow_nan=True), st.integers(-3, 3),
              st.dictionaries(st.sampled_from(["stop_loss", "kind", "amount", "max_bars", "x"]),
                              st.one_of(st.floats(allow_nan=True), st.text(max_size=5),
                                        st.integers(-2, 30)), max_size=3)),
    max_size=5,
))  # fmt: skip
def test_settings_from_plain_is_valid_or_refused(plain: dict) -> None:
    try:
        cfg = settings_from_plain(plain)
    except OptionsIntelError as exc:
        assert "\n" not in str(exc)
        return
    except (TypeError, ValueError) as exc:  # pragma: no cover - reported as a failure
        raise AssertionError(f"{type(exc).__name__} escaped: {exc}") from exc
    assert cfg.direction in ("long", "short") and cfg.init_cash > 0
    assert math.isfinite(cfg.init_cash)
    assert math.isfinite(cfg.sizing.amount) and cfg.sizing.amount > 0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 0.0, -1.0])
@pytest.mark.parametrize("where", ["amount", "target_volatility", "init_cash"])
def test_a_non_finite_or_non_positive_amount_is_refused_in_one_line(bad: float, where: str):
    plain: dict = {"sizing": {"kind": "fixed_amount"}}
    if where == "init_cash":
        plain["init_cash"] = bad
    else:
        plain["sizing"][where] = bad
    with pytest.raises(OptionsIntelError) as info:
        settings_from_plain(plain)
    assert "\n" not in str(info.value) and "positive" in str(info.value)
