"""The alerts manager, headless: widgets driven by setting values and clicking, on the real
PostgreSQL, a real dispatcher and a local webhook receiver verifying signatures."""

from __future__ import annotations

import pandas as pd
import pytest

from alert_fakes import webhook_receiver
from optionsintel.alerts import TickFrames, parse_rule
from optionsintel.delivery import InAppChannel
from optionsintel.delivery.webhook import new_secret
from optionsintel.services import alerts as svc
from optionsintel.services import patterns
from optionsintel.services.dispatch import Dispatcher, DispatchPolicy, feed_writer
from optionsintel.tz import EXCHANGE_TZ
from optionsintel.ui.alerts_bell import build_bell
from optionsintel.ui.alerts_data import alerts_source
from optionsintel.ui.alerts_manager import AlertsManager

ENV = "OPTIONSINTEL_WEBHOOK_SECRET_DESK"
T0 = pd.Timestamp("2025-07-16 10:00", tz=EXCHANGE_TZ)


@pytest.fixture
def secret() -> str:
    return new_secret()


@pytest.fixture
def app(clean_store, secret) -> AlertsManager:
    return AlertsManager(alerts_source(clean_store, environ={ENV: secret}), "asha")


def _fill_price_rule(app: AlertsManager, name: str = "nifty-up") -> None:
    app.new_rule()
    app.editor.name.value = name
    app.editor.symbols.value = "nifty, banknifty"
    app.editor.kind.value = "PRICE"
    app.editor.condition.f["price_op"].value = "above"
    app.editor.condition.f["price_value"].value = 1000.0


def test_create_edit_mute_and_delete_by_clicks(app, clean_store) -> None:
    assert "Nothing yet" in app.rules_view.value
    _fill_price_rule(app)
    app.buttons["Save rule"].click()
    assert app.message == "Saved nifty-up (created)."
    stored = svc.get_rule(clean_store, "asha", "nifty-up")
    assert stored.symbols == ("NIFTY", "BANKNIFTY") and stored.condition.value == 1000.0
    assert "nifty-up" in app.rules_view.value and app.selected == "nifty-up"
    # edit: the form shows the stored rule; a change is saved as an update
    app.new_rule()
    app.buttons["Edit"].click()
    assert app.editor.name.value == "nifty-up" and app.editor.name.disabled
    app.editor.cooldown.value = 60
    app.buttons["Save rule"].click()
    assert app.message == "Saved nifty-up (updated)."
    assert svc.get_rule(clean_store, "asha", "nifty-up").cooldown_seconds == 60
    app.buttons["Mute"].click()
    assert list(svc.list_rules(clean_store)["status"]) == ["MUTED"]
    assert 'class="MUTED"' in app.rules_view.value
    app.buttons["Unmute"].click()
    assert list(svc.list_rules(clean_store)["status"]) == ["ACTIVE"]
    app.buttons["Delete"].click()
    assert svc.list_rules(clean_store).empty and app.selected == ""


def test_an_invalid_form_is_refused_with_one_line_and_stores_nothing(app, clean_store) -> None:
    _fill_price_rule(app, name="bad name!")
    app.buttons["Save rule"].click()
    assert app.message.startswith("alert rule 'bad name!': name:")
    assert "\n" not in app.message and svc.list_rules(clean_store).empty
    _fill_price_rule(app)
    app.editor.channels.on["in_app"].value = False
    app.buttons["Save rule"].click()
    assert "channels" in app.message and svc.list_rules(clean_store).empty


