"""Headless tests of the analytics report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optionsintel.research import compute_all_metrics
from optionsintel.ui import build_analytics_report
from optionsintel.ui.data import ReportSource, price_history


def test_generate_shows_cards_and_figures(demo_store):
    app = build_analytics_report(demo_store)
    assert app.symbols == ("NIFTY",) and app.benchmark == "NIFTY"
    seen = []
    app.observe(lambda c: seen.append(c["new"]), "progress")
    app.timeframe = "3M"
    app.generate_button.click()
    assert app.state == "ok", app.message
    assert seen[-1] == 1.0 and len(seen) >= 4  # progress was reported while computing
    assert len(app.charts.figures) == 5
    assert "Sharpe" in app.cards.value and "VaR / ES" in app.cards.value
    prices = price_history(demo_store, ["NIFTY"], timeframe="3M")
    assert app.price_providers == prices.attrs["providers"]  # the series that covers 3M
    window = prices.loc[prices.index >= prices.index.max() - pd.DateOffset(months=3)]
    expected = compute_all_metrics(window.pct_change(fill_method=None).iloc[1:])
    np.testing.assert_allclose(app.report.metrics.loc["NIFTY", "sharpe_ratio"],
                               expected.loc["NIFTY", "sharpe_ratio"], rtol=1e-12)  # fmt: skip


def test_no_symbol_selected_is_an_empty_state(demo_store):
    app = build_analytics_report(demo_store)
    app.symbols = ()
    assert app.generate() is None and app.state == "empty"


def test_empty_store(clean_store):
    app = build_analytics_report(clean_store)
    assert app.state == "empty" and "optionsintel up" in app.status.value


def test_error_is_shown(demo_store):
    def boom(_s, timeframe=None):
        raise ValueError("bad prices")

    app = build_analytics_report(source=ReportSource(lambda: ["A"], boom, lambda s: None))
    app.generate()
    assert app.state == "error" and "bad prices" in app.status.value


@pytest.mark.parametrize("tf", ["1W", "1M", "1Y", "ALL"])
def test_timeframes(demo_store, tf):
    app = build_analytics_report(demo_store)
    app.timeframe = tf
    assert app.generate() is not None and app.report.timeframe == tf


def test_uncovered_timeframe_is_refused_with_the_reason():
    """Real NIFTY closes to 2024-12-30 plus the recorded 2025-07-16/17 chain days: 1Y
    cannot be covered (45 % of its sessions), so the page says why instead of drawing
    a six-month straight line; ALL is reported with the gap stated."""
    import datetime as dt

    from optionsintel.providers.replay import ReplayProvider
    from optionsintel.tz import EXCHANGE_TZ

    replay = ReplayProvider(clock=lambda: dt.datetime(2025, 7, 18, tzinfo=dt.UTC))
    bars = replay.get_candles("NIFTY", "1d", dt.datetime(2023, 1, 1), dt.datetime(2025, 7, 18))
    days = pd.DatetimeIndex(bars["ts"]).tz_convert(EXCHANGE_TZ).tz_localize(None).normalize()
    close = pd.Series(bars["close"].to_numpy(), index=days)
    tail = pd.Series([25212.05, 25111.45], index=pd.to_datetime(["2025-07-16", "2025-07-17"]))
    prices = pd.concat([close, tail]).to_frame("NIFTY")
    source = ReportSource(lambda: ["NIFTY"], lambda s, timeframe=None: prices[s], lambda s: None)
    app = build_analytics_report(source=source)
    app.timeframe = "1Y"
    assert app.generate() is None and app.state == "empty"
    assert "1Y cannot be reported" in app.status.value and "gap" in app.status.value
    app.timeframe = "ALL"
    assert app.generate() is not None and app.state == "ok"
    assert "no return is computed across a gap" in app.message
