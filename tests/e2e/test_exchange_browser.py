"""End to end: the analytics report's *Export / import* tab in headless Chromium.

Uses the fixtures of ``test_dashboards_browser`` (one Voila server per test on 127.0.0.1),
but over a scratch database of its own instead of the demo one: this test imports rows, and
the demo database is only read by the rest of the suite. The database holds a few daily
bars of one provider, written through the store before Voila starts.

The test exports them as CSV and downloads the file and its provenance sidecar through the
links the panel offers; uploads a file with a bad row and reads the row-level report; then
uploads a good file (the dry run) and commits it with *Import*.
"""

from __future__ import annotations

import json
import uuid

import numpy as np
import pandas as pd
import pytest
from test_dashboards_browser import ARTIFACTS, LAPTOP, _page, browser, voila

from optionsintel.store import Store
from optionsintel.store.engine import get_engine

__all__ = ["browser", "voila"]  # fixtures, re-exported for pytest
pytestmark = pytest.mark.e2e
SEEDED = "e2e_seed"
UPLOADED = "e2e_upload"


@pytest.fixture
def demo_scratch_url(_new_database) -> str:
    """A scratch database with 6 daily bars of ``SEEDED`` (instead of the demo copy)."""
    url = _new_database(f"exchange_e2e_{uuid.uuid4().hex[:8]}")
    close = np.array([100.0, 101.5, 99.25, 250.0, 251.75, 249.5])
    Store(get_engine(url)).write("daily_ohlc", pd.DataFrame({
        "symbol": ["NIFTY"] * 3 + ["BANKNIFTY"] * 3,
        "trade_date": pd.to_datetime(["2025-06-02", "2025-06-03", "2025-06-04"] * 2),
        "open": close, "high": close + 1.0, "low": close - 1.0, "close": close,
        "volume": 1000.0, "oi": np.nan, "provider": SEEDED}))  # fmt: skip
    return url


def _open_tab(page, voila):
    page.goto(voila["Analytics report"], timeout=120_000)
    page.locator(".lm-TabBar-tab, .p-TabBar-tab", has_text="Export / import").click(timeout=120_000)
    page.get_by_role("button", name="Export").wait_for(timeout=60_000)


def _export_csv(page, tmp_path):
    page.locator(".widget-text", has_text="Provider").first.locator("input").fill(SEEDED)
    page.locator(".widget-dropdown", has_text="Format").locator("select").select_option("csv")
    page.get_by_role("button", name="Export").click()
    page.get_by_text("6 rows of daily_ohlc").first.wait_for(timeout=60_000)
    files = {}
    for name in ("daily_ohlc.csv", "daily_ohlc.csv.provenance.json"):
        with page.expect_download(timeout=30_000) as info:
            page.locator(f'a[download="{name}"]').click()
        info.value.save_as(tmp_path / name)
        files[name] = tmp_path / name
    return files


def _upload(page, name: str, data: bytes):
    # ipywidgets' FileUpload keeps its <input type=file> out of the page: click its button
    with page.expect_file_chooser(timeout=30_000) as chooser:
        page.locator("button.widget-upload, .widget-upload").first.click()
    chooser.value.set_files([{"name": name, "mimeType": "text/csv", "buffer": data}])


def test_export_then_upload_validate_and_import(voila, browser, tmp_path, demo_scratch_url):
    page, problems, external = _page(browser, LAPTOP)
    _open_tab(page, voila)

    files = _export_csv(page, tmp_path)
    got = pd.read_csv(files["daily_ohlc.csv"])
    assert len(got) == 6 and set(got["symbol"]) == {"NIFTY", "BANKNIFTY"}
    assert sorted(got["close"]) == [99.25, 100.0, 101.5, 249.5, 250.0, 251.75]
    prov = json.loads(files["daily_ohlc.csv.provenance.json"].read_text())
    assert (prov["dataset"], prov["provider"], prov["row_count"]) == ("daily_ohlc", SEEDED, 6)
    assert prov["format"] == "csv" and prov["as_of"].startswith("2025-06-04")

    page.locator(".widget-text", has_text="Provider").nth(1).locator("input").fill(UPLOADED)
    bad = b"symbol,trade_date,close\nNIFTY,2025-06-02,1.5\nNIFTY,2025-06-03,abc\n"
    _upload(page, "bad.csv", bad)
    report = page.locator(".oi-msg.error")
    report.wait_for(timeout=60_000)
    errors = page.locator("table.dataframe")
    errors.wait_for(timeout=10_000)
    text = errors.inner_text()
    assert "close" in text and "not a number" in text and "abc" in text, text
    assert page.get_by_role("button", name="Import").is_disabled()
    page.screenshot(path=str(ARTIFACTS / "exchange_invalid_upload.png"), full_page=True)

    good = b"symbol,trade_date,close\nNIFTY,2025-06-02,1.5\nNIFTY,2025-06-03,2.5\n"
    _upload(page, "good.csv", good)
    page.locator(".oi-msg.error").wait_for(state="detached", timeout=60_000)
    importer = page.get_by_role("button", name="Import")
    page.wait_for_function(
        "() => [...document.querySelectorAll('button')].some("
        "b => b.innerText.trim() === 'Import' && !b.disabled)",
        timeout=60_000,
    )
    store = Store(get_engine(demo_scratch_url))
    assert store.count("daily_ohlc", {"provider": UPLOADED}) == 0  # a dry run wrote nothing
    importer.click()
    page.get_by_text("imported 2 rows: 2 new").wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "exchange_imported.png"), full_page=True)
    stored = store.read("daily_ohlc", where={"provider": UPLOADED})
    assert sorted(stored["close"]) == [1.5, 2.5]
    assert store.count("daily_ohlc", {"provider": SEEDED}) == 6  # never mixed
    assert "Traceback" not in page.content()
    assert not problems, problems
    assert external <= {"cdn.jsdelivr.net"}, external
