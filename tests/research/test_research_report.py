"""Report builder: timeframes, risk levels, figures, progress, 1D handling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import optionsintel.research as rs


@pytest.fixture(scope="module")
def prices():
    rng = np.random.default_rng(11)
    idx = pd.bdate_range("2021-01-01", periods=800)
    vols = np.array([0.005, 0.012, 0.02, 0.04])
    r = rng.normal(0.0003, 1, (800, 4)) * vols
    return pd.DataFrame(
        100 * np.exp(np.cumsum(r, axis=0)), index=idx, columns=["LOW", "MED", "HIGH", "VH"]
    )


def test_report_structure_and_risk_levels(prices):
    calls = []
    bench = prices.mean(axis=1)
    rep = rs.build_report(prices, None, "1Y", bench, progress=lambda f, m: calls.append((f, m)))
    assert set(rep.figures) == {
        "equity",
        "drawdown",
        "rolling_sharpe",
        "correlation",
        "distribution",
    }
    assert all(isinstance(f, go.Figure) for f in rep.figures.values())
    assert rep.risk_level.to_dict() == {
        "LOW": "LOW",
        "MED": "MEDIUM",
        "HIGH": "HIGH",
        "VH": "VERY_HIGH",
    }
    assert rep.metrics.loc["MED", "n_obs"] == pytest.approx(len(prices.loc[rep.start :]) - 1)
    assert "beta" in rep.metrics.columns
    assert rep.start >= prices.index[-1] - pd.DateOffset(years=1)
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    dist = rep.figures["distribution"]
    assert len(dist.layout.shapes) == 4  # a VaR line per symbol


@pytest.mark.parametrize("timeframe", ["1W", "1M", "3M", "ALL"])
def test_timeframes_select_windows(prices, timeframe):
    rep = rs.build_report(prices, ["MED", "HIGH"], timeframe)
    assert list(rep.metrics.index) == ["MED", "HIGH"]
    assert rep.end == prices.index[-1]
    if timeframe == "ALL":
        assert rep.start == prices.index[0]


def test_1d_without_intraday_explains(prices):
    rep = rs.build_report(prices, ["MED"], "1D")
    assert rep.notes and "intraday" in rep.notes[0]
    assert rep.risk_level["MED"] == "UNKNOWN"


def test_1d_with_intraday_prices(prices):
    rng = np.random.default_rng(2)
    idx = pd.date_range("2024-05-02 03:45", periods=75, freq="5min", tz="UTC")
    idx = idx.append(pd.date_range("2024-05-03 03:45", periods=75, freq="5min", tz="UTC"))
    intraday = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.001, (150, 4)), axis=0)),
        index=idx,
        columns=prices.columns,
    )
    rep = rs.build_report(prices, None, "1D", intraday_prices=intraday)
    assert rep.periods_per_year == 252 * 75
    assert rep.metrics["n_obs"].iloc[0] == 74
    assert rep.start == idx[75]


def test_bad_arguments(prices):
    with pytest.raises(rs.ResearchInputError, match="timeframe"):
        rs.build_report(prices, None, "2Y")  # type: ignore[arg-type]
    with pytest.raises(rs.ResearchInputError, match="not columns"):
        rs.build_report(prices, ["NOPE"], "1Y")


def test_risk_level_thresholds():
    vol = pd.Series([0.10, 0.20, 0.30, 0.50, np.nan, 0.10])
    var = pd.Series([0.01, 0.01, 0.01, 0.01, np.nan, 0.05])
    assert rs.risk_level(vol, var).tolist() == [
        "LOW",
        "MEDIUM",
        "HIGH",
        "VERY_HIGH",
        "UNKNOWN",
        "VERY_HIGH",
    ]
