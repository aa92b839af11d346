"""Export/import panels, headless: construct, set traits, click, assert on state."""

from __future__ import annotations

from conftest import PROVIDER, daily_bars
from optionsintel.ui.exchange_panels import ExportPanel, ImportPanel


def test_export_panel_offers_a_download_link(clean_store, tmp_path):
    clean_store.write("daily_ohlc", daily_bars(6))
    panel = ExportPanel(clean_store, directory=tmp_path)
    panel.provider = PROVIDER
    panel.format_box.value = "parquet"
    panel.export_button.click()
    assert panel.state == "ok" and "6 rows" in panel.message
    assert 'download="daily_ohlc.parquet"' in panel.link.value
    assert "provenance.json" not in panel.link.value  # inside the Parquet file
    panel.format_box.value = "csv"
    panel.export_button.click()
    # a text format's provenance is its sidecar: offered next to the file
    assert 'download="daily_ohlc.csv.provenance.json"' in panel.link.value
    panel.provider = ""
    panel.export_button.click()
    assert panel.state == "error" and "provider" in panel.message
    panel.reset()
    assert panel.state == "idle"


def test_import_panel_validates_then_imports(clean_store):
    panel = ImportPanel(clean_store)
    panel.provider = "mine"
    bad = b"symbol,trade_date,close\nNIFTY,2025-06-02,abc\n"
    panel.validate("bars.csv", bad)
    assert panel.state == "invalid" and panel.import_button.disabled
    assert "not a number" in panel.report.value
    panel.validate("bars.csv", b"symbol,trade_date,close\nNIFTY,2025-06-02,1.5\n")
    assert panel.state == "ok" and not panel.import_button.disabled
    panel.import_button.click()
    assert panel.message.startswith("imported 1 rows: 1 new")
    assert clean_store.count("daily_ohlc", {"provider": "mine"}) == 1
    panel.provider = "nse"
    panel.validate("bars.csv", b"symbol,trade_date\n")
    assert panel.state == "error" and "ProviderNameError" in panel.message


def test_documents_round_trip_through_the_panels(clean_store, tmp_path):
    from optionsintel.services.patterns import list_patterns, save_pattern

    save_pattern(clean_store, "rsi_dip", "RSI(14) < 30", user="asha", name="RSI dip")
    out = ExportPanel(clean_store, directory=tmp_path)
    out.dataset, out.format_box.value = "patterns", "json"
    out.export_button.click()
    assert out.state == "ok" and 'download="patterns.json"' in out.link.value
    data = (tmp_path / "patterns.json").read_bytes().replace(b'"rsi_dip"', b'"copy"')
    panel = ImportPanel(clean_store)
    panel.dataset = "patterns"
    panel.validate("patterns.json", data)
    assert panel.state == "ok" and not panel.import_button.disabled, panel.report.value
    panel.import_button.click()
    assert "1 new" in panel.message
    assert {p.pattern_id for p in list_patterns(clean_store)} == {"rsi_dip", "copy"}
    panel.validate("w.csv", b"owner,name,symbol\nasha,core,NIFTY\n")  # not patterns
    assert panel.state == "invalid" and "definition" in panel.report.value
    panel.dataset = "watchlists"
    panel.validate("w.csv", b"owner,name,symbol\nasha,core,NOPE\n")
    assert panel.state == "invalid" and "unknown_symbol" in panel.report.value


def test_the_analytics_report_has_an_export_import_tab(clean_store):
    from optionsintel.ui.analytics_report import TABS, AnalyticsReport
    from optionsintel.ui.report_data import full_report_source

    app = AnalyticsReport(full_report_source(clean_store), store=clean_store)
    assert TABS[-1] == "Export / import"
    app.tabs.selected_index = 3
    tab = app.tabs.children[3]
    assert any(isinstance(c, ExportPanel) for c in tab.children)
    assert any(isinstance(c, ImportPanel) for c in tab.children)
    bare = AnalyticsReport(full_report_source(clean_store))
    bare.tabs.selected_index = 3
    assert "need the store" in bare.tabs.children[3].children[0].value
