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
