"""The analytics report as a PDF, rendered with real Chromium: pages, text and chart images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from optionsintel.research import build_report
from optionsintel.ui.pdf import CHROMIUM, report_pdf


@pytest.mark.slow
def test_report_pdf_has_cards_and_chart_images(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    rng = np.random.default_rng(5)
    idx = pd.bdate_range("2024-01-01", periods=300)
    prices = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.01, (300, 2)), axis=0)),
                          index=idx, columns=["NIFTY", "BANKNIFTY"])  # fmt: skip
    report = build_report(prices, ["NIFTY", "BANKNIFTY"], "1Y")
    path = report_pdf(
        report, tmp_path / "report.pdf", providers={"NIFTY": "nse", "BANKNIFTY": "nse"}
    )
    pdf = PdfReader(path)
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert len(pdf.pages) >= 2
    for expected in (
        "Analytics report",
        "NIFTY",
        "BANKNIFTY",
        "Total return",
        "Sharpe",
        "Max drawdown",
        "provider: nse",
    ):
        assert expected.lower() in text.lower(), expected  # the cards' CSS upper-cases labels
    images = sum(len(page.images) for page in pdf.pages)
    assert images >= 5  # equity, drawdown, rolling Sharpe, correlation, distribution
