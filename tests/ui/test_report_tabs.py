"""Headless tests of the analytics report's Technical and Fundamental tabs, gauges, backtest."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from optionsintel.store.reads.fundamentals import read_fundamentals
from optionsintel.ui import build_analytics_report
from optionsintel.ui.analytics_report import AnalyticsReport
from optionsintel.ui.chart_figures import PATTERN_PREFIX
from optionsintel.ui.data import ReportSource
from optionsintel.ui.report_backtest import backtest_rule, risk_gauge_svg
from optionsintel.ui.report_data import fundamental_view


def _bars(n: int = 504, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2023-01-02", periods=n)
    c = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    return pd.DataFrame({"open": c, "high": c * 1.01, "low": c * 0.99, "close": c,
                         "volume": 1e4}, index=idx)  # fmt: skip


def _offline(bars: pd.DataFrame) -> AnalyticsReport:
    prices = lambda s, timeframe=None: pd.DataFrame({x: bars["close"] for x in s})  # noqa: E731
    src = ReportSource(lambda: ["AAA", "BBB"], prices, lambda s: None,
                       bars=lambda s: (bars, "synthetic"))  # fmt: skip
    app = AnalyticsReport(src)
    app.load()
    app.symbols = ("AAA", "BBB")
    return app


def test_tabs_are_built_only_when_opened() -> None:
    app = _offline(_bars())
    assert app.tabs.titles == ("Statistical", "Technical", "Fundamental", "Export / import")
    assert app.technical is None and app.fundamental is None
    assert app.generate() is not None and app.state == "ok"
    assert app.technical is None  # still not built: the statistical tab is showing
    assert app.gauges.value.count('oi-gauge"') == 2 and "risk" in app.gauges.value


def test_technical_tab_draws_candles_indicators_and_detections() -> None:
    bars = _bars()
    app = _offline(bars)
    app.generate()
    app.tabs.selected_index = 1
    tech = app.technical
    assert tech is not None and tech.symbol == "AAA"
    fig = tech.chart.figures[0]
    names = [tr.get("name") for tr in fig["data"]]
    assert names[:3] == ["price", "SMA(20)", "SMA(50)"] and "volume" in names
    assert "provider synthetic" in fig["layout"]["title"]["text"]
    shapes = fig["layout"].get("shapes", [])
    assert len(shapes) == 2 * len(tech.detections) > 0
    assert all(s["name"].startswith(PATTERN_PREFIX) for s in shapes)
    assert all(d.startswith("AAA: ") for d in tech.detections)
    tech.indicators = ("RSI(14)",)
    names = [tr.get("name") for tr in tech.chart.figures[0]["data"]]
    assert "RSI(14)" in names and "SMA(20)" not in names
    shapes = tech.chart.figures[0]["layout"]["shapes"]
    assert len(shapes) == 2 + 2 * len(tech.detections)  # RSI's 30 and 70 lines kept
    tech.show_patterns = False
    shapes = tech.chart.figures[0]["layout"]["shapes"]
    assert not any(s.get("name", "").startswith(PATTERN_PREFIX) for s in shapes)
    assert tech.detections == []


def test_gauge_needle_points_at_the_volatility() -> None:
    # thresholds 15/25/40 %: scale to 60 %; 30 % vol is half way: needle straight up
    svg = risk_gauge_svg("AAA", "HIGH", 0.30, (0.15, 0.25, 0.40))
    x2, y2 = map(float, re.search(r'x2="([\d.]+)" y2="([\d.]+)"', svg).groups())
    assert (x2, y2) == pytest.approx((90.0, 32.0), abs=0.06)
    assert 'data-level="HIGH"' in svg and "30.0 %" in svg
    assert "<script" not in risk_gauge_svg("<script>", "LOW", np.nan, (0.1, 0.2, 0.3))


def test_backtest_of_a_line_break_on_a_rising_path() -> None:
    idx = pd.bdate_range("2024-01-01", periods=40)
    c = np.r_[np.full(20, 100.0), np.linspace(101, 120, 20)]  # flat, then a steady rise
    bars = pd.DataFrame({"open": c, "high": c + 0.5, "low": c - 0.5, "close": c,
                         "volume": 1e4}, index=idx)  # fmt: skip
    rule = "close CROSSES ABOVE LINE(2024-01-01, 100.5, 2024-01-10, 100.5)"
    steps: list[float] = []
    s = backtest_rule(bars, "AAA", rule, hold_bars=5, provider="synthetic",
                      progress=lambda f, _t: steps.append(f))  # fmt: skip
    assert steps[0] < steps[-1] == 1.0
    # one crossing (bar 20); long at bar 21's open, out 5 bars later, higher: one win
    assert (s["n_trades"], s["win_rate"]) == (1.0, 1.0)
    assert s["average_win"] > 0 and np.isnan(s["average_loss"])


def test_backtest_panel_needs_a_symbol_and_reports_bad_rules() -> None:
    app = _offline(_bars())
    app.generate()
    app.tabs.selected_index = 1
    panel = app.technical.backtest
    panel.rule_text = "close >"
    assert panel.run() is None and panel.state == "error" and "invalid rule" in panel.message
    panel.signal.label = "Breakdown, any pattern (short)"
    assert panel.direction == "short" and panel.rule_text == "BREAKOUT(any) < 0"


def test_fundamental_tab_on_the_demo_store(demo_store) -> None:
    equities = sorted(demo_store.distinct("equity_fundamentals", "symbol", {}))
    symbol = str(equities[0])
    view = fundamental_view(demo_store, symbol)
    latest = read_fundamentals(demo_store, provider=view.provider, symbols=symbol)
    assert view.table.loc["Net margin (%)", "value"] == pytest.approx(
        latest.sort_values("as_of")["profit_margin"].iloc[-1]
    )
    assert view.sector and symbol not in view.peers
    assert "is_anomaly" in view.anomaly or view.anomaly.get("reason")
    app = build_analytics_report(demo_store)
    app.symbols = (symbol,)
    app.tabs.selected_index = 2
    assert app.fundamental is not None and app.fundamental.symbol == symbol
    body = app.fundamental.body.value
    assert "Sector median" in body and "Anomaly label" in body and view.provider in body
    app.fundamental.symbol = "NIFTY"  # an index: no reported fundamentals
    assert "no reported fundamentals of NIFTY" in app.fundamental.body.value