def test_every_condition_type_round_trips_through_the_form(app, clean_store) -> None:
    patterns.save_pattern(clean_store, "dip", "RSI(14) < 30", user="asha", name="Dip")
    patterns.save_pattern(clean_store, "dip", "RSI(14) < 25", user="asha")
    app.editor.condition.picker.refresh()
    conditions = [
        {"type": "PRICE", "op": "pct_change", "value": 1.5, "window_minutes": 30,
         "direction": "down"},
        {"type": "OI_CHANGE", "scope": "strike", "side": "PE", "measure": "pct",
         "threshold": 20.0, "direction": "up", "expiry": "2025-07-31", "strike": 25000.0},
        {"type": "VOLUME_SPIKE", "multiple": 3.0, "window": 10},
        {"type": "VOLATILITY", "metric": "atm_iv_change", "op": "above", "value": 2.0,
         "window_minutes": 15},
        {"type": "SIGNAL", "signal_types": ["CALL_BUILDUP", "GAMMA_SQUEEZE"],
         "min_confidence": 70.0, "min_strength": "STRONG"},
        {"type": "PATTERN", "pattern": "dip", "version": 1},
        {"type": "SCAN", "scan_id": "breakouts"},
    ]  # fmt: skip
    for i, condition in enumerate(conditions):
        rule = {"owner": "asha", "name": f"r{i}", "symbols": ["NIFTY"], "condition": condition,
                "channels": [{"kind": "in_app"}], "max_triggers_per_day": 3,
                "expires_at": "2026-03-31T15:30:00"}  # fmt: skip
        svc.create_rule(clean_store, rule)
        app.refresh()
        app.rule_select.value = f"r{i}"
        app.buttons["Edit"].click()
        saved = svc.get_rule(clean_store, "asha", f"r{i}")
        again = app.editor.document("asha")
        assert parse_rule(again) == saved, condition["type"]


def test_history_attempts_feed_and_bell(app, clean_store) -> None:
    _fill_price_rule(app)
    app.buttons["Save rule"].click()
    quotes = pd.DataFrame({"underlying": ["NIFTY"], "snapshot_ts": [T0], "ltp": [25000.0]})
    with clean_store.transaction() as writer:
        svc.evaluate_and_enqueue(writer, TickFrames(quotes=quotes), T0)
    app.refresh()
    assert "NIFTY" in app.history_view.value and 'class="PENDING"' in app.history_view.value
    dispatcher = Dispatcher(clean_store, {"in_app": InAppChannel(feed_writer(clean_store))},
                            DispatchPolicy(poll_seconds=0.1))  # fmt: skip
    try:
        assert dispatcher.run_once() == 1
    finally:
        dispatcher.close()
    app.refresh()
    assert 'class="SENT"' in app.history_view.value
    assert 'class="SENT"' in app.attempts_view.value  # attempt 1, outcome SENT
    assert app.bell.unread == 1 and app.bell.button.description == "🔔 1"
    app.bell.button.click()
    assert app.bell.expanded and app.bell.items in app.bell.children
    key = app.bell.rows["dedupe_key"].iloc[0]
    app.bell.mark_read(key)
    assert app.bell.unread == 0
    other = build_bell(clean_store, "asha")  # the reusable bell sees the same feed
    assert other.unread == 0 and len(other.rows) == 1


def test_test_send_reaches_a_verifying_webhook_receiver(app, secret) -> None:
    receiver = webhook_receiver(secret)
    try:
        _fill_price_rule(app)
        app.editor.channels.on["webhook"].value = True
        app.editor.channels.target["webhook"].value = receiver.url + "/hook"
        app.editor.channels.secret_env.value = ENV
        assert list(app.test_kind.options) == ["in_app", "webhook"]
        assert app.test_kind.value == "in_app"  # a ticked channel is chosen, never blank
        app.test_kind.value = "webhook"
        app.buttons["Send test"].click()
        assert app.message.startswith("Test sent to webhook"), app.message
        assert len(receiver.requests) == 1  # signature verified by the receiver
        assert secret not in app.status.value
        app.editor.channels.secret_env.value = "OPTIONSINTEL_WEBHOOK_SECRET_NONE"
        app.buttons["Send test"].click()
        assert "failed" in app.message and secret not in app.message
    finally:
        receiver.close()


def test_html_is_escaped(app, clean_store) -> None:
    channels = [{"kind": "in_app", "user": "<b>u</b>"}]
    svc.create_rule(clean_store, {"owner": "asha", "name": "x", "symbols": ["NIFTY"],
                                  "condition": {"type": "SCAN", "scan_id": "s"},
                                  "channels": channels})  # fmt: skip
    app.refresh()
    assert "<b>u</b>" not in app.rules_view.value


def test_max_per_day_label_is_not_cut(app) -> None:
    """'Max/day (0=∞)' showed as 'Max/day (0…' in the default 80 px label (walk2, 2026-11-30)."""
    assert app.editor.max_per_day.style.description_width == "initial"
