"""Dated Indian costs: hand-computed fills on each side of every encoded change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from optionsintel.backtest.costs import (
    Brokerage,
    CostModel,
    cost_breakdown,
    load_cost_table,
    order_fee_rates,
    trade_dates,
)
from optionsintel.errors import CostTableError

TABLE = load_cost_table()
ZERO = Brokerage(kind="zero")


def fill(date, side, price, qty, **extra):
    return pd.DataFrame(
        {
            "timestamp": [date],
            "side": [side],
            "price": [price],
            "quantity": [qty],
            **{k: [v] for k, v in extra.items()},
        }
    )


def comp(segment, date, side, price, qty, brokerage=ZERO, **kw):
    model = CostModel(segment=segment, brokerage=brokerage, table=TABLE, **kw)
    return cost_breakdown(fill(date, side, price, qty), model).per_fill.iloc[0]


@pytest.mark.parametrize(
    ("date", "stt"),
    [("2023-03-31", 0.0005), ("2023-04-03", 0.000625), ("2024-09-30", 0.000625),
     ("2024-10-01", 0.001), ("2026-03-31", 0.001), ("2026-04-01", 0.0015)],
)  # fmt: skip
def test_options_stt_on_sell_premium_by_date(date, stt):
    row = comp("options", date, "sell", 120.0, 75)  # premium 9,000
    assert_allclose(row["stt"], 9000 * stt, rtol=1e-12)
    assert comp("options", date, "buy", 120.0, 75)["stt"] == 0.0


@pytest.mark.parametrize(
    ("date", "stt"),
    [("2023-03-31", 0.0001), ("2023-04-03", 0.000125), ("2024-09-30", 0.000125),
     ("2024-10-01", 0.0002), ("2026-04-01", 0.0005)],
)  # fmt: skip
def test_futures_stt_by_date(date, stt):
    assert_allclose(comp("futures", date, "sell", 20000.0, 50)["stt"], 1_000_000 * stt, rtol=1e-12)


@pytest.mark.parametrize(
    ("segment", "before", "after"),
    [("equity_delivery", 3.25e-5, 2.97e-5), ("equity_intraday", 3.25e-5, 2.97e-5),
     ("futures", 1.9e-5, 1.73e-5), ("options", 5e-4, 3.503e-4)],
)  # fmt: skip
def test_nse_flat_transaction_charges_from_october_2024(segment, before, after):
    assert_allclose(
        comp(segment, "2024-09-30", "buy", 100.0, 1000)["exchange"], 1e5 * before, rtol=1e-12
    )
    assert_allclose(
        comp(segment, "2024-10-01", "buy", 100.0, 1000)["exchange"], 1e5 * after, rtol=1e-12
    )


def test_six_percent_increase_2021_and_rollback_2023():
    assert_allclose(comp("equity_delivery", "2020-12-31", "sell", 100.0, 1000)["exchange"], 3.25)
    assert_allclose(comp("equity_delivery", "2021-01-01", "sell", 100.0, 1000)["exchange"], 3.45)
    assert_allclose(comp("equity_delivery", "2023-04-03", "sell", 100.0, 1000)["exchange"], 3.25)


def test_stamp_duty_uniform_from_july_2020_and_state_wise_before():
    assert_allclose(comp("equity_delivery", "2020-07-01", "buy", 100.0, 1000)["stamp"], 15.0)
    assert comp("equity_delivery", "2020-07-01", "sell", 100.0, 1000)["stamp"] == 0.0
    assert_allclose(comp("equity_intraday", "2020-07-01", "buy", 100.0, 1000)["stamp"], 3.0)
    assert_allclose(comp("futures", "2020-07-01", "buy", 100.0, 1000)["stamp"], 2.0)
    assert_allclose(comp("options", "2020-07-01", "buy", 100.0, 1000)["stamp"], 3.0)
    with pytest.raises(CostTableError, match=r"stamp .* not modelled"):
        comp("equity_delivery", "2020-06-30", "buy", 100.0, 1000)
    row = comp("equity_delivery", "2020-06-30", "buy", 100.0, 1000, overrides={"stamp": 5e-5})
    assert_allclose(row["stamp"], 5.0)


def test_sebi_fee_covid_relief_and_restoration():
    assert_allclose(comp("futures", "2020-05-29", "sell", 1e5, 100)["sebi"], 10.0)  # 1 crore
    assert_allclose(comp("futures", "2020-06-01", "sell", 1e5, 100)["sebi"], 5.0)
    assert_allclose(comp("futures", "2021-04-01", "sell", 1e5, 100)["sebi"], 10.0)


def test_ipft_recalibrated_april_2023():
    assert_allclose(comp("options", "2023-03-31", "sell", 1e5, 100)["ipft"], 0.01)
    assert_allclose(comp("options", "2023-04-03", "sell", 1e5, 100)["ipft"], 50.0)
    assert_allclose(comp("futures", "2023-04-03", "sell", 1e5, 100)["ipft"], 10.0)


def test_exercised_option_stt_settlement_then_intrinsic_value():
    kw = {"kind": "exercise", "strike": 11000.0, "settlement_price": 11100.0}
    model = CostModel(segment="options", brokerage=ZERO, table=TABLE)
    before = cost_breakdown(fill("2019-08-29", "sell", 0.0, 75, **kw), model).per_fill.iloc[0]
    after = cost_breakdown(fill("2019-09-26", "sell", 0.0, 75, **kw), model).per_fill.iloc[0]
    assert_allclose(before["stt"], 11100 * 75 * 0.00125)  # 1,040.625 on the settlement value
    assert_allclose(after["stt"], 100 * 75 * 0.00125)  # 9.375 on the intrinsic value
    assert after["total"] == after["stt"]  # an exercise pays no brokerage or charges here
    later = cost_breakdown(fill("2026-04-30", "sell", 0.0, 75, **kw), model).per_fill.iloc[0]
    assert_allclose(later["stt"], 100 * 75 * 0.0015)
    writer = cost_breakdown(fill("2019-09-26", "buy", 0.0, 75, **kw), model).per_fill.iloc[0]
    assert writer["stt"] == 0.0


def test_full_hand_computed_option_sale_with_gst():
    row = comp("options", "2024-09-30", "sell", 100.0, 50, brokerage=Brokerage("flat", 20.0))
    # value 5,000: STT 0.0625 % = 3.125; NSE 0.05 % = 2.5; IPFT Rs 50/cr = 0.025;
    # SEBI Rs 10/cr = 0.005; GST 18 % x (20 + 2.5 + 0.025 + 0.005) = 4.0554
    expected = {"brokerage": 20.0, "stt": 3.125, "exchange": 2.5, "ipft": 0.025, "sebi": 0.005,
                "stamp": 0.0, "gst": 4.0554, "total": 29.7104}  # fmt: skip
    assert_allclose(row[list(expected)].to_numpy(float), list(expected.values()), rtol=1e-12)


def test_delivery_round_trip_hand_computed():
    fills = pd.DataFrame(
        {
            "timestamp": ["2025-01-06 10:00", "2025-02-03 15:00"],
            "side": ["buy", "sell"],
            "price": [1000.0, 1100.0],
            "quantity": [100, 100],
        }
    )
    model = CostModel("equity_delivery", Brokerage("percent_capped", 20.0, 0.0003), TABLE)
    out = cost_breakdown(fills, model)
    # buy 1,00,000: brokerage min(20, 30) = 20, STT 100, NSE 2.97, IPFT 0.1, SEBI 0.1, stamp 15
    # sell 1,10,000: brokerage 20, STT 110, NSE 3.267, IPFT 0.11, SEBI 0.11, stamp 0
    gst = 0.18 * (20 + 2.97 + 0.1 + 0.1 + 20 + 3.267 + 0.11 + 0.11)
    total = 40 + 210 + 2.97 + 3.267 + 0.21 + 0.21 + 15 + gst
    assert_allclose(out.totals["gst"], gst, rtol=1e-12)
    assert_allclose(out.total, total, rtol=1e-12)


def test_dates_before_coverage_and_bad_input_raise():
    with pytest.raises(CostTableError, match="coverage"):
        comp("futures", "2019-01-15", "sell", 100.0, 1)
    with pytest.raises(CostTableError, match="side"):
        comp("futures", "2024-01-15", "short", 100.0, 1)
    with pytest.raises(CostTableError, match="columns"):
        cost_breakdown(pd.DataFrame({"timestamp": ["2024-01-01"]}))


def test_aware_timestamps_use_the_ist_trade_date():
    # 2024-09-30 19:00 UTC is 2024-10-01 00:30 IST
    d = trade_dates(pd.to_datetime(["2024-09-30 19:00"]).tz_localize("UTC"))
    assert str(d[0]) == "2024-10-01"


def test_every_rate_cites_its_source():
    for periods in TABLE.rules.values():
        for p in periods:
            assert len(p.source) > 20
            assert p.rate is None or 0 <= p.rate < 0.2


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["equity_delivery", "equity_intraday", "futures", "options"]),
    st.sampled_from(["buy", "sell"]),
    st.dates(
        min_value=pd.Timestamp("2020-07-01").date(), max_value=pd.Timestamp("2026-12-31").date()
    ),
    st.floats(1.0, 1e5),
    st.integers(1, 5000),
    st.sampled_from([Brokerage("zero"), Brokerage("flat", 20.0), Brokerage("percent", rate=3e-4)]),
)
def test_order_fee_rates_equal_the_breakdown(segment, side, date, price, qty, brokerage):
    model = CostModel(segment, brokerage, TABLE)
    total = cost_breakdown(fill(pd.Timestamp(date), side, price, qty), model).total
    prop, fixed = order_fee_rates(model, np.array([date], dtype="datetime64[D]"), side)
    assert_allclose(prop[0] * price * qty + fixed[0], total, rtol=1e-12)
