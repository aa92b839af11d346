"""Store text put into Voila HTML is escaped (issue 12 item 11)."""

from __future__ import annotations

import pandas as pd

from optionsintel.ui import panels

HOSTILE = '<img src=x onerror="alert(1)">'


def test_levels_html_escapes_stored_text() -> None:
    stored = pd.DataFrame(
        {
            "method": [HOSTILE], "rank": [1], "level_type": ['SUPPORT" onmouseover="x'],
            "level": [25000.0], "trade_date": [pd.Timestamp("2025-07-16")],
        }
    )  # fmt: skip
    out = panels.levels_html(stored, {"support": 25000.0})
    assert "<img" not in out and 'onerror="' not in out and 'onmouseover="x' not in out
    assert "&lt;img" in out and "&quot;" in out


def test_signals_html_escapes_stored_text() -> None:
    signals = pd.DataFrame(
        {
            "snapshot_ts": [pd.Timestamp("2025-07-16 10:00", tz="UTC")],
            "signal_type": [HOSTILE], "expiry": [pd.Timestamp("2025-07-17")],
            "confidence": [80.0], "strength": ['STRONG"><script>alert(1)</script>'],
        }
    )  # fmt: skip
    out = panels.signals_html(signals)
    assert "<script" not in out and "<img" not in out
    assert '<span class="badge STRONG&quot;&gt;' in out


def test_list_tables_scroll_sideways_in_their_own_box_on_a_phone() -> None:
    signals = pd.DataFrame(
        {
            "snapshot_ts": [pd.Timestamp("2025-07-16 10:00", tz="UTC")],
            "signal_type": ["CALL_BUILDUP"], "expiry": [pd.Timestamp("2025-07-17")],
            "confidence": [80.0], "strength": ["STRONG"],
        }
    )  # fmt: skip
    out = panels.signals_html(signals)
    assert out.startswith('<div class="oi-chain-wrap"><table class="oi-list signals">')
    assert out.endswith("</table></div>")
    assert ".oi-chain-wrap { overflow-x: auto; max-width: 100%; }" in panels.STYLE
