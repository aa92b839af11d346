"""Both Voila apps escape store and user text in the HTML they build (issue 12 item 11)."""

from __future__ import annotations

import html
from types import SimpleNamespace

import pandas as pd
import pytest

from optionsintel.ui import panels
from optionsintel.ui.analytics_report import _period_html, _symbol_cards
from optionsintel.ui.chain_view import trader_chain
from optionsintel.ui.market_monitor import chain_table_html, feed_titles

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
HOSTILE = [SCRIPT, BREAKOUT, f"NIFTY{BREAKOUT}{SCRIPT}"]


def _assert_inert(out: str, text: str) -> None:
    """No tag of the text survives (no ``<script``, no attribute break-out): it is shown escaped."""
    assert "<script" not in out and "<img" not in out and text not in out
    assert html.escape(text) in out


def _metrics() -> pd.Series:
    names = ["total_return", "annual_return", "sharpe_ratio", "sortino_ratio",
             "annual_volatility", "max_drawdown", "var_historical", "es_historical"]  # fmt: skip
    return pd.Series(0.1, index=names)


def _chain() -> pd.DataFrame:
    rows = [{"strike": k, "option_type": t, "oi": 100.0, "oi_change": 1.0, "volume": 2.0,
             "iv": 12.0, "ltp": 1.0, "delta": 0.5, "underlying_price": 25080.0}
            for k in (25000.0, 25100.0) for t in ("CE", "PE")]  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("text", HOSTILE)
def test_analytics_report_cards_escape_symbol_risk_and_provider(text: str) -> None:
    out = _symbol_cards(text, _metrics(), risk=text, provider=text)
    _assert_inert(out, text)
    period = SimpleNamespace(start=pd.Timestamp("2025-01-01"), end=pd.Timestamp("2025-07-01"),
                             timeframe=text)  # fmt: skip
    _assert_inert(_period_html(period, {text: text}), text)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", HOSTILE)
def test_market_monitor_caption_titles_and_panels_escape_store_text(text: str) -> None:
    at = pd.Timestamp("2025-07-16 10:00", tz="UTC")
    out = chain_table_html(trader_chain(_chain()), text, text, at, text)
    _assert_inert(out, text)
    assert "<caption>" in out and "chain-row" in out  # the table itself is still HTML
    for title in feed_titles(text):
        _assert_inert(title, text)
    stored = pd.DataFrame({"method": [text], "rank": [1], "level_type": [text], "level": [25000.0],
                           "trade_date": [pd.Timestamp("2025-07-16")]})  # fmt: skip
    _assert_inert(panels.levels_html(stored, {"support": 25000.0}), text)
    _assert_inert(panels.provider_note(text, True, [text, "nse"]), text)
    _assert_inert(panels.message("error", text), text)
