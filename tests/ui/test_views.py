"""Pure view builders: trader chain layout, HTML and sampling."""

from __future__ import annotations

import pandas as pd

from optionsintel.transforms.sampling import sample_ticks
from optionsintel.ui.chain_view import chain_html, trader_chain
from optionsintel.ui.panels import message


def _chain():
    strikes = [24900.0, 25000.0, 25100.0, 25200.0]
    rows = []
    for k, ce, pe in zip(strikes, [10, 50, 200, 900], [800, 300, 40, 5], strict=True):
        rows += [{"strike": k, "option_type": "CE", "oi": ce, "oi_change": 1, "volume": 2,
                  "iv": 12.0, "ltp": 1.0, "delta": 0.5, "underlying_price": 25080.0},
                 {"strike": k, "option_type": "PE", "oi": pe, "oi_change": -1, "volume": 3,
                  "iv": 13.0, "ltp": 2.0, "delta": -0.5, "underlying_price": 25080.0}]  # fmt: skip
    return pd.DataFrame(rows)


def test_trader_chain_layout_and_flags():
    t = trader_chain(_chain(), strikes_each_side=None, big_oi_quantile=0.75)
    assert t["strike"].tolist() == [24900.0, 25000.0, 25100.0, 25200.0]
    assert t["is_atm"].tolist() == [False, False, True, False]  # 25100 nearest 25080
    assert t["ce_itm"].tolist() == [True, True, False, False]
    assert t["pe_itm"].tolist() == [False, False, True, True]
    assert t.loc[t["ce_big_oi"], "strike"].tolist() == [25200.0]
    assert t.loc[t["pe_big_oi"], "strike"].tolist() == [24900.0]
    assert t["ce_oi"].tolist() == [10, 50, 200, 900]


def test_window_and_html():
    t = trader_chain(_chain(), strikes_each_side=1)
    assert t["strike"].tolist() == [25000.0, 25100.0, 25200.0]
    page = chain_html(t, "x<y")
    assert page.count('class="chain-row') == 3 and "chain-row atm" in page
    assert "x&lt;y" in page and "CALLS" in page and "PUTS" in page


def test_message_escapes():
    assert "&lt;b&gt;" in message("error", "<b>")
    assert message("error", "") == ""


def test_sample_times_keeps_bucket_starts_and_last():
    t = pd.date_range("2025-07-15 03:45", periods=76, freq="5min", tz="UTC")
    s = sample_ticks(t, 15)
    assert s[0] == t[0] and s[-1] == t[-1] and len(s) == 26
