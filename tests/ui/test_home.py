"""Headless tests of the home page: one card per served app, state from the store."""

import json
from pathlib import Path

import pandas as pd

from optionsintel.cli.dashboards import APPS, dashboard_urls
from optionsintel.services import user_settings as us
from optionsintel.ui.home import APP_INFO, app_cards, build_home, render_home

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_home_is_first_and_every_app_has_a_purpose_and_a_notebook():
    assert next(iter(APPS.values())) == "home.ipynb"
    assert set(APPS.values()) <= set(APP_INFO) and "admin.ipynb" in APPS.values()
    for nb in APPS.values():
        assert (NOTEBOOKS / nb).is_file(), nb
        assert APP_INFO[nb].purpose
    cells = json.loads((NOTEBOOKS / "home.ipynb").read_text())["cells"]
    assert "build_home(APPS)" in "".join(cells[-1]["source"])


def test_links_match_the_served_apps(clean_store):
    page = build_home(APPS, clean_store).children[1].value
    urls = dashboard_urls()
    for title, url in urls.items():
        path = url.split("8866", 1)[1]
        assert f'href="{path}"' in page, title
    assert page.count('<li class="oi-app ') == len(APPS)


def test_state_says_what_to_run_first_then_ready(clean_store):
    cards = {c.notebook: c for c in app_cards(APPS, clean_store)}
    assert not cards["market_monitor.ipynb"].ready
    assert "run optionsintel up" in cards["market_monitor.ipynb"].state
    assert cards["alerts_manager.ipynb"].ready
    clean_store.write("daily_ohlc", pd.DataFrame([{
        "symbol": "NIFTY", "trade_date": pd.Timestamp("2025-01-02").date(), "provider": "synthetic",
        "open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "volume": 10}]))  # fmt: skip
    cards = {c.notebook: c for c in app_cards(APPS, clean_store)}
    assert cards["scanner.ipynb"].ready and cards["scanner.ipynb"].state == "ready"


def test_no_database_and_broken_store_are_said_on_the_cards():
    cards = app_cards(APPS, None)
    assert "no database configured" in cards[1].state

    def boom(store, table):
        raise ConnectionError("down")

    cards = app_cards(APPS, object(), boom)  # type: ignore[arg-type]
    assert "cannot read the store (ConnectionError)" in cards[1].state


def test_default_dashboard_is_starred_and_text_escaped(clean_store):
    us.set_setting(clean_store, "local", "default_dashboard", "scanner")
    cards = app_cards({"<b>x</b>": "scanner.ipynb"}, clean_store)
    page = render_home(cards, us.get_settings(clean_store, "local"), "lo<cal")
    assert "&lt;b&gt;x&lt;/b&gt;</a> ★" in page and "lo&lt;cal" in page


def test_home_leads_to_the_viewers_default_dashboard(clean_store):
    page = render_home(app_cards(APPS, clean_store), us.get_settings(clean_store, "local"), "x")
    assert "oi-default-dashboard" not in page  # default: this page itself
    us.set_setting(clean_store, "local", "default_dashboard", "market_monitor")
    page = build_home(APPS, clean_store).children[1].value
    assert ('<a id="oi-default-dashboard" href="/voila/render/market_monitor.ipynb">'
            "Market monitor →</a> (no option_chain_snapshots yet") in page  # fmt: skip
