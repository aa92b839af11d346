"""Legs, market state, strategies and templates: validation and structure."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from strategy_builders import AS_OF, FAR, LOT, NEAR, SPOT, STEP, build, market

from optionsintel.errors import StrategyError
from optionsintel.strategies import (
    Leg,
    LegSpec,
    MarketState,
    Strategy,
    atm_strike,
    bear_call_spread,
    bear_put_spread,
    bull_call_spread,
    bull_put_spread,
    calendar_spread,
    call_butterfly,
    covered_call,
    covered_put,
    default_lot_size,
    diagonal_spread,
    iron_butterfly,
    iron_condor,
    long_straddle,
    long_strangle,
    put_butterfly,
    ratio_spread,
    reverse,
    short_straddle,
    short_strangle,
)


def _leg(**kw):
    base = dict(
        instrument="CE",
        side="buy",
        expiry=NEAR,
        lots=1,
        lot_size=75,
        premium=100.0,
        strike=25_000.0,
        iv=0.15,
    )
    base.update(kw)
    return Leg(**base)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("instrument", "XX", "instrument"),
        ("side", "long", "side"),
        ("lots", 0, "lots"),
        ("lots", True, "lots"),
        ("lots", 1.5, "lots"),
        ("lot_size", -75, "lot_size"),
        ("premium", -1.0, "premium"),
        ("premium", float("nan"), "premium"),
        ("strike", None, "strike"),
        ("strike", 0.0, "strike"),
        ("iv", None, "implied volatility"),
        ("iv", 15.0, "percentage"),
        ("iv", 0.0, "iv"),
        ("expiry", "not a date", "expiry"),
    ],
)
def test_invalid_leg_fields_raise_a_clear_error(field, value, message):
    with pytest.raises(StrategyError, match=message):
        _leg(**{field: value})


def test_futures_leg_has_neither_strike_nor_iv():
    with pytest.raises(StrategyError, match="futures leg"):
        _leg(instrument="FUT", premium=25_100.0, iv=None)
    fut = _leg(instrument="FUT", premium=25_100.0, strike=None, iv=None)
    assert fut.quantity == 75 and fut.label == "buy 1x FUT 2025-07-24"


def test_quantity_is_signed_lots_times_lot_size_and_expiry_is_a_date():
    leg = _leg(side="sell", lots=3, expiry=pd.Timestamp("2025-07-24"))
    assert leg.quantity == -225
    assert leg.expiry == NEAR and isinstance(leg.expiry, dt.date)
    assert leg.label == "sell 3x 25000 CE 2025-07-24"


def test_market_reads_naive_instants_as_ist_and_defaults_the_forward():
    m = MarketState(as_of="2025-07-10 15:30", spot=100.0, rate=0.05)
    assert m.as_of == pd.Timestamp("2025-07-10 10:00", tz="UTC")
    assert m.years_to(NEAR) == pytest.approx(14 / 365, abs=1e-15)
    assert m.forward(NEAR) == pytest.approx(100.0 * math.exp(0.05 * 14 / 365), rel=1e-15)
    given = MarketState(as_of="2025-07-10 15:30", spot=100.0, forwards={"2025-07-24": 101.0})
    assert given.forward(NEAR) == 101.0


def test_market_rejects_bad_values():
    with pytest.raises(StrategyError, match="spot"):
        MarketState(as_of=AS_OF, spot=0.0)
    with pytest.raises(StrategyError, match="percentage"):
        MarketState(as_of=AS_OF, spot=1.0, atm_ivs={NEAR: 14.0})


def test_strategy_rejects_no_legs_and_expired_legs():
    m = market()
    with pytest.raises(StrategyError, match="at least one leg"):
        Strategy("NIFTY", (), m)
    with pytest.raises(StrategyError, match="expired"):
        Strategy("NIFTY", (_leg(expiry="2025-07-03"),), m)


def test_lot_size_comes_from_the_calendar_for_indices_only():
    assert default_lot_size("NIFTY", "2025-07-10") == LOT
    assert default_lot_size("NIFTY", "2024-06-03") == 25
    with pytest.raises(StrategyError, match="lot_size="):
        default_lot_size("RELIANCE", "2025-07-10")


def test_build_strategy_multiplies_ratio_by_lots_and_uses_the_dated_lot_size():
    s = build(call_butterfly(SPOT, STEP, NEAR, 2), lots=3)
    assert [leg.lots for leg in s.legs] == [3, 6, 3]
    assert all(leg.lot_size == LOT for leg in s.legs)
    assert [leg.quantity for leg in s.legs] == [225, -450, 225]


def _shape(specs):
    return [(s.instrument, s.side, s.strike, s.ratio) for s in specs]


def test_templates_have_the_textbook_legs():
    k, w = 25_000.0, STEP
    assert _shape(long_straddle(k, NEAR)) == [("CE", "buy", k, 1), ("PE", "buy", k, 1)]
    assert _shape(short_straddle(k, NEAR)) == [("CE", "sell", k, 1), ("PE", "sell", k, 1)]
    assert _shape(long_strangle(k, w, NEAR, 2)) == [
        ("PE", "buy", k - 100, 1),
        ("CE", "buy", k + 100, 1),
    ]
    assert _shape(short_strangle(k, w, NEAR, 2)) == [
        ("PE", "sell", k - 100, 1),
        ("CE", "sell", k + 100, 1),
    ]
    assert _shape(bull_call_spread(k, w, NEAR)) == [("CE", "buy", k, 1), ("CE", "sell", k + w, 1)]
    assert _shape(bear_call_spread(k, w, NEAR)) == [("CE", "sell", k, 1), ("CE", "buy", k + w, 1)]
    assert _shape(bear_put_spread(k, w, NEAR)) == [("PE", "buy", k, 1), ("PE", "sell", k - w, 1)]
    assert _shape(bull_put_spread(k, w, NEAR)) == [("PE", "sell", k, 1), ("PE", "buy", k - w, 1)]
    assert _shape(iron_condor(k, w, NEAR, 2, 1)) == [
        ("PE", "buy", k - 150, 1),
        ("PE", "sell", k - 100, 1),
        ("CE", "sell", k + 100, 1),
        ("CE", "buy", k + 150, 1),
    ]
    assert _shape(iron_butterfly(k, w, NEAR, 2)) == [
        ("PE", "buy", k - 100, 1),
        ("PE", "sell", k, 1),
        ("CE", "sell", k, 1),
        ("CE", "buy", k + 100, 1),
    ]
    assert _shape(call_butterfly(k, w, NEAR)) == [
        ("CE", "buy", k - w, 1),
        ("CE", "sell", k, 2),
        ("CE", "buy", k + w, 1),
    ]
    assert _shape(put_butterfly(k, w, NEAR)) == [
        ("PE", "buy", k - w, 1),
        ("PE", "sell", k, 2),
        ("PE", "buy", k + w, 1),
    ]
    assert _shape(ratio_spread("CE", k, w, NEAR, 2, 3)) == [
        ("CE", "buy", k, 1),
        ("CE", "sell", k + 100, 3),
    ]
    assert _shape(ratio_spread("PE", k, w, NEAR)) == [("PE", "buy", k, 1), ("PE", "sell", k - w, 2)]
    assert _shape(covered_call(k, w, NEAR)) == [("FUT", "buy", None, 1), ("CE", "sell", k + w, 1)]
    assert _shape(covered_put(k, w, NEAR)) == [("FUT", "sell", None, 1), ("PE", "sell", k - w, 1)]
    cal = calendar_spread("CE", k, NEAR, FAR)
    assert [(s.side, s.expiry, s.strike) for s in cal] == [("sell", NEAR, k), ("buy", FAR, k)]
    diag = diagonal_spread("PE", k - w, k, NEAR, FAR)
    assert [(s.side, s.expiry, s.strike) for s in diag] == [("sell", NEAR, k - w), ("buy", FAR, k)]


def test_reverse_flips_every_side():
    assert [s.side for s in reverse(iron_condor(SPOT, STEP, NEAR))] == [
        "sell",
        "buy",
        "buy",
        "sell",
    ]


@pytest.mark.parametrize(
    "call",
    [
        lambda: long_strangle(SPOT, STEP, NEAR, 0),
        lambda: iron_condor(SPOT, STEP, NEAR, 2, -1),
        lambda: ratio_spread("FUT", SPOT, STEP, NEAR),
        lambda: calendar_spread("CE", SPOT, FAR, NEAR),
        lambda: bull_put_spread(100.0, STEP, NEAR, 2),
        lambda: atm_strike(SPOT, 0.0),
    ],
)
def test_template_arguments_are_checked(call):
    with pytest.raises(StrategyError):
        call()


def test_atm_strike_rounds_to_the_step():
    assert atm_strike(24_137.0, 50.0) == 24_150.0
    assert atm_strike(24_124.9, 50.0) == 24_100.0


def test_leg_spec_defaults_to_one_lot_ratio():
    assert LegSpec("FUT", "buy", NEAR).ratio == 1
