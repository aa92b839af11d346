"""Indicators against the original definitions, plain-pandas references and Wilder's example."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import optionsintel.research as rs

RSI_REF = json.loads(
    (Path(__file__).parents[1] / "data" / "research" / "wilder_rsi_stockcharts.json").read_text()
)


def _wilder_reference(x: list[float], n: int) -> list[float]:
    """Wilder's average written out with a Python loop (the textbook recursion)."""
    out = [np.nan] * len(x)
    avg = sum(x[:n]) / n
    out[n - 1] = avg
    for t in range(n, len(x)):
        avg = (avg * (n - 1) + x[t]) / n
        out[t] = avg
    return out


def _rsi_reference(close: list[float], n: int) -> np.ndarray:
    d = np.diff(close)
    up = _wilder_reference(list(np.maximum(d, 0)), n)
    dn = _wilder_reference(list(np.maximum(-d, 0)), n)
    rsi = 100 - 100 / (1 + np.array(up) / np.array(dn))
    return np.concatenate([[np.nan], rsi])


@pytest.fixture(scope="module")
def prices():
    rng = np.random.default_rng(7)
    idx = pd.bdate_range("2020-01-01", periods=400)
    close = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.015, (400, 6)), axis=0)), index=idx)
    close.columns = [f"S{i}" for i in range(6)]
    close.iloc[:37, 2] = np.nan  # listed later
    spread = np.abs(rng.normal(0, 0.01, close.shape)) * close
    return close, close + spread, close - spread


def test_rsi_matches_stockcharts_wilder_example():
    close = pd.Series(RSI_REF["closes"])
    got = rs.rsi(close, RSI_REF["window"])
    assert got.iloc[:14].isna().all()
    assert got.iloc[14] == pytest.approx(RSI_REF["exact_first_rsi"], abs=1e-10)
    for bar, published in RSI_REF["published_rsi_by_bar"].items():
        assert got.iloc[int(bar)] == pytest.approx(published, abs=0.1)


def test_rsi_first_value_by_hand():
    d = np.diff(RSI_REF["closes"][:15])
    gain, loss = d[d > 0].sum() / 14, -d[d < 0].sum() / 14
    assert gain == pytest.approx(RSI_REF["exact_first_avg_gain"])
    assert loss == pytest.approx(RSI_REF["exact_first_avg_loss"])
    assert 100 - 100 / (1 + gain / loss) == pytest.approx(RSI_REF["exact_first_rsi"])


def test_rsi_wide_frame_matches_loop_reference(prices):
    close, _, _ = prices
    got = rs.rsi(close, 14)
    for col in close:
        series = close[col].dropna()
        expected = _rsi_reference(series.tolist(), 14)
        assert_allclose(got[col].dropna().to_numpy(), expected[14:], rtol=1e-10)
        assert got[col].first_valid_index() == series.index[14]


def test_rsi_is_not_pandas_ewm_rsi(prices):
    close = prices[0]["S0"]
    d = close.diff()
    up = d.clip(lower=0).ewm(alpha=1 / 14, adjust=False).mean()
    dn = (-d).clip(lower=0).ewm(alpha=1 / 14, adjust=False).mean()
    ewm_rsi = 100 - 100 / (1 + up / dn)
    assert not np.allclose(rs.rsi(close, 14).iloc[14:20], ewm_rsi.iloc[14:20])


def test_rsi_edge_values():
    assert rs.rsi(pd.Series(np.arange(1.0, 30.0)), 14).iloc[-1] == 100.0
    assert rs.rsi(pd.Series(np.arange(30.0, 1.0, -1)), 14).iloc[-1] == 0.0
    assert rs.rsi(pd.Series(np.full(30, 5.0)), 14).iloc[-1] == 50.0


def test_sma_ema_against_pandas(prices):
    close = prices[0]
    assert_allclose(rs.sma(close, 20), close.rolling(20).mean(), equal_nan=True)
    col = close["S0"]
    assert_allclose(
        rs.ema(col, 10, seed="first"), col.ewm(span=10, adjust=False).mean(), rtol=1e-12
    )
    seeded = rs.ema(col, 10)
    expected = _wilder_like_ema(col.tolist(), 10)
    assert_allclose(seeded.to_numpy(), expected, rtol=1e-12, equal_nan=True)


