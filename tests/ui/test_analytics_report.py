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
    prices = price_history(demo_store, ["NIFTY"])
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
    def boom(_s):
        raise ValueError("bad prices")

    app = build_analytics_report(source=ReportSource(lambda: ["A"], boom, lambda s: None))
    app.generate()
    assert app.state == "error" and "bad prices" in app.status.value


@pytest.mark.parametrize("tf", ["1W", "1M", "1Y", "ALL"])
def test_timeframes(demo_store, tf):
    app = build_analytics_report(demo_store)
    app.timeframe = tf
    assert app.generate() is not None and app.report.timeframe == tf
