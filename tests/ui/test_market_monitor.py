"""Headless tests of the market monitor: construct, set traits / click, assert state."""

from __future__ import annotations

import base64
import dataclasses

import numpy as np
import pandas as pd
import pytest

from optionsintel.ui import build_market_monitor
from optionsintel.ui.data import monitor_source


def _values(spec):
    """Values of a plotly JSON array: a list or a base64 typed array."""
    if isinstance(spec, dict):
        return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=spec["dtype"])
    return np.asarray(spec)


def test_builds_latest_snapshot(demo_store):
    app = build_market_monitor(demo_store, autostart=False)
    assert app.state == "ok", app.message
    assert app.underlying == "NIFTY"
    assert app.day == "2025-07-17" and app.live
    assert app.at == app.time_slider.options[-1][1]
    assert app.chain_table.value.count('class="chain-row') == 31
    assert app.chain_table.value.count("chain-row atm") == 1
    assert len(app.oi_chart.data[0].x) == 31
    assert "Max pain" in app.cards.value and "Expected move" in app.cards.value
    # synced widget state holds the data (a view opened later renders it)
    assert [f["layout"]["title"]["text"] for f in app.charts.figures] == [
        f"{title} · provider: replay" for title in ("Open interest by strike",
        "OI change by strike", "PCR and max pain through the day (IST)", "IV smile")]  # fmt: skip
    assert len(_values(app.charts.figures[0]["data"][0]["x"])) == 31


def test_time_slider_replays_day_and_keeps_selection(demo_store):
    app = build_market_monitor(demo_store, autostart=False)
    app.day_select.value = "2025-07-15"
    assert app.state == "ok" and not app.live
    times = [v for _, v in app.time_slider.options]
    assert len(times) == 76  # 09:15 to 15:30 every 5 minutes
    app.expiry_select.value = app.expiry_select.options[1][1]
    chosen = app.expiry
    app.time_slider.value = times[10]
    assert app.at == times[10] and app.expiry == chosen
    shown = pd.DatetimeIndex(app.intraday_chart.data[0].x)
    assert len(shown) >= 2 and shown.max() <= pd.Timestamp(times[10]).tz_convert(
        "Asia/Kolkata"
    ).tz_localize(None)
    # the as-of chain: spot of the card equals the stored quote at that instant
    quote = demo_store.read("underlying_quotes", where={"underlying": "NIFTY",
                            "snapshot_ts": pd.Timestamp(times[10])})  # fmt: skip
    assert f"{quote['ltp'].iloc[0]:,.2f}" in app.cards.value
    app.refresh()  # a refresh keeps the user's day, time and expiry
    assert (app.day, app.at, app.expiry) == ("2025-07-15", times[10], chosen)


def test_live_toggle_goes_back_to_latest(demo_store):
    app = build_market_monitor(demo_store, autostart=False)
    app.day_select.value = "2025-07-15"
    app.live_toggle.value = True
    assert app.live and app.day == "2025-07-17"


def test_tick_refreshes_only_when_live_in_market_hours(demo_store):
    clock = {"now": pd.Timestamp("2025-07-15 05:00", tz="UTC")}
    app = build_market_monitor(demo_store, autostart=False, clock=lambda: clock["now"])
    assert app.tick()
    clock["now"] = pd.Timestamp("2025-07-15 12:00", tz="UTC")  # 17:30 IST, closed
    assert not app.tick()
    app.live = False
    clock["now"] = pd.Timestamp("2025-07-15 05:00", tz="UTC")
    assert not app.tick()


def test_empty_store_says_what_to_run(clean_store):
    app = build_market_monitor(clean_store, autostart=False)
    assert app.state == "empty"
    assert "optionsintel up" in app.message and "optionsintel up" in app.status.value


def test_errors_are_shown_not_raised(demo_store):
    good = monitor_source(demo_store)

    def boom(*_a):
        raise RuntimeError("database went away")

    source = dataclasses.replace(good, chain=boom)
    app = build_market_monitor(source=source, autostart=False)
    assert app.state == "error"
    assert "database went away" in app.status.value and "Traceback" not in app.status.value


def test_reset_returns_to_live_latest(demo_store):
    app = build_market_monitor(demo_store, autostart=False)
    app.day_select.value = "2025-07-15"
    app.reset()
    assert app.live and app.day == "2025-07-17" and app.state == "ok"


@pytest.mark.parametrize("field", ["oi", "oi_change"])
def test_bar_charts_match_table(demo_store, field):
    app = build_market_monitor(demo_store, autostart=False)
    fig = app.oi_chart if field == "oi" else app.oi_change_chart
    chain = demo_store.chain_as_of("NIFTY", pd.Timestamp(app.at), expiry=app.expiry)
    calls = chain.loc[chain["option_type"] == "CE"].set_index("strike")[field]
    strikes = list(fig.data[0].x)
    assert list(fig.data[0].y) == pytest.approx(calls.reindex(strikes).tolist(), nan_ok=True)


def test_intraday_points_axis_reads_grouped_integers():
    """Max pain and spot ticks read 26,037, not plotly's SI '26.037k' (walk2, 2026-11-30)."""
    from optionsintel.ui.figures import intraday_figure

    assert intraday_figure().layout.yaxis2.tickformat == ",.0f"
