from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optionsintel.errors import CalendarError
from optionsintel.frames import CANDLE_COLUMNS
from optionsintel.providers.base import NoDataError
from optionsintel.synthetic import equity_daily_ohlcv, equity_universe
from optionsintel.synthetic.equities import SECTORS


@pytest.fixture(scope="module")
def universe() -> pd.DataFrame:
    return equity_universe(2000, seed=5)


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return equity_daily_ohlcv(400, "2022-01-01", "2024-12-31", seed=5)


def test_universe_fields_and_size(universe):
    assert len(universe) == 2000 and universe["symbol"].is_unique
    for col in (
        "symbol",
        "name",
        "sector",
        "market_cap",
        "beta",
        "eps_growth",
        "revenue_growth",
        "profit_margin",
        "debt_to_equity",
    ):
        assert col in universe.columns and universe[col].notna().all()
    assert set(universe["sector"]) <= set(SECTORS) and universe["sector"].nunique() >= 10
    assert (
        universe["market_cap"].min() > 0
        and universe["market_cap"].max() / universe["market_cap"].min() > 1e3
    )
    assert universe["beta"].between(0.3, 2.2).all()
    assert (
        universe["profit_margin"].between(-0.3, 0.6).all()
        and (universe["debt_to_equity"] > 0).all()
    )


def test_universe_is_prefix_stable_and_seeded(universe):
    pd.testing.assert_frame_equal(equity_universe(600, seed=5), universe.iloc[:600])
    assert not equity_universe(50, seed=6)["symbol"].equals(universe["symbol"].iloc[:50])


def test_ohlcv_frame_is_canonical_and_consistent(bars):
    assert list(bars.columns) == list(CANDLE_COLUMNS)
    assert (bars["provider"] == "synthetic").all() and (bars["interval"] == "1d").all()
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars["low"] > 0).all() and (bars["volume"] > 0).all()
    assert str(bars["ts"].dt.tz) == "UTC"
    assert bars.groupby("symbol", observed=True).size().nunique() == 1


def test_vol_dispersion_and_market_correlation(bars, universe):
    close = bars.pivot(index="ts", columns="symbol", values="close")
    r = np.log(close).diff().dropna()
    vol = r.std() * np.sqrt(252)
    assert 0.2 < vol.median() < 0.5 and vol.quantile(0.9) / vol.quantile(0.1) > 1.4
    market = r.mean(axis=1)
    corr = r.corrwith(market)
    assert 0.2 < corr.median() < 0.8
    kurt = r.kurt().median()
    assert kurt > 1.0  # fat tails
    beta = universe.set_index("symbol").loc[r.columns.astype(str), "beta"].to_numpy()
    est = (r - r.mean()).mul(market - market.mean(), axis=0).mean() / market.var()
    assert np.corrcoef(beta, est.to_numpy())[0, 1] > 0.3


def test_symbols_selection_matches_the_full_run(bars, universe):
    picked = list(universe["symbol"].iloc[[3, 250]])
    sub = equity_daily_ohlcv(picked, "2023-03-01", "2023-03-31", seed=5)
    full = bars.loc[
        bars["symbol"].isin(picked) & bars["ts"].between("2023-03-01", "2023-03-31 23:59:59+00:00")
    ]
    np.testing.assert_allclose(
        sub.astype({"symbol": str}).sort_values(["symbol", "ts"])["close"].to_numpy(),
        full.astype({"symbol": str}).sort_values(["symbol", "ts"])["close"].to_numpy(),
    )


def test_bad_requests_are_refused():
    with pytest.raises(NoDataError, match="not in the synthetic universe"):
        equity_daily_ohlcv(["NOSUCHSYM"], "2023-01-01", "2023-01-31")
    with pytest.raises(CalendarError):
        equity_daily_ohlcv(5, "2018-01-01", "2018-02-01")
    with pytest.raises(ValueError):
        equity_universe(0)
