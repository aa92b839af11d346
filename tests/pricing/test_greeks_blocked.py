"""Greeks evaluated block by block give the frames of the whole-array NumPy formulation.

``_numpy_greeks`` is the implementation ``greeks`` used before the blocked evaluation,
kept here as the reference; results must be bit for bit equal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr

from optionsintel.pricing import greeks
from optionsintel.pricing._inputs import option_sign


def _numpy_greeks(S, K, T, r, q, sigma, theta, black76: bool):  # type: ignore[no-untyped-def]
    """(greeks frame, frame of the magnitudes of the terms each greek sums)."""
    sqrt_T = np.sqrt(T)
    total_vol = sigma * sqrt_T
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(S / K) + (r - q) * T) / total_vol + 0.5 * total_vol
        d2 = d1 - total_vol
        undefined = ~(total_vol > 0.0)
        d1 = np.where(undefined, np.nan, d1)
        d2 = np.where(undefined, np.nan, d2)
        carry_df, rate_df = np.exp(-q * T), np.exp(-r * T)
        pdf = (1.0 / np.sqrt(2.0 * np.pi)) * np.exp(-0.5 * d1 * d1)
        n_d1, n_d2 = ndtr(theta * d1), ndtr(theta * d2)
        price = theta * (S * carry_df * n_d1 - K * rate_df * n_d2)
        vega = S * carry_df * pdf * sqrt_T
        terms = (
            -S * carry_df * pdf * sigma / (2.0 * sqrt_T),
            -theta * r * K * rate_df * n_d2,
            theta * q * S * carry_df * n_d1,
        )
        theta_year = terms[0] + terms[1] + terms[2]
        rho = -T * price if black76 else theta * K * T * rate_df * n_d2
        theta_scale = sum(np.abs(t) for t in terms)
        rho_scale = T * (S * carry_df * n_d1 + K * rate_df * n_d2) if black76 else np.abs(rho)
        frame = pd.DataFrame(
            {
                "delta": theta * carry_df * n_d1,
                "gamma": carry_df * pdf / (S * total_vol),
                "vega": vega,
                "vega_pct": 0.01 * vega,
                "theta_per_year": theta_year,
                "theta_per_day": theta_year / 365.0,
                "rho": rho,
            }
        )
        scale = frame.abs().assign(
            theta_per_year=theta_scale, theta_per_day=theta_scale / 365.0, rho=rho_scale
        )
        return frame, scale


def _chain(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    F = rng.uniform(50.0, 60000.0, n)
    return {
        "F": F,
        "K": F * np.exp(rng.normal(0.0, 0.3, n)),
        "T": np.concatenate([[0.0, 1e-9], rng.uniform(1 / 365 / 24, 3.0, n - 2)]),
        "r": rng.uniform(-0.01, 0.12, n),
        "q": rng.uniform(0.0, 0.05, n),
        "sigma": np.concatenate([rng.uniform(0.01, 2.5, n - 1), [0.0]]),
        "type": np.where(rng.random(n) < 0.5, "CE", "PE"),
    }


def _assert_same(got: pd.DataFrame, reference: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Bit for bit: the blocked evaluation runs the same element-wise operations."""
    want, _ = reference
    pd.testing.assert_frame_equal(got, want, check_exact=True)


@pytest.mark.parametrize("model", ["black76", "black_scholes"])
def test_kernel_equals_the_numpy_formulation_on_a_wide_grid(model: str) -> None:
    c = _chain(50_000, seed=3)  # several blocks and a partial last one
    black76 = model == "black76"
    q = c["r"] if black76 else c["q"]
    got = greeks(c["F"], c["K"], c["T"], c["r"], c["sigma"], c["type"], model=model,
                 dividend_yield=0.0 if black76 else c["q"])  # fmt: skip
    sign = option_sign(c["type"])
    want = _numpy_greeks(c["F"], c["K"], c["T"], c["r"], q, c["sigma"], sign, black76)
    _assert_same(got, want)
    assert got.iloc[0].isna().all() and got.iloc[-1].isna().all()  # T = 0, sigma = 0


@settings(max_examples=200, deadline=None)
@given(
    F=st.floats(1e-3, 1e6),
    moneyness=st.floats(-3.0, 3.0),
    T=st.floats(0.0, 10.0),
    r=st.floats(-0.05, 0.3),
    sigma=st.floats(0.0, 4.0),
    call=st.booleans(),
)
def test_kernel_equals_the_numpy_formulation_property(F, moneyness, T, r, sigma, call) -> None:  # type: ignore[no-untyped-def]
    K = F * np.exp(moneyness)
    sign = 1.0 if call else -1.0
    got = greeks(np.array([F]), np.array([K]), T, r, sigma, "CE" if call else "PE")
    a = [np.array([v]) for v in (F, K, T, r, r, sigma, sign)]
    _assert_same(got, _numpy_greeks(*a, black76=True))


def test_series_index_and_scalar_results_keep_their_shape() -> None:
    idx = pd.Index([10, 20, 30], name="contract")
    F = pd.Series([100.0, 100.0, 100.0], index=idx)
    got = greeks(F, [90.0, 100.0, 110.0], 0.5, 0.07, 0.2, ["CE", "PE", "CE"])
    assert got.index.equals(idx) and got.columns[0] == "delta"
    one = greeks(100.0, 100.0, 0.5, 0.07, 0.2, "CE")
    assert isinstance(one, dict) and one["delta"] == pytest.approx(
        got["delta"].iloc[1] + np.exp(-0.035)
    )
