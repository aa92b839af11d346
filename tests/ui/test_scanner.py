"""Headless tests of the scanner app on a real stored universe."""

import html
import re
import threading

import pandas as pd
import pytest

from optionsintel.calendar import trading_days
from optionsintel.exchange import read_sidecar
from optionsintel.services import bulk, saved_scans, scans, watchlists
from optionsintel.services.patterns import save_pattern
from optionsintel.ui import build_scanner
from optionsintel.ui.scanner_data import (
    analytics_link,
    query_symbols,
    scanner_source,
    sparkline_svg,
)
from optionsintel.ui.scanner_table import _joined
from scans.helpers import seed_universe

SYMBOLS = [f"UI{i:03d}" for i in range(30)]


@pytest.fixture
def seeded(clean_store):
    days = [d.date() for d in trading_days("2025-04-01", "2025-07-15")[-60:]]
    seed_universe(clean_store, SYMBOLS, days)
    save_pattern(clean_store, "up", "close > SMA(5)", user="alice", name="Up")
    save_pattern(clean_store, "up", "close > SMA(10)", user="alice", name="Up")
    watchlists.create_watchlist(clean_store, "alice", "tech", SYMBOLS[:5])
    return clean_store


def _app(store):
    app = build_scanner(store)
    app.patterns.value = ("up@1",)
    app.universe.value = "equity"
    app.provider.value = "synthetic"
    return app


def test_choices_come_from_the_store(seeded):
    app = build_scanner(seeded)
    assert app.patterns.options == ("up@2", "up@1")  # pinned versions, newest first
    assert ("Watchlist alice/tech", "watchlist:alice/tech") in app.universe.options
    assert app.provider.options == ("synthetic",) and app.provider.value == "synthetic"
    assert "CALL_BUILDUP" in app.detectors.options and "ANOMALY" in app.detectors.options
    assert app.universe.value == "fno"  # it showed a blank box (and scanned F&O)
    app.universe.value = "watchlist:alice/tech"
    app.load()
    assert app.universe.value == "watchlist:alice/tech"  # a reload keeps the choice


def test_run_shows_the_stored_results_with_explanation_sparkline_and_link(seeded):
    app = _app(seeded)
    app.run(wait=True)
    assert app.state == "ok", app.message
    want = scans.read_scan_results(seeded, app.run_id)
    assert len(want) > 0 and app.table.results["symbol"].tolist() == want["symbol"].tolist()
    assert f"{len(want)} matches of 30 symbols" in app.message and "synthetic" in app.message
    page = app.table.html.value
    assert page.count("<tr>") == len(want) + 1 and page.count("<svg") == len(want)
    assert "?symbol=" + want["symbol"].iloc[0] in page
    assert html.escape(app.table.results["explanation"].iloc[0])[:60] in page
    assert re.match(r"close > SMA\(5\) \(close=[0-9.]+, SMA\(5\)=[0-9.]+\)",
                    app.table.results["explanation"].iloc[0])  # fmt: skip
    assert app.progress.bar.value == 30 and app.progress.status == "SUCCEEDED"


def test_sort_and_filter(seeded):
    app = _app(seeded)
    app.run(wait=True)
    app.table.sort_by, app.table.descending = "close", True
    shown = app.table.visible()
    assert shown["close"].is_monotonic_decreasing
    first = shown["symbol"].iloc[0]
    app.table.text = first.lower()
    assert app.table.visible()["symbol"].tolist() == [first]
    assert app.table.html.value.count("<tr>") == 2
    app.table.text, app.table.min_score = "", 1e6
    assert app.table.visible().empty and "No matches" in app.table.html.value


def test_watchlist_universe_and_bad_input(seeded):
    app = _app(seeded)
    app.universe.value = "watchlist:alice/tech"
    app.run(wait=True)
    assert bulk.read_operation(seeded, app.run_id).total == 5
    app.universe.value = "symbols"
    app.universe_arg.value = "UI000, bad symbol!"
    app.run(wait=True)
    assert app.state == "error" and "\n" not in app.message and app.message
    app.universe.value = "equity"
    app.as_of.value = "not a date"
    app.run(wait=True)
    assert app.state == "error"


def test_export_writes_results_with_provenance(seeded, tmp_path):
    app = _app(seeded)
    app.run(wait=True)
    app.export_format.value = "csv"
    path = app.export(tmp_path)
    back = pd.read_csv(path)
    assert back["symbol"].tolist() == app.table.visible()["symbol"].tolist()
    prov = read_sidecar(path)
    assert prov.provider == "synthetic" and prov.dataset == "scan_results"
    assert "Download" in app.export_link.value


def test_save_with_schedule(seeded):
    app = _app(seeded)
    app.save_name.value, app.schedule.value = "ups", "45 15 * * 1-5"
    app.save()
    saved = saved_scans.load_saved_scan(seeded, "analyst", "ups")
    assert saved.schedule == "45 15 * * 1-5" and saved.spec.patterns == ("up@1",)
    assert "Saved analyst/ups" in app.save_status.value
    app.save_name.value = "bad/name"
    app.save()
    assert "color:#cf222e" in app.save_status.value


def test_cancel_stops_after_the_current_batch_and_keeps_matches(seeded):
    source = scanner_source(seeded)
    gate, release = threading.Event(), threading.Event()

    def slow_run(spec, progress=None):
        def step(status):
            progress(status)
            if status.done + status.failed < status.total:
                gate.set()
                release.wait(10)

        return scans.run_scan(seeded, spec, batch_size=10, progress=step).run_id

    app = build_scanner(source=source.__class__(**{**source.__dict__, "run": slow_run}))
    app.patterns.value, app.universe.value, app.provider.value = ("up@1",), "equity", "synthetic"
    app.run()
    assert gate.wait(30) and app.state == "running"
    app.progress.cancel_button.click()
    release.set()
    app.wait(60)
    assert app.state == "cancelled", app.message
    status = bulk.read_operation(seeded, app.progress.operation_id)
    assert status.status == "CANCELLED" and 0 < status.done < 30


def test_reset(seeded):
    app = _app(seeded)
    app.run(wait=True)
    app.reset()
    assert app.state == "idle" and app.table.results.empty and app.patterns.value == ()


def test_helpers():
    assert query_symbols("symbol=infy&symbol=TCS&symbol=<x>&symbol=INFY") == ("INFY", "TCS")
    assert query_symbols(None) == ()
    link = analytics_link("M&M")
    assert "symbol=M%26M" in link and ">M&amp;M<" in link
    svg = sparkline_svg([1, 2, 3])
    assert re.search(r'points="1.0,21.0 45.0,11.0 89.0,1.0"', svg) and "#1a7f37" in svg
    assert sparkline_svg([1.0]) == "" and "#cf222e" in sparkline_svg([3, 1])


def test_explanation_values_are_grouped_numbers_never_scientific():
    """A price in an explanation reads 62,950.00, not 6.295e+04 (walk2, 2026-11-30)."""
    item = {
        "condition": "close > 50000",
        "values": {"close": 62950.0, "50000": 50000.0, "volume": 1234567, "RSI(14)": 78.0512},
    }
    text = _joined([item])
    assert text == "close > 50000 (close=62,950.00, volume=1,234,567, RSI(14)=78.05)"
    assert "e+" not in text
