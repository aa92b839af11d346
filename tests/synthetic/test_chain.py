from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optionsintel.calendar import listed_expiries, trading_days
from optionsintel.frames import CHAIN_COLUMNS, validate_chain
from optionsintel.pricing import black76_price
from optionsintel.synthetic import DayChains, generate_day, generate_eod_chain
from optionsintel.synthetic.calibration import RISK_FREE_RATE, TICK_SIZE

DAYS = [d.date() for d in trading_days("2025-06-02", "2026-05-29")]


def _sides(chain: pd.DataFrame, expiry) -> tuple[pd.DataFrame, pd.DataFrame]:
    one = chain.loc[chain["expiry"] == expiry]
    ce = one.loc[one["option_type"] == "CE"].set_index("strike").sort_index()
    pe = one.loc[one["option_type"] == "PE"].set_index("strike").sort_index()
    return ce, pe


def assert_arbitrage_free(chain: pd.DataFrame) -> None:
    assert (chain["oi"] >= 0).all()
    bid = chain["bid"].fillna(0.0)
    assert (bid >= 0).all() and (bid <= chain["ask"]).all()
    assert chain["ltp"].between(bid, chain["ask"]).all()
    for col in ("ltp", "ask", "bid"):
        ticks = chain[col].dropna() / TICK_SIZE
        np.testing.assert_allclose(ticks, np.round(ticks), atol=1e-6)
    spot = chain["underlying_price"].iloc[0]
    for expiry in chain["expiry"].unique():
        ce, pe = _sides(chain, expiry)
        k = ce.index.to_numpy()
        # put-call parity within the quotes: D (F - K) must lie in [C_bid - P_ask, C_ask - P_bid]
        t_years = _years(ce, spot, k, None)
        lo = ce["bid"].fillna(0) - pe["ask"]
        hi = ce["ask"] - pe["bid"].fillna(0)
        parity = _discounted_forward_minus_strike(ce, t_years, k)
        assert (parity >= lo - 1e-6).all() and (parity <= hi + 1e-6).all()
        # calls: no bull-spread or butterfly arbitrage on the quotes (equal spacing)
        ask, bid_c = ce["ask"].to_numpy(), ce["bid"].fillna(0).to_numpy()
        assert (ask[:-1] >= bid_c[1:] - 1e-9).all()
        even = np.isclose(np.diff(k)[:-1], np.diff(k)[1:])
        fly = ask[:-2] - 2 * bid_c[1:-1] + ask[2:]
        assert (fly[even] >= -1e-9).all()


def _years(ce: pd.DataFrame, spot: float, k: np.ndarray, iv: object) -> np.ndarray:
    # years (calendar basis) between the snapshot and the 15:30 IST (10:00 UTC) expiry close
    snap = ce["snapshot_ts"].iloc[0]
    expiry_close = (ce["expiry"].iloc[0] + pd.Timedelta(hours=10)).tz_localize("UTC")
    return np.full(k.size, max((expiry_close - snap).total_seconds() / (365 * 86400), 0.0))


def _discounted_forward_minus_strike(ce: pd.DataFrame, t_years: np.ndarray, k: np.ndarray):
    # Black-76 parity C - P = exp(-rT) (F - K) with the synthetic carry F = S exp((r - q) T)
    spot = ce["underlying_price"].iloc[0]
    from optionsintel.synthetic.calibration import underlying_params

    q = underlying_params(str(ce["underlying"].iloc[0])).dividend_yield
    forward = spot * np.exp((RISK_FREE_RATE - q) * t_years)
    return pd.Series(np.exp(-RISK_FREE_RATE * t_years) * (forward - k), index=ce.index)


def test_eod_chain_is_canonical_and_arbitrage_free(nifty_eod):
    assert list(nifty_eod.columns) == list(CHAIN_COLUMNS)
    validate_chain(nifty_eod)
    assert (nifty_eod["provider"] == "synthetic").all()
    assert (nifty_eod["exchange_ts"] == nifty_eod["snapshot_ts"]).all()
    assert (nifty_eod["ingested_at"] == nifty_eod["snapshot_ts"]).all()
    assert_arbitrage_free(nifty_eod)
    numeric = nifty_eod[["iv", "delta", "gamma", "theta", "vega", "oi", "volume"]]
    assert np.isfinite(numeric.to_numpy(dtype=float)).all()
    assert nifty_eod["iv"].between(3, 120).all()


def test_every_listed_expiry_with_real_strike_steps(nifty_eod):
    listed = {pd.Timestamp(e) for e in listed_expiries("NIFTY", "2025-07-16")}
    assert set(pd.to_datetime(nifty_eod["expiry"].unique())) == listed
    per_expiry = nifty_eod.groupby("expiry")["strike"].nunique()
    assert per_expiry.between(60, 160).all()
    assert (nifty_eod["strike"] % 50 == 0).all()
    spot = nifty_eod["underlying_price"].iloc[0]
    near = nifty_eod.loc[nifty_eod["expiry"] == nifty_eod["expiry"].min(), "strike"]
    assert near.min() < 0.93 * spot and near.max() > 1.07 * spot


