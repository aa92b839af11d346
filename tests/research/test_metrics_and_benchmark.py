"""compute_all_metrics, alpha/beta against statsmodels, drawdown dates on real NIFTY data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose

import optionsintel.research as rs

DATA = Path(__file__).parents[1] / "data" / "market"


def _nifty_close() -> pd.Series:
    df = pd.read_csv(
        DATA / "NIFTY50_daily_yahoo_2010-01-04_2024-12-30_nirumutha.csv",
        skiprows=3,
        header=None,
        names=["date", "close", "high", "low", "open", "volume"],
        parse_dates=["date"],
        index_col="date",
    )
    return df["close"].rename("NIFTY")


@pytest.fixture(scope="module")
def wide():
    rng = np.random.default_rng(42)
    idx = pd.bdate_range("2015-01-01", periods=750)
    bench = pd.Series(rng.normal(0.0004, 0.01, len(idx)), index=idx)
    betas = np.array([0.5, 1.0, 1.5, 2.0])
    noise = rng.normal(0, 0.008, (len(idx), 4))
    rets = pd.DataFrame(bench.to_numpy()[:, None] * betas + noise, index=idx, columns=list("ABCD"))
    return rets, bench


def test_covid_crash_drawdown_dates_on_real_nifty():
    # NSE closes: 12,362.30 on 14-Jan-2020, 7,610.25 on 23-Mar-2020, back above on 9-Nov-2020
    r = _nifty_close()["2020"].pct_change().iloc[1:]
    d = rs.drawdown_details(r).loc["NIFTY"]
    assert d["max_drawdown"] == pytest.approx(7610.25 / 12362.2998046875 - 1, abs=1e-6)
    assert d["peak_date"] == pd.Timestamp("2020-01-14")
    assert d["trough_date"] == pd.Timestamp("2020-03-23")
    assert d["recovery_date"] == pd.Timestamp("2020-11-09")
    assert d["duration_days"] == 300


def test_alpha_beta_closed_form_matches_statsmodels(wide):
    rets, bench = wide
    table = rs.alpha_beta(rets, bench, confidence_level=0.9)
    for col in rets:
        fit = sm.OLS(rets[col].to_numpy(), sm.add_constant(bench.to_numpy())).fit()
        ci = fit.conf_int(alpha=0.1)
        row = table.loc[col]
        assert_allclose([row.alpha / 252, row.beta], fit.params, rtol=1e-9)
        assert_allclose([row.alpha_se / 252, row.beta_se], fit.bse, rtol=1e-9)
        assert_allclose([row.beta_ci_low, row.beta_ci_high], ci[1], rtol=1e-9)
        assert_allclose([row.alpha_pvalue, row.beta_pvalue], fit.pvalues, rtol=1e-7)
        assert row.r_squared == pytest.approx(fit.rsquared)
    single = rs.alpha_beta(rets["C"], bench, confidence_level=0.9)
    assert_allclose(
        single[table.columns].to_numpy(float), table.loc["C"].to_numpy(float), rtol=1e-9
    )
    assert table["beta"].to_numpy() == pytest.approx([0.5, 1.0, 1.5, 2.0], abs=0.1)


def test_alpha_beta_hac_uses_statsmodels_robust_errors(wide):
    rets, bench = wide
    hac = rs.alpha_beta(rets, bench, cov_type="HAC")
    plain = rs.alpha_beta(rets, bench)
    assert_allclose(hac["beta"], plain["beta"], rtol=1e-9)
    assert not np.allclose(hac["beta_se"], plain["beta_se"])


def test_rolling_alpha_beta_last_window_equals_full_regression(wide):
    rets, bench = wide
    last = rets.iloc[-100:]
    roll = rs.rolling_alpha_beta(rets, bench, window=100)
    full = rs.alpha_beta(last, bench)
    assert_allclose(roll["beta"].iloc[-1].to_numpy(), full["beta"].to_numpy(), rtol=1e-8)
    assert_allclose(roll["alpha"].iloc[-1].to_numpy(), full["alpha"].to_numpy(), rtol=1e-6)
    assert_allclose(roll["beta_se"].iloc[-1].to_numpy(), full["beta_se"].to_numpy(), rtol=1e-6)


def test_compute_all_metrics_matches_individual_functions(wide):
    rets, bench = wide
    cfg = rs.MetricsConfig(var_confidence=0.99)
    table = rs.compute_all_metrics(rets, bench, cfg)
    assert list(table.index) == list("ABCD")
    assert_allclose(table["sharpe_ratio"], rs.sharpe_ratio(rets))
    assert_allclose(table["sortino_ratio"], rs.sortino_ratio(rets))
    assert_allclose(table["max_drawdown"], rs.max_drawdown(rets))
    assert_allclose(table["calmar_ratio"], rs.calmar_ratio(rets))
    assert_allclose(table["omega_ratio"], rs.omega_ratio(rets))
    assert_allclose(table["tail_ratio"], rs.tail_ratio(rets))
    assert_allclose(table["var_cornish_fisher"], rs.value_at_risk(rets, 0.99, "cornish_fisher"))
    assert_allclose(table["es_historical"], rs.expected_shortfall(rets, 0.99))
    assert_allclose(table["up_capture"], rs.up_capture(rets, bench))
    assert_allclose(table["beta"], rs.alpha_beta(rets, bench)["beta"])


def test_compute_all_metrics_risk_free_and_nan_conventions():
    idx = pd.bdate_range("2024-01-01", periods=300)
    rng = np.random.default_rng(1)
    data = pd.DataFrame(
        rng.normal(0.001, 0.01, (300, 3)), index=idx, columns=["X", "LATE", "EMPTY"]
    )
    data.iloc[:200, 1] = np.nan  # listed late
    data["EMPTY"] = np.nan
    cfg = rs.MetricsConfig(risk_free_rate=0.065)
    table = rs.compute_all_metrics(data, config=cfg)
    rf = 1.065 ** (1 / 252) - 1
    assert table.loc["X", "sharpe_ratio"] == pytest.approx(rs.sharpe_ratio(data["X"], rf))
    late = data["LATE"].dropna()
    assert table.loc["LATE", "annual_return"] == pytest.approx(rs.annual_return(late))
    assert table.loc["LATE", "n_obs"] == 100
    assert table.loc["EMPTY"].drop("n_obs").isna().all()


def test_correlation_matrix_pearson_and_spearman(wide):
    rets, _ = wide
    assert_allclose(rs.correlation_matrix(rets), rets.corr(), atol=1e-12)
    assert_allclose(rs.correlation_matrix(rets, "spearman"), rets.corr("spearman"), atol=1e-12)
    with_nan = rets.copy()
    with_nan.iloc[::7, 0] = np.nan
    assert_allclose(rs.correlation_matrix(with_nan), with_nan.corr(), atol=1e-12)
    roll = rs.rolling_correlation(rets, 50, other=rets["A"])
    assert roll["A"].dropna().to_numpy() == pytest.approx(1.0)


def test_returns_helpers():
    prices = pd.Series([100.0, 110.0, 99.0])
    assert_allclose(rs.simple_returns(prices).iloc[1:], [0.1, -0.1])
    assert_allclose(rs.log_returns(prices).iloc[1:], np.log([1.1, 0.9]))
    assert rs.total_return([0.1, -0.1]) == pytest.approx(-0.01)
    with pytest.raises(rs.ResearchInputError, match="strictly positive"):
        rs.simple_returns([1.0, 0.0])


def test_alpha_annualisation_conventions(wide):
    """Arithmetic (default, a x 252) and compounded ((1 + a)^252 - 1, empyrical)."""
    rets, bench = wide
    arith = rs.alpha_beta(rets, bench, confidence_level=0.9)
    comp = rs.alpha_beta(rets, bench, confidence_level=0.9, alpha_annualisation="compounded")
    daily = arith["alpha"] / 252
    assert_allclose(comp["alpha"], (1 + daily) ** 252 - 1, rtol=1e-12)
    assert_allclose(comp["alpha_ci_low"], (1 + arith["alpha_ci_low"] / 252) ** 252 - 1, rtol=1e-12)
    assert_allclose(comp["alpha_se"], arith["alpha_se"] * (1 + daily) ** 251, rtol=1e-12)
    assert_allclose(comp["beta"], arith["beta"])
    roll = rs.rolling_alpha_beta(rets, bench, window=100, alpha_annualisation="compounded")
    base = rs.rolling_alpha_beta(rets, bench, window=100)
    assert_allclose(roll["alpha"], (1 + base["alpha"] / 252) ** 252 - 1, rtol=1e-10)
    cfg = rs.MetricsConfig(alpha_annualisation="compounded")
    m = rs.compute_all_metrics(rets, bench, cfg)
    assert_allclose(m["alpha"], comp["alpha"], rtol=1e-9)
    with pytest.raises(rs.ResearchInputError, match="alpha_annualisation"):
        rs.alpha_beta(rets, bench, alpha_annualisation="geometric")  # type: ignore[arg-type]


def test_alpha_annualisation_on_real_banknifty_against_nifty():
    """NIFTY BANK against NIFTY 50, NSE daily closes 2019-2020 (arun7pulse/askIndex,
    shipped with the replay provider): both conventions from one daily alpha."""
    import gzip
    import io
    from importlib import resources

    base = resources.files("optionsintel.providers").joinpath("replay_data", "market")

    def closes(name: str) -> pd.Series:
        raw = gzip.decompress(base.joinpath(name).read_bytes()).decode()
        frame = pd.read_csv(io.StringIO(raw), parse_dates=["date"])
        return frame.set_index("date")["close"].loc["2019":"2020"]

    nifty = closes("NIFTY50_daily_2000-01-03_2021-08-26_arun7pulse.csv.gz")
    bank = closes("NIFTYBANK_daily_2000-01-01_2021-08-26_arun7pulse.csv.gz")
    r, b = rs.simple_returns(bank).iloc[1:], rs.simple_returns(nifty).iloc[1:]
    arith = rs.alpha_beta(r, b)
    comp = rs.alpha_beta(r, b, alpha_annualisation="compounded")
    fit = sm.OLS(r, sm.add_constant(b.reindex(r.index)), missing="drop").fit()
    assert_allclose(arith["alpha"], fit.params.iloc[0] * 252, rtol=1e-9)
    assert_allclose(comp["alpha"], (1 + fit.params.iloc[0]) ** 252 - 1, rtol=1e-9)
    assert 1.0 < arith["beta"] == comp["beta"] < 1.6  # banks amplify the index
