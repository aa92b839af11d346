"""compute_all_metrics (fused kernel) agrees with the single-metric public functions.

The single-metric functions are the original, independent NumPy implementations;
the fused kernel must reproduce them to 1e-12 (it only changes the summation
order of some sums), NaN pattern included.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

import optionsintel.research as rs
from optionsintel.research._common import nan_moments

TOL = {"rtol": 1e-12, "atol": 1e-13}
DATES = ("drawdown_peak", "drawdown_trough", "drawdown_recovery")


def _universe(n_sym: int = 1000, n_days: int = 756, seed: int = 7):
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2018-01-01", periods=n_days)
    b = rng.normal(0.0004, 0.01, n_days)
    b[rng.random(n_days) < 0.01] = np.nan
    r = np.nan_to_num(b)[:, None] * rng.uniform(0.5, 1.5, n_sym)
    r = r + rng.normal(0, 0.012, (n_days, n_sym))
    r[rng.random(r.shape) < 0.02] = np.nan  # sprinkled gaps
    r[:200, :50] = np.nan  # late listings
    r[:, 50] = np.nan
    r[:-1, 51] = np.nan  # a single observation
    r[:, 52] = 0.001  # constant
    r[100, 53] = -1.0  # wiped out
    r[:, 54] = np.abs(r[:, 54])  # never a drawdown
    r[:, 55] = np.round(r[:, 55], 3)  # ties in the quantiles
    cols = [f"S{i:04d}" for i in range(n_sym)]
    return pd.DataFrame(r, index=idx, columns=cols), pd.Series(b, index=idx)


def _reference(rets: pd.DataFrame, bench: pd.Series, cfg: rs.MetricsConfig) -> dict:
    """Every column of compute_all_metrics from the single-metric functions (no trimming)."""
    N, rf, mar, c = (
        cfg.periods_per_year,
        cfg.risk_free_per_period,
        cfg.required_per_period,
        cfg.var_confidence,
    )
    dd = rs.drawdown_details(rets)
    ab = rs.alpha_beta(rets, bench, rf, N, 0.95, engine="closed_form")
    n, _, _, skew, kurt = nan_moments(rets.to_numpy())  # the moments the old path used
    ref = {"n_obs": n, "skewness": skew, "excess_kurtosis": kurt}
    ref |= {
        "up_down_capture": rs.up_down_capture(rets, bench, N),
        "total_return": rs.total_return(rets),
        "annual_return": rs.annual_return(rets, N),
        "annual_volatility": rs.annual_volatility(rets, N),
        "sharpe_ratio": rs.sharpe_ratio(rets, rf, N),
        "sortino_ratio": rs.sortino_ratio(rets, mar, N),
        "calmar_ratio": rs.calmar_ratio(rets, N),
        "omega_ratio": rs.omega_ratio(rets, rf, cfg.required_return, N),
        "downside_risk": rs.downside_risk(rets, mar, N),
        "tail_ratio": rs.tail_ratio(rets),
        "max_drawdown": dd["max_drawdown"],
        "drawdown_peak": dd["peak_date"],
        "drawdown_trough": dd["trough_date"],
        "drawdown_recovery": dd["recovery_date"],
        "drawdown_duration_periods": dd["duration_periods"],
        "up_capture": rs.up_capture(rets, bench, N),
        "down_capture": rs.down_capture(rets, bench, N),
        "capture": rs.capture(rets, bench, N),
    }
    for method in ("historical", "parametric", "cornish_fisher"):
        ref[f"var_{method}"] = rs.value_at_risk(rets, c, method)
        ref[f"es_{method}"] = rs.expected_shortfall(rets, c, method)
    ref |= {k: ab[k] for k in ab.columns if k in rs.metrics.BENCHMARK_COLUMNS}
    return ref


def _assert_matches(got: pd.DataFrame, ref: dict, cfg: rs.MetricsConfig) -> None:
    too_few = got["n_obs"].to_numpy() < cfg.min_periods
    for col in got.columns:
        want = pd.Series(ref[col], index=got.index).copy()
        if col != "n_obs":
            want[too_few] = pd.NaT if col in DATES else np.nan
        if col in DATES:
            assert_array_equal(got[col].to_numpy(), want.to_numpy(), err_msg=col)
        else:
            assert_allclose(got[col].to_numpy(float), want.to_numpy(float), **TOL, err_msg=col)


@pytest.fixture(scope="module")
def universe():
    return _universe()


@pytest.mark.parametrize(
    "cfg",
    [
        rs.MetricsConfig(trim_leading_nan=False),
        rs.MetricsConfig(
            risk_free_rate=0.065,
            required_return=0.1,
            var_confidence=0.99,
            trim_leading_nan=False,
            min_periods=30,
        ),
    ],
)
def test_fused_matches_single_metric_functions(universe, cfg):
    rets, bench = universe
    got = rs.compute_all_metrics(rets, bench, cfg)
    assert list(got.columns) == list(rs.METRIC_COLUMNS) + list(rs.metrics.BENCHMARK_COLUMNS)
    _assert_matches(got, _reference(rets, bench, cfg), cfg)
    no_bench = rs.compute_all_metrics(rets, config=cfg)
    assert list(no_bench.columns) == list(rs.METRIC_COLUMNS)
    pd.testing.assert_frame_equal(no_bench, got[list(rs.METRIC_COLUMNS)])


def test_fused_does_not_depend_on_memory_layout(universe):
    rets, bench = universe
    c_order = pd.DataFrame(
        np.ascontiguousarray(rets.to_numpy()), index=rets.index, columns=rets.columns, copy=False
    )
    pd.testing.assert_frame_equal(
        rs.compute_all_metrics(c_order, bench), rs.compute_all_metrics(rets, bench)
    )


def test_trimmed_annual_return_counts_periods_since_listing(universe):
    rets, bench = universe
    got = rs.compute_all_metrics(rets.iloc[:, 40:60], bench)
    for sym in ("S0040", "S0049", "S0055"):
        listed = rets[sym].loc[rets[sym].first_valid_index() :]
        assert got.loc[sym, "annual_return"] == pytest.approx(rs.annual_return(listed), rel=1e-12)
        assert got.loc[sym, "calmar_ratio"] == pytest.approx(
            rs.annual_return(listed) / abs(rs.max_drawdown(listed)), rel=1e-12
        )


def test_empty_sample_gives_all_nan_rows():
    frame = pd.DataFrame(
        np.empty((0, 3)), index=pd.DatetimeIndex([], name="date"), columns=list("ABC")
    )
    got = rs.compute_all_metrics(frame)
    assert list(got.index) == list("ABC")
    assert (got["n_obs"] == 0).all()
    assert got.drop(columns="n_obs").isna().all().all()


small_frames = arrays(
    np.float64,
    st.tuples(st.integers(1, 40), st.integers(1, 4)),
    elements=st.one_of(st.floats(-0.5, 0.5, allow_subnormal=False), st.just(np.nan), st.just(-1.0)),
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(small_frames, st.floats(0.8, 0.99))
def test_fused_matches_single_metric_functions_on_small_frames(values, confidence):
    idx = pd.bdate_range("2020-01-01", periods=values.shape[0])
    rets = pd.DataFrame(values, index=idx, columns=[f"c{i}" for i in range(values.shape[1])])
    bench = pd.Series(np.linspace(-0.02, 0.03, len(idx)), index=idx)
    cfg = rs.MetricsConfig(trim_leading_nan=False, var_confidence=confidence)
    with np.errstate(all="ignore"):
        _assert_matches(rs.compute_all_metrics(rets, bench, cfg), _reference(rets, bench, cfg), cfg)
