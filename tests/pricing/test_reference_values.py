"""Prices and greeks against published values (py_vollib test data, Hull, Haug/QuantLib).

Provenance of the files: tests/data/PROVENANCE.md, section "Pricing".
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from optionsintel.pricing import (
    IVReason,
    black76_price,
    black_scholes_price,
    greeks,
    implied_volatility,
    implied_volatility_with_reason,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "testvectors"


@pytest.fixture(scope="module")
def vollib_rows() -> pd.DataFrame:
    return pd.read_json(DATA / "py_vollib_test_data.json", orient="split")


def _vollib_inputs(rows: pd.DataFrame) -> tuple[pd.Series, ...]:
    return rows["S"].astype(float), rows["K"].astype(float), rows["t"], rows["R"], rows["v"]


# The py_vollib table is printed to 6 significant figures: relative 1e-5, absolute 1e-6.
VOLLIB_RTOL, VOLLIB_ATOL = 1e-5, 1e-6


def test_vollib_prices_every_row(vollib_rows: pd.DataFrame) -> None:
    S, K, T, r, v = _vollib_inputs(vollib_rows)
    for flag, column in (("c", "bs_call"), ("p", "bs_put")):
        price = black_scholes_price(S, K, T, r, v, flag)
        assert isinstance(price, pd.Series) and price.index.equals(vollib_rows.index)
        assert_allclose(price, vollib_rows[column], rtol=VOLLIB_RTOL, atol=VOLLIB_ATOL)


@pytest.mark.parametrize("flag,prefix", [("CE", "C"), ("PE", "P")])
def test_vollib_greeks_every_row(vollib_rows: pd.DataFrame, flag: str, prefix: str) -> None:
    S, K, T, r, v = _vollib_inputs(vollib_rows)
    g = greeks(S, K, T, r, v, flag, model="black_scholes")
    expected = {"delta": "D", "gamma": "G", "theta_per_year": "T", "vega": "V", "rho": "R"}
    for ours, theirs in expected.items():
        assert_allclose(g[ours], vollib_rows[prefix + theirs], rtol=VOLLIB_RTOL, atol=VOLLIB_ATOL)
    assert_allclose(g["theta_per_day"], g["theta_per_year"] / 365.0, rtol=1e-15)
    assert_allclose(g["vega_pct"], g["vega"] / 100.0, rtol=1e-15)


def test_vollib_rows_implied_volatility_round_trip(vollib_rows: pd.DataFrame) -> None:
    """Every row whose time value is resolvable gives back the volatility it was priced at."""
    S, K, T, r, v = _vollib_inputs(vollib_rows)
    for flag in ("c", "p"):
        price = black_scholes_price(S, K, T, r, v, flag)
        result = implied_volatility_with_reason(price, S, K, T, r, flag, model="black_scholes")
        ok = result["reason"] == IVReason.OK
        forward = S * np.exp(r * T)
        time_value = price - np.exp(-r * T) * np.maximum(
            (1 if flag == "c" else -1) * (forward - K), 0
        )
        # rows with time value above 1e-8 of K (about 40 % of them) must be solved
        assert ok[time_value > 1e-8 * K].all()
        # the volatility itself is determined only as well as vega allows: a price
        # error of 1e-12 * K moves it by 1e-12 * K / vega
        vega = greeks(S, K, T, r, v, flag, model="black_scholes")["vega"]
        vol_error = (result["iv"] - v).abs()[ok]
        assert (vol_error <= 1e-9 + 1e-12 * K[ok] / vega[ok]).all()
        repriced = black_scholes_price(S[ok], K[ok], T[ok], r[ok], result.loc[ok, "iv"], flag)
        assert_allclose(repriced, price[ok], rtol=0, atol=1e-10)
        # rows that are not solved are NaN with a reason, never a wrong number
        assert result.loc[~ok, "iv"].isna().all()


def _doctest_cases() -> list[dict]:
    return json.loads((DATA / "py_vollib_doctest_vectors.json").read_text())["cases"]


@pytest.mark.parametrize("case", _doctest_cases(), ids=lambda c: f"{c['fn']}-{c['flag']}")
def test_vollib_doctest_vectors(case: dict) -> None:
    """The tolerance is the one stated with each vector (1e-12 where none is stated)."""
    tol = case.get("tol", 1e-12)
    fn, flag = case["fn"], case["flag"]
    if "F" in case:
        rate = case.get("r", 0.0)
        T, F, K, sigma = case["t"], case["F"], case["K"], case["sigma"]
        value = black76_price(F, K, T, rate, sigma, flag)
        if fn.startswith("normalised_black"):
            value = value / np.sqrt(F * K)  # undiscounted (r = 0) price over sqrt(F K)
        assert value == pytest.approx(case["expected"], abs=tol)
        return
    args = (case["S"], case["K"], case["t"], case["r"], case["sigma"], flag)
    q = case.get("q", 0.0)
    g = greeks(*args, model="black_scholes", dividend_yield=q)
    price = black_scholes_price(*args, dividend_yield=q)
    ours = {
        "black_scholes": price,
        "black_scholes_merton": price,
        "delta": g["delta"],
        "gamma": g["gamma"],
        "theta*365 (annual)": g["theta_per_year"],
        "vega (per 1 vol point = 0.01)": g["vega_pct"],
        "rho (per 1 rate point = 0.01)": 0.01 * g["rho"],
    }
    if "expected_iv" in case:
        assert price == pytest.approx(case["expected_price"], abs=tol)
        iv = implied_volatility(case["expected_price"], *args[:4], flag, model="black_scholes")
        assert iv == pytest.approx(case["expected_iv"], abs=tol)
        return
    assert ours[fn] == pytest.approx(case["expected"], abs=tol)
    if "textbook" in case:  # Hull's printed value, to the digits he prints
        assert ours[fn] == pytest.approx(case["textbook"], abs=5e-3 * abs(case["textbook"]) + 5e-4)


def _haug() -> dict:
    return json.loads((DATA / "quantlib_haug_european_option_values.json").read_text())


def test_haug_price_table() -> None:
    """All 43 rows of Haug's tables as used by QuantLib; QuantLib's tolerance 1e-4."""
    rows = pd.DataFrame(_haug()["values"])
    price = black_scholes_price(
        rows["spot"], rows["strike"], rows["t"], rows["r"], rows["vol"], rows["type"], rows["q"]
    )
    assert_allclose(price, rows["value"], rtol=0, atol=1e-4)


@pytest.mark.parametrize("row", _haug()["greek_values"], ids=lambda r: f"{r['greek']}-{r['type']}")
def test_haug_greek_table(row: dict) -> None:
    """Haug's greek examples (QuantLib testGreekValues), QuantLib's tolerance 1e-4."""
    args = (row["spot"], row["strike"], row["t"], row["r"], row["vol"], row["type"])
    g = greeks(*args, model="black_scholes", dividend_yield=row["q"])
    price = black_scholes_price(*args, dividend_yield=row["q"])
    S, T = row["spot"], row["t"]
    ours = {
        "delta": g["delta"],
        "elasticity": g["delta"] * S / price,
        "gamma": g["gamma"],
        "vega": g["vega"],
        "theta": g["theta_per_year"],
        "thetaPerDay": g["theta_per_day"],
        "rho": g["rho"],
        # d V / d q = -theta T S e^{-qT} N(theta d1) = -T S delta
        "dividendRho": -T * S * g["delta"],
    }
    assert ours[row["greek"]] == pytest.approx(row["value"], abs=1e-4)
