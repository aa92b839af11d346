"""Report builder: timeframes, risk levels, figures, progress, 1D handling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import optionsintel.research as rs
from optionsintel.calendar import trading_days as rs_trading_days
from optionsintel.tz import EXCHANGE_TZ
from optionsintel.ui.figures import report_figures


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
    figures = report_figures(rep)  # drawn in ui: research stays free of plotly
    assert set(figures) == {
        "equity",
        "drawdown",
        "rolling_sharpe",
        "correlation",
        "distribution",
    }
    assert all(isinstance(f, go.Figure) for f in figures.values())
    # walk2 (2026-11-30): the legend sits below the equity curve (a side legend squeezed the
    # chart on a phone) and returns read as percentages, as on the VaR card
    assert figures["equity"].layout.legend.orientation == "h"
    assert figures["distribution"].layout.xaxis.tickformat == ".1%"
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
    dist = figures["distribution"]
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


# -- calendar-aware series on the real NIFTY history (issue 11.4) ----------------------
def _replay_nifty_with_recorded_days() -> pd.Series:
    """The series the replay store holds: the replay provider's NIFTY 50 daily closes
    (shipped files; from 2023 the Yahoo ^NSEI bars of nirumutha/global-macro-intelligence-
    system) to 2024-12-30, then the closes of the two recorded NSE chain days 2025-07-16/17
    (underlying value 25212.05 and 25111.45)."""
    import datetime as dt

    from optionsintel.providers.replay import ReplayProvider

    replay = ReplayProvider(clock=lambda: dt.datetime(2025, 7, 18, tzinfo=dt.UTC))
    bars = replay.get_candles("NIFTY", "1d", dt.datetime(2023, 1, 1), dt.datetime(2025, 7, 18))
    days = pd.DatetimeIndex(bars["ts"]).tz_convert(EXCHANGE_TZ).tz_localize(None)
    close = pd.Series(bars["close"].to_numpy(), index=days.normalize(), name="NIFTY")
    tail = pd.Series([25212.05, 25111.45], index=pd.to_datetime(["2025-07-16", "2025-07-17"]))
    return pd.concat([close, tail.rename("NIFTY")])


@pytest.fixture(scope="module")
def nifty_with_hole():
    return _replay_nifty_with_recorded_days()


def test_gap_found_against_the_trading_calendar(nifty_with_hole):
    gaps = rs.find_gaps(nifty_with_hole.index)
    assert len(gaps) == 1
    gap = gaps.iloc[0]
    assert gap["last_before"] == pd.Timestamp("2024-12-30")
    assert gap["first_after"] == pd.Timestamp("2025-07-16")
    expected = pd.DatetimeIndex(rs_trading_days("2024-12-31", "2025-07-15"))
    assert gap["missing_sessions"] == len(expected) > 120
    # the +6.6 % "daily" return across the hole is never computed
    naive = nifty_with_hole.pct_change().loc["2025-07-16"]
    assert naive > 0.066
    r = rs.simple_returns(nifty_with_hole)
    assert np.isnan(r.loc["2025-07-16"]) and np.isclose(
        r.loc["2025-07-17"], 25111.45 / 25212.05 - 1
    )
    g = rs.gap_aware_returns(nifty_with_hole)
    pd.testing.assert_series_equal(g, r, check_names=False)


def test_report_refuses_1y_and_says_why(nifty_with_hole):
    prices = nifty_with_hole.to_frame()
    with pytest.raises(
        rs.InsufficientCoverageError, match=r"1Y cannot be reported.*trading sessions.*gap"
    ):
        rs.build_report(prices, None, "1Y")
    with pytest.raises(rs.InsufficientCoverageError, match="1M"):
        rs.build_report(prices, None, "1M")


def test_report_all_states_coverage_and_leaves_the_gap_out(nifty_with_hole):
    prices = nifty_with_hole.to_frame()
    rep = rs.build_report(prices, None, "ALL")
    assert rep.metrics.loc["NIFTY", "n_obs"] == len(prices) - 2  # first row and the gap
    assert rep.returns["NIFTY"].abs().max() < 0.066
    cov = rep.coverage["NIFTY"]
    assert len(cov.gaps) == 1 and cov.ratio < 0.9
    assert any("gap(s): 30 Dec 2024 -> 16 Jul 2025" in n for n in rep.notes)
    wealth = report_figures(rep)["equity"].data[0]
    inside = pd.DatetimeIndex(wealth.x)
    cut = np.flatnonzero(inside == pd.Timestamp("2024-12-31"))
    assert len(cut) == 1 and np.isnan(wealth.y[cut[0]])  # the line breaks at the hole


def test_features_leave_the_gap_out(nifty_with_hole):
    s = nifty_with_hole
    frame = pd.DataFrame({"entity": "NIFTY", "ts": s.index, "close": s.to_numpy()})
    feats = rs.extract_features(frame).set_index("ts")
    assert np.isnan(feats.loc["2025-07-16", "return_1d"])
    assert np.isclose(feats.loc["2025-07-17", "return_1d"], 25111.45 / 25212.05 - 1)
    assert feats["return_1d"].abs().max() < 0.066
    # 15:30 IST snapshot instants (one a day) are read as their India dates
    stamped = frame.assign(ts=(frame["ts"] + pd.Timedelta(hours=10)).dt.tz_localize("UTC"))
    again = rs.extract_features(stamped)
    np.testing.assert_array_equal(again["return_1d"].isna(), feats["return_1d"].isna().to_numpy())
