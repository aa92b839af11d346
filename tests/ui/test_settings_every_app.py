"""Every app shows what the viewer's stored settings ask for (headless, real PostgreSQL).

One store with two underlyings (the recorded NSE NIFTY chain of 2025-07-16 and the same
chain stored as BANKNIFTY) and daily bars of both plus an equity; a viewer named through
``OPTIONSINTEL_USER`` stores settings; each app built for that viewer must open on the
default underlying (or universe), group and round numbers as asked, and draw dark charts.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from optionsintel.apps import APPS
from optionsintel.rules import TEMPLATES
from optionsintel.services import user_settings as us
from optionsintel.ui import (
    build_alerts_manager,
    build_analytics_report,
    build_backtest_app,
    build_market_monitor,
    build_pattern_builder,
    build_scanner,
    build_strategy_builder,
    theme,
)
from optionsintel.ui.admin import build_admin
from optionsintel.ui.plotly_grid import figure_json

VIEWER = "settings_viewer"
LAKH = re.compile(r"\d,\d\d,\d\d\d")  # 1,23,456: Indian grouping (lakh)
MILLION = re.compile(r"\d,\d\d\d,\d\d\d")  # 1,234,567: international grouping


def _bars(symbol: str, level: float) -> pd.DataFrame:
    days = pd.bdate_range("2025-01-01", periods=120)
    close = level * (1 + 0.01 * np.sin(np.arange(120) / 5))
    return pd.DataFrame({"symbol": symbol, "trade_date": days.date, "open": close,
                         "high": close * 1.01, "low": close * 0.99, "close": close,
                         "volume": 1e6, "provider": "synthetic"})  # fmt: skip


@pytest.fixture
def two_markets(clean_store, nifty_0716, monkeypatch):
    chain = nifty_0716.chain.assign(provider="nse_recorded")
    quote = nifty_0716.quote.assign(provider="nse_recorded")
    with clean_store.transaction() as tx:
        for name in ("NIFTY", "BANKNIFTY"):
            tx.write("option_chain_snapshots", chain.assign(underlying=name))
            tx.write("underlying_quotes", quote.assign(underlying=name))
        for symbol, level in (("NIFTY", 25000.0), ("BANKNIFTY", 56000.0), ("AAA", 100.0)):
            tx.write("daily_ohlc", _bars(symbol, level))
    monkeypatch.setenv(theme.USER_ENV, VIEWER)
    return clean_store


def _viewer(store, **settings):
    for key, value in settings.items():
        us.set_setting(store, VIEWER, key, value)


def test_market_monitor_opens_on_the_default_underlying_with_its_number_style(two_markets):
    _viewer(two_markets, default_underlying="BANKNIFTY", decimals=0)
    app = build_market_monitor(two_markets, autostart=False)
    assert app.state == "ok", app.message
    assert app.underlying == "BANKNIFTY"
    assert LAKH.search(app.chain_table.value)  # default grouping: lakh/crore
    spot = re.search(r'Spot</div><div class="value">([^<]+)<', app.cards.value).group(1)
    assert "." not in spot  # decimals 0
    us.set_setting(two_markets, VIEWER, "number_format", "international")
    other = build_market_monitor(two_markets, autostart=False)
    assert MILLION.search(other.chain_table.value) and not LAKH.search(other.chain_table.value)


def test_without_a_setting_the_monitor_keeps_nifty(two_markets):
    app = build_market_monitor(two_markets, autostart=False)
    assert app.underlying == "NIFTY"


def test_strategy_builder_uses_default_underlying_decimals_and_dark_charts(two_markets):
    _viewer(two_markets, default_underlying="BANKNIFTY", decimals=3, colour_scheme="dark")
    app = build_strategy_builder(two_markets, user="asha")
    assert app.underlying == "BANKNIFTY"
    spot = re.search(r"spot ([\d,.]+);", app.status.value).group(1)
    assert len(spot.split(".")[1]) == 3  # the viewer's three decimals
    assert "#111418" in app.children[0].value  # the dark page CSS comes first


def test_analytics_report_backtests_and_pattern_builder_start_on_the_default(two_markets):
    _viewer(two_markets, default_underlying="BANKNIFTY")
    report = build_analytics_report(two_markets)
    assert report.symbols == ("BANKNIFTY",)
    backtests = build_backtest_app(two_markets, warm=False)
    assert backtests.form.universe.value[0] == "BANKNIFTY"
    patterns = build_pattern_builder(two_markets)
    assert patterns.canvas.symbol_select.value == "BANKNIFTY"
    alerts = build_alerts_manager(two_markets)
    assert alerts.editor.symbols.placeholder.startswith("BANKNIFTY")


def test_scanner_starts_on_the_default_universe(two_markets):
    _viewer(two_markets, default_universe="equity")
    assert build_scanner(two_markets).universe.value == "equity"
    us.set_setting(two_markets, VIEWER, "default_universe", "index")
    assert build_scanner(two_markets).universe.value == "fno"


def test_dark_scheme_reaches_every_chart_drawn_after_the_app_read_it(two_markets):
    _viewer(two_markets, colour_scheme="dark", density="compact")
    app = build_analytics_report(two_markets)
    app.timeframe = "ALL"
    app.generate()
    assert app.charts.figures, app.message
    for spec in app.charts.figures:
        assert spec["layout"]["template"]["layout"]["paper_bgcolor"] == "rgb(17,17,17)"
        assert spec["layout"]["margin"]["l"] == 30  # compact density


def test_fmt_follows_the_active_settings_and_keeps_explicit_decimals():
    assert theme.fmt(1234567.891) == "1,234,567.89"  # nothing active: international, 2
    theme.activate(us.UserSettings(number_format="indian", decimals=1))
    assert theme.fmt(1234567.891) == "12,34,567.9"
    assert theme.fmt(1234567.891, 0) == "12,34,568"
    assert theme.fmt(-1500, 0, signed=True) == "-1,500"
    assert theme.fmt(1500, 0, signed=True) == "+1,500"
    assert theme.fmt(None) == "–" and theme.fmt(float("nan")) == "–"
    fig = figure_json(go.Figure())
    assert fig["layout"]["template"]["layout"]["paper_bgcolor"] == "white"  # auto: light


def test_every_app_keeps_the_viewers_page_style_and_links_every_other_app(two_markets):
    _viewer(two_markets, colour_scheme="dark", density="compact")
    apps = {
        "market_monitor.ipynb": build_market_monitor(two_markets, autostart=False),
        "analytics_report.ipynb": build_analytics_report(two_markets),
        "pattern_builder.ipynb": build_pattern_builder(two_markets),
        "backtests.ipynb": build_backtest_app(two_markets, warm=False),
        "strategy_builder.ipynb": build_strategy_builder(two_markets, user="asha"),
        "scanner.ipynb": build_scanner(two_markets),
        "alerts_manager.ipynb": build_alerts_manager(two_markets),
        "admin.ipynb": build_admin(two_markets, dagster_url="http://127.0.0.1:9",
                                   process_urls={}),  # this viewer is a USER: refused page
    }  # fmt: skip
    assert set(apps) == set(APPS.values()) - {"home.ipynb"}
    apps["pattern_builder.ipynb"].use_template(next(iter(TEMPLATES)))  # rebuilds the rows
    for name, app in apps.items():
        style, nav = app.children[0].value, app.children[1].value
        assert "#111418" in style and "margin: 1px" in style, name  # dark, compact
        for notebook in APPS.values():
            assert f'href="/voila/render/{notebook}"' in nav or notebook == name, (name, notebook)