def _wilder_like_ema(x: list[float], n: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    out[n - 1] = np.mean(x[:n])
    for t in range(n, len(x)):
        out[t] = out[t - 1] + 2 / (n + 1) * (x[t] - out[t - 1])
    return out


def test_ema_sma_seed_small_example():
    # EMA(3) of 1..5, k = 0.5: seed SMA(1,2,3) = 2, then 3, then 4
    assert rs.ema(pd.Series([1.0, 2, 3, 4, 5]), 3).tolist()[2:] == [2.0, 3.0, 4.0]


def test_macd_definition(prices):
    close = prices[0]
    out = rs.macd(close)
    assert_allclose(out["macd"], rs.ema(close, 12) - rs.ema(close, 26), equal_nan=True)
    assert_allclose(out["histogram"], out["macd"] - out["signal"], equal_nan=True)
    assert out["signal"]["S0"].first_valid_index() == close.index[26 + 9 - 2]


def test_bollinger_population_std(prices):
    close = prices[0]
    bb = rs.bollinger_bands(close, 20, 2.0)
    std = close.rolling(20).std(ddof=0)
    assert_allclose(bb["upper"], close.rolling(20).mean() + 2 * std, equal_nan=True)
    assert_allclose(
        bb["percent_b"], (close - bb["lower"]) / (bb["upper"] - bb["lower"]), equal_nan=True
    )


def test_atr_small_example_and_loop(prices):
    high = pd.Series([10.0, 12.0, 13.0, 14.0])
    low = pd.Series([8.0, 9.0, 11.0, 10.0])
    close = pd.Series([9.0, 11.0, 12.0, 13.0])
    got = rs.atr(high, low, close, 3)
    assert got.iloc[2] == pytest.approx(7 / 3)
    assert got.iloc[3] == pytest.approx(26 / 9)
    c, h, lo = prices
    wide = rs.atr(h, lo, c, 14)["S1"].to_numpy()
    prev = c["S1"].shift(1)
    tr = pd.concat(
        [h["S1"] - lo["S1"], (h["S1"] - prev).abs(), (lo["S1"] - prev).abs()], axis=1
    ).max(axis=1)
    assert_allclose(wide, _wilder_reference(tr.tolist(), 14), rtol=1e-10, equal_nan=True)


def test_vwap_resets_each_session():
    idx = pd.DatetimeIndex(
        ["2024-01-01 03:45", "2024-01-01 04:00", "2024-01-02 03:45", "2024-01-02 04:00"], tz="UTC"
    )
    h = pd.DataFrame({"A": [11.0, 12.0, 21.0, 22.0]}, index=idx)
    lo = h - 2
    c = h - 1
    v = pd.DataFrame({"A": [100.0, 300.0, 50.0, 50.0]}, index=idx)
    got = rs.vwap(h, lo, c, v)["A"].to_numpy()
    tp = (h + lo + c)["A"].to_numpy() / 3
    assert_allclose(got, [tp[0], (tp[0] * 100 + tp[1] * 300) / 400, tp[2], (tp[2] + tp[3]) / 2])
    assert_allclose(rs.vwap(h, lo, c, v, session="none")["A"].iloc[-1], (tp * v["A"]).sum() / 500)


def test_pivots_classic_formulas():
    h, lo, c = pd.Series([110.0, 0]), pd.Series([90.0, 0]), pd.Series([100.0, 0])
    p = rs.pivots(h, lo, c)
    assert p["pivot"].iloc[1] == 100.0
    assert (p["r1"].iloc[1], p["s1"].iloc[1]) == (110.0, 90.0)
    assert (p["r2"].iloc[1], p["s2"].iloc[1]) == (120.0, 80.0)
    assert (p["r3"].iloc[1], p["s3"].iloc[1]) == (130.0, 70.0)
    assert np.isnan(p["pivot"].iloc[0])


def test_bad_input_raises():
    with pytest.raises(rs.ResearchInputError):
        rs.rsi([1.0, 2.0], 14)  # type: ignore[arg-type]
    with pytest.raises(rs.ResearchInputError, match="shorter than slow"):
        rs.macd(pd.Series([1.0, 2.0]), fast=26, slow=12)
