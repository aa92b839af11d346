"""Property tests (hypothesis) for the risk and performance metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

import optionsintel.research as rs

returns_arrays = arrays(
    np.float64,
    st.integers(10, 300),
    elements=st.floats(-0.2, 0.2, allow_nan=False, allow_subnormal=False),
)
confidences = st.floats(0.5, 0.995)


@settings(max_examples=100, deadline=None)
@given(returns_arrays)
def test_drawdown_never_positive(r):
    assert np.all(rs.drawdown(r) <= 1e-15)
    assert rs.max_drawdown(r) <= 0.0


@settings(max_examples=100, deadline=None)
@given(returns_arrays, confidences, confidences)
def test_var_monotone_in_confidence(r, c1, c2):
    lo, hi = sorted((c1, c2))
    for method in ("historical", "parametric"):
        assert rs.value_at_risk(r, lo, method) <= rs.value_at_risk(r, hi, method) + 1e-12


@settings(max_examples=100, deadline=None)
@given(returns_arrays, confidences)
def test_expected_shortfall_at_least_var(r, c):
    for method in ("historical", "parametric"):
        assert rs.expected_shortfall(r, c, method) >= rs.value_at_risk(r, c, method) - 1e-12


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.8, 0.99))
def test_cornish_fisher_es_at_least_var_for_moderate_tails(seed, c):
    # Cornish-Fisher is only a valid quantile function for moderate skew/kurtosis
    r = np.random.default_rng(seed).standard_t(8, 500) * 0.01
    assert rs.expected_shortfall(r, c, "cornish_fisher") >= rs.value_at_risk(r, c, "cornish_fisher")


@settings(max_examples=100, deadline=None)
@given(returns_arrays, st.floats(0.01, 100.0))
def test_sharpe_scale_invariant_without_risk_free(r, scale):
    if np.std(r) < 1e-6:
        return
    assert_allclose(rs.sharpe_ratio(r * scale), rs.sharpe_ratio(r), rtol=1e-9)


def test_cornish_fisher_reduces_to_normal_without_skew_or_kurtosis():
    r = np.array([-2.0, -1.0, 0.0, 1.0, 2.0]) / 100  # symmetric: skew 0 but kurtosis != 0
    z = rs.cornish_fisher_z(-1.6448536269514722, 0.0, 0.0)
    assert z == pytest.approx(-1.6448536269514722)
    assert rs.value_at_risk(r, 0.95, "parametric") == pytest.approx(
        -(0.0 - 1.6448536269514722 * np.std(r, ddof=1))
    )


def test_parametric_es_closed_form():
    rng = np.random.default_rng(3)
    r = rng.normal(0.001, 0.02, 1000)
    mu, sd = r.mean(), r.std(ddof=1)
    from scipy import stats

    expected = -(mu - sd * stats.norm.pdf(stats.norm.ppf(0.01)) / 0.01)
    assert rs.expected_shortfall(r, 0.99, "parametric") == pytest.approx(expected)


def test_cornish_fisher_es_matches_numerical_tail_integral():
    rng = np.random.default_rng(5)
    r = rng.standard_t(6, 2000) * 0.01 + 0.0005
    from scipy import integrate, stats

    skew = stats.skew(r)
    kurt = stats.kurtosis(r)
    mu, sd, a = r.mean(), r.std(ddof=1), 0.05

    def q(u):
        return mu + sd * rs.cornish_fisher_z(stats.norm.ppf(u), skew, kurt)

    tail_mean = integrate.quad(q, 1e-12, a, limit=200)[0] / a
    assert rs.expected_shortfall(r, 0.95, "cornish_fisher") == pytest.approx(-tail_mean, rel=1e-6)


def test_invalid_confidence_and_method_raise():
    with pytest.raises(rs.ResearchInputError, match="strictly between 0 and 1"):
        rs.value_at_risk([0.01, -0.02], confidence=1.5)
    with pytest.raises(rs.ResearchInputError, match="method"):
        rs.expected_shortfall([0.01, -0.02], method="monte_carlo")  # type: ignore[arg-type]


def test_series_frame_and_array_inputs_agree():
    rng = np.random.default_rng(0)
    data = rng.normal(0, 0.01, (250, 3))
    frame = pd.DataFrame(
        data, columns=["A", "B", "C"], index=pd.bdate_range("2024-01-01", periods=250)
    )
    by_frame = rs.sharpe_ratio(frame)
    by_array = rs.sharpe_ratio(data)
    by_series = [rs.sharpe_ratio(frame[c]) for c in frame]
    assert_allclose(by_frame.to_numpy(), by_array)
    assert_allclose(by_array, by_series)


@pytest.mark.parametrize("value", [-0.19999999999999998, -2.90142061e-74, 0.1])
def test_constant_returns_give_es_equal_to_var(value):
    # a * (1 - f) + b * f with a == b can land one ulp below every sample, which used
    # to leave the historical tail empty (ES NaN) and VaR outside the data range
    r = np.full(44, value)
    var = rs.value_at_risk(r, 0.78515625, "historical")
    assert var == -value
    assert rs.expected_shortfall(r, 0.78515625, "historical") == pytest.approx(-value, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(returns_arrays, st.lists(confidences, min_size=1, max_size=4))
def test_nan_quantile_matches_numpy(r, qs):
    from optionsintel.research._common import nan_quantile

    got = nan_quantile(r[:, None], np.array(qs))[:, 0]
    assert_allclose(got, np.nanquantile(r, qs), rtol=0, atol=1e-15)
    assert np.all((got >= r.min()) & (got <= r.max()))