def test_model_prices_are_convex_and_decreasing_in_strike(nifty_eod):
    spot = nifty_eod["underlying_price"].iloc[0]
    for expiry in nifty_eod["expiry"].unique():
        ce, _ = _sides(nifty_eod, expiry)
        k = ce.index.to_numpy()
        t = _years(ce, spot, k, ce["iv"].to_numpy())
        fwd = _discounted_forward_minus_strike(ce, t, k).to_numpy() * np.exp(RISK_FREE_RATE * t) + k
        c = black76_price(fwd, k, t, RISK_FREE_RATE, ce["iv"].to_numpy() / 100, "CE")
        dk = np.diff(k)
        slope = np.diff(c) / dk
        assert (slope <= 1e-9).all()
        assert (np.diff(slope) >= -1e-7 * np.maximum(c[1:-1], 1)).all()


def test_put_call_delta_identity_and_positive_gamma_vega(nifty_eod):
    for expiry in nifty_eod["expiry"].unique():
        ce, pe = _sides(nifty_eod, expiry)
        t = _years(ce, 0, ce.index.to_numpy(), None)[0]
        np.testing.assert_allclose(
            ce["delta"] - pe["delta"], np.exp(-RISK_FREE_RATE * t), atol=1e-9
        )
    assert (nifty_eod["gamma"] >= 0).all() and (nifty_eod["vega"] >= 0).all()


def test_spreads_widen_away_from_the_money(nifty_eod):
    x = nifty_eod.loc[nifty_eod["expiry"] == sorted(nifty_eod["expiry"].unique())[1]].copy()
    spread = x["ask"] - x["bid"].fillna(0)
    m = np.abs(np.log(x["strike"] / x["underlying_price"]))
    itm = np.where(
        x["option_type"] == "CE",
        x["strike"] < x["underlying_price"],
        x["strike"] > x["underlying_price"],
    )
    atm = spread[m < 0.005].median()
    deep_itm = spread[(m > 0.04) & itm].median()
    assert deep_itm > 3 * atm
    rel = spread / x["ltp"]
    assert rel[(m > 0.04) & itm].median() > rel[m < 0.005].median()


def test_oi_chains_from_previous_close_and_volume_accumulates(nifty_day):
    prev = DayChains("NIFTY", pd.Timestamp("2025-07-15").date(), seed=7).eod()
    first = nifty_day.frame([0])
    key = ["expiry", "strike", "option_type"]
    both = first.merge(prev, on=key, suffixes=("", "_prev"))
    assert len(both) > 0.8 * len(first)
    np.testing.assert_array_equal(both["oi"], both["oi_prev"])
    assert (first["oi_change"] == 0).all() or (both["oi_change"] == 0).all()
    eod = nifty_day.eod()
    m = eod.merge(prev, on=key, how="left", suffixes=("", "_prev"))
    np.testing.assert_array_equal(m["oi_change"], m["oi"] - m["oi_prev"].fillna(0))
    assert (first["volume"] == 0).all()
    block = nifty_day.frame(slice(0, None, 100))
    vol = block.pivot_table(index="snapshot_ts", columns=key, values="volume", observed=True)
    assert (vol.diff().dropna() >= 0).all().all()


def test_snapshots_do_not_depend_on_batching(nifty_day):
    a = nifty_day.frame([10, 11, 12])
    b = pd.concat([nifty_day.snapshot(i) for i in (10, 11, 12)], ignore_index=True)
    pd.testing.assert_frame_equal(a, b)


def test_generate_day_all_underlyings_snapshot():
    day = generate_day(date="2025-07-16", interval_seconds=900, seed=3)
    assert set(day.chains) == {"NIFTY", "BANKNIFTY", "FINNIFTY"}
    assert day.quotes["snapshot_ts"].nunique() == 26
    snap = day.snapshot(5)
    assert set(snap["underlying"].astype(str)) == {"NIFTY", "BANKNIFTY", "FINNIFTY"}
    assert snap["snapshot_ts"].nunique() == 1
    frames = list(day.iter_frames(batch_size=10))
    assert sum(len(f) for f in frames) == sum(
        c.grid.size * c.n_snapshots for c in day.chains.values()
    )


def test_expiry_day_close_is_at_intrinsic():
    chain = generate_eod_chain("NIFTY", "2025-07-17", seed=2)
    today = chain.loc[chain["expiry"] == pd.Timestamp("2025-07-17")]
    intrinsic = np.where(
        today["option_type"] == "CE",
        np.maximum(today["underlying_price"] - today["strike"], 0),
        np.maximum(today["strike"] - today["underlying_price"], 0),
    )
    mid = (today["bid"].fillna(0) + today["ask"]) / 2
    half = (today["ask"] - today["bid"].fillna(0)) / 2
    assert (np.abs(mid - intrinsic) <= half + 0.1).all()
    assert today["iv"].max() < 200


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    day=st.sampled_from(DAYS),
    seed=st.integers(0, 2**31),
    name=st.sampled_from(["NIFTY", "BANKNIFTY", "FINNIFTY"]),
)
def test_any_day_and_seed_is_arbitrage_free(day, seed, name):
    chain = generate_eod_chain(name, day, seed)
    validate_chain(chain)
    assert_arbitrage_free(chain)


def test_same_seed_same_chain_different_seed_different():
    a = generate_eod_chain("BANKNIFTY", "2025-07-16", seed=1)
    b = generate_eod_chain("BANKNIFTY", "2025-07-16", seed=1)
    c = generate_eod_chain("BANKNIFTY", "2025-07-16", seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a["ltp"].equals(c["ltp"])


@pytest.mark.parametrize("bad", ["2025-07-20"])
def test_eod_chain_refuses_holidays(bad):
    from optionsintel.errors import CalendarError

    with pytest.raises(CalendarError):
        generate_eod_chain("NIFTY", bad)
