"""Keyboard shortcuts, headless: a key (as the browser sends it) moves the app like a click."""

from __future__ import annotations

import pytest

from optionsintel.ui import build_market_monitor
from optionsintel.ui.shortcuts import MONITOR_KEYS, Shortcuts, help_html
from optionsintel.ui.strategy_builder import StrategyBuilder
from optionsintel.ui.strategy_data import strategy_source


def _key(app, key):
    """What the page's key listener sends (``model.send``) arriving at the kernel."""
    app.shortcuts._on_message(app.shortcuts, {"event": "key", "key": key}, [])


def _values(widget):
    return [o[1] if isinstance(o, tuple) else o for o in widget.options]


def test_monitor_keys_step_expiry_and_time_and_go_back_to_live(demo_store):
    app = build_market_monitor(demo_store, autostart=False)
    app.day_select.value = "2025-07-15"  # the synthetic demo day: 5-minute snapshots
    expiries, times = _values(app.expiry_select), _values(app.time_slider)
    assert len(expiries) > 2 and len(times) > 2 and app.state == "ok"
    first = app.expiry
    _key(app, "n")
    assert app.expiry == expiries[expiries.index(first) + 1] and app.state == "ok"
    assert app.expiry in app.chain_table.value  # the chain shown is the new expiry's
    _key(app, "p")
    assert app.expiry == first
    _key(app, "p")  # already the first: stays
    assert app.expiry == first
    assert app.at == times[-1] and not app.live  # an older day: not live
    _key(app, ",")
    assert app.at == times[-2]
    _key(app, ",")
    _key(app, ".")
    assert app.at == times[-2] and app.state == "ok"
    _key(app, "l")
    assert app.live and app.day == app.day_select.options[0][1]  # back to the latest
    _key(app, "r")
    assert app.shortcuts.pressed == ["n", "p", "p", ",", ",", ".", "l", "r"]
    assert (
        app.shortcuts.press("z") is False and app.shortcuts.pressed[-1] == "r"
    )  # unbound: ignored


def test_the_page_lists_the_keys(demo_store):
    app = build_market_monitor(demo_store, autostart=False)
    assert app.shortcuts in app.children
    assert [b["key"] for b in app.shortcuts.bindings] == [k for k, _, _ in MONITOR_KEYS]
    assert {b["label"] for b in app.shortcuts.bindings} >= {
        "refresh",
        "next expiry",
        "previous expiry",
    }
    text = help_html(MONITOR_KEYS)
    assert "<kbd>n</kbd> next expiry" in text and "<kbd>,</kbd> time step back" in text


def test_strategy_builder_keys_move_expiry_and_days(clean_store, nifty_0716):
    clean_store.write("option_chain_snapshots", nifty_0716.chain.assign(provider="nse_recorded"))
    app = StrategyBuilder(strategy_source(clean_store, user="asha"))
    before = app.expiry_select.value
    _key(app, "n")
    assert _values(app.expiry_select).index(app.expiry_select.value) == (
        _values(app.expiry_select).index(before) + 1
    )
    _key(app, ".")
    _key(app, ".")
    _key(app, ",")
    assert app.days_slider.value == 1
    for _ in range(5):
        _key(app, ",")
    assert app.days_slider.value == 0  # clamped at the slider's bounds


def test_bindings_are_checked():
    with pytest.raises(ValueError, match="bound twice"):
        Shortcuts([("r", "a", "a"), ("r", "b", "b")])
    keys = Shortcuts([("r", "refresh", "refresh")])
    with pytest.raises(ValueError, match="no key is bound"):
        keys.on("next_expiry", lambda: None)
    keys.on("refresh", lambda: 1 / 0)  # a failing action is logged, never raised
    assert keys.press("r") is True
    keys._on_message(keys, "not a dict", [])
    assert keys.pressed == ["r"]
