"""Leg premiums and IVs from a chain as of an instant, on the recorded real NSE NIFTY chain.

The chain is NSE's option-chain response of 2025-07-16 (snapshot 15:30 IST) shipped with
the replay provider (provenance in ``providers/replay_data``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from optionsintel.calendar import years_to_expiry
from optionsintel.chain import atm_iv
from optionsintel.errors import LegQuoteError, StrategyError
from optionsintel.pricing import black76_price, implied_forward
from optionsintel.strategies import (
    analyse_strategy,
    atm_strike,
    breakevens,
    build_strategy,
    chain_quotes,
    iron_condor,
    leg_quote,
    market_from_chain,
)

WEEKLY = dt.date(2025, 7, 17)
AS_OF = "2025-07-16 15:30"  # IST, the snapshot's instant


@pytest.fixture(scope="module")
def chain(nifty_0716):
    return nifty_0716.chain


def test_premium_is_the_mid_and_iv_the_chains_own(chain):
    q = leg_quote(chain, "NIFTY", "CE", WEEKLY, AS_OF, 25_200.0)
    assert q.price == pytest.approx(0.5 * (57.15 + 57.65))
    assert q.iv == pytest.approx(0.1010) and q.iv_source == "chain"
    assert q.snapshot_ts == pd.Timestamp("2025-07-16 10:00", tz="UTC")


def test_solved_iv_reprices_the_premium_on_the_parity_forward(chain):
    q = leg_quote(chain, "NIFTY", "PE", WEEKLY, AS_OF, 25_150.0, iv_from="solve")
    assert q.iv_source == "solved"
    T = years_to_expiry(q.snapshot_ts, WEEKLY)
    rows = chain[chain["expiry"] == pd.Timestamp(WEEKLY)]
    ce = rows[rows.option_type == "CE"].set_index("strike")
    pe = rows[rows.option_type == "PE"].set_index("strike")
    k = ce.index.intersection(pe.index)
    mids = [
        np.where(f.bid.loc[k] > 0, 0.5 * (f.bid.loc[k] + f.ask.loc[k]), f.ltp.loc[k])
        for f in (ce, pe)
    ]
    assert q.forward == pytest.approx(implied_forward(k.to_numpy(), *mids, T, 0.065), rel=1e-15)
    assert black76_price(q.forward, 25_150.0, T, 0.065, q.iv, "PE") == pytest.approx(
        q.price, abs=1e-9
    )


def test_missing_chain_iv_is_solved(chain):
    no_iv = chain.assign(iv=np.nan)
    q = leg_quote(no_iv, "NIFTY", "CE", WEEKLY, AS_OF, 25_300.0)
    assert q.iv_source == "solved" and 0.05 < q.iv < 0.3


def test_futures_leg_is_priced_at_the_parity_forward(chain):
    q = leg_quote(chain, "NIFTY", "FUT", WEEKLY, AS_OF)
    assert q.iv is None and q.price == q.forward and abs(q.price / 25_212.05 - 1) < 0.002


def test_the_latest_snapshot_at_or_before_the_instant_is_used(chain):
    later = chain.assign(
        snapshot_ts=chain["snapshot_ts"] + pd.Timedelta(minutes=1),
        bid=chain["bid"] + 1.0, ask=chain["ask"] + 1.0,
    )  # fmt: skip
    both = pd.concat([chain, later], ignore_index=True)
    first = leg_quote(both, "NIFTY", "CE", WEEKLY, "2025-07-16 15:30:30", 25_200.0)
    second = leg_quote(both, "NIFTY", "CE", WEEKLY, "2025-07-16 15:31", 25_200.0)
    assert second.price == pytest.approx(first.price + 1.0)
    with pytest.raises(LegQuoteError, match="at or before"):
        leg_quote(both, "NIFTY", "CE", WEEKLY, "2025-07-16 15:29", 25_200.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strike": 25_210.0}, "not listed"),
        ({"expiry": dt.date(2025, 7, 18)}, "no NIFTY expiry"),
        ({"underlying": "BANKNIFTY"}, "no BANKNIFTY"),
    ],
)
def test_contracts_not_in_the_chain_raise(chain, kwargs, message):
    args = {"underlying": "NIFTY", "expiry": WEEKLY, "strike": 25_200.0, **kwargs}
    with pytest.raises(LegQuoteError, match=message):
        leg_quote(chain, args["underlying"], "CE", args["expiry"], AS_OF, args["strike"])


def test_iv_source_and_instrument_are_checked(chain):
    with pytest.raises(StrategyError, match="instrument"):
        leg_quote(chain, "NIFTY", "call", WEEKLY, AS_OF, 25_200.0)
    with pytest.raises(StrategyError, match="iv_from"):
        leg_quote(chain, "NIFTY", "CE", WEEKLY, AS_OF, 25_200.0, iv_from="guess")  # type: ignore[arg-type]


def test_market_from_chain_takes_spot_forwards_and_atm_ivs_from_the_chain_analytics(chain):
    m = market_from_chain(chain, "NIFTY", AS_OF)
    expected = atm_iv(chain)
    first = expected.iloc[0]
    assert m.spot == 25_212.05
    assert m.forwards[WEEKLY] == pytest.approx(first["forward"])
    assert m.atm_ivs[WEEKLY] == pytest.approx(first["atm_iv"] / 100.0)


def test_iron_condor_from_the_real_chain(chain):
    m = market_from_chain(chain, "NIFTY", AS_OF)
    atm = atm_strike(m.spot, 50.0)
    s = build_strategy(
        "NIFTY", iron_condor(atm, 50.0, WEEKLY, 4, 2), m, chain_quotes(chain, "NIFTY", AS_OF)
    )
    assert [leg.lot_size for leg in s.legs] == [75] * 4  # NIFTY lot on 2025-07-16
    p = [leg.premium for leg in s.legs]
    credit = p[1] + p[2] - p[0] - p[3]
    assert breakevens(s).prices == pytest.approx((atm - 200 - credit, atm + 200 + credit), abs=1e-9)
    a = analyse_strategy(s)
    assert 0.0 < a.pop.probability < 1.0 and a.profit_range.max_profit == pytest.approx(credit * 75)
