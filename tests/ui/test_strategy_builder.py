"""Strategy builder, headless: real recorded NSE chain in the real store, clicks and traits.

The recorded NSE NIFTY chain of 2025-07-16 15:30 (tests/data provenance: the gzip copy
shipped with the providers package) is written to ``option_chain_snapshots`` under
provider ``nse_recorded``; the builder reads it back as of that instant.
"""

from __future__ import annotations

import pytest

from optionsintel.store.backtests import read_backtest_run
from optionsintel.store.strategies import read_user_strategy
from optionsintel.ui.strategy_builder import StrategyBuilder
from optionsintel.ui.strategy_data import strategy_source

PROVIDER = "nse_recorded"


@pytest.fixture
def app(clean_store, nifty_0716) -> StrategyBuilder:
    chain = nifty_0716.chain.assign(provider=PROVIDER)
    clean_store.write("option_chain_snapshots", chain)
    return StrategyBuilder(strategy_source(clean_store, user="asha"))


def test_loads_the_chain_as_of_its_instant_from_one_named_provider(app) -> None:
    assert app.underlying == "NIFTY" and app.provider == PROVIDER
    assert app.instant.startswith("2025-07-16T15:30")
    assert f"(data: {PROVIDER})" in app.status.value and app.state == "ok"
    assert len(app.expiry_select.options) >= 4 and app.n_legs == 0
    assert "No legs yet" in app.legs_view.value


def test_template_and_manual_legs_drive_payoff_cards_and_greeks(app) -> None:
    app.template_select.value = "Iron condor"
    app.width_input.value = 2
    app.template_button.click()
    assert app.n_legs == 4 and app.strategy is not None
    assert len(app.figure.data) == 2 and len(app.chart.figures) == 1  # expiry and T+n
    assert "Breakevens" in app.cards.value and "POP" in app.cards.value
    assert "ESTIMATE" in app.cards.value  # the margin says what it is
    assert "net" in app.greeks_view.value
    before = app.figure.data[1].y.copy()
    app.iv_slider.value = 5
    app.days_slider.value = 3
    assert (app.figure.data[1].y != before).any()  # T+n curve moves with the IV slider
    app.type_select.value, app.side_select.value = "CE", "buy"
    app.add_leg()
    assert app.n_legs == 5
    app.clear_legs()
    assert app.n_legs == 0 and app.cards.value == "" and len(app.figure.data) == 0
    assert "No legs yet" in app.legs_view.value  # the empty state says what to do


def test_save_versions_and_send_to_the_backtester(app, clean_store) -> None:
    app.template_select.value = "Short straddle"
    app.template_button.click()
    app.name_input.value = "my straddle"
    app.save_button.click()
    assert app.pin == "asha/my straddle@1" and "saved as" in app.save_message.value
    saved = read_user_strategy(clean_store, "asha", "my straddle")
    assert len(saved.legs) == 2 and saved.rules["strategy"]["legs"][0]["strike"] == "atm"
    app.save_button.click()
    assert "unchanged" in app.save_message.value and app.pin.endswith("@1")
    app.backtest_button.click()
    assert app.run_id.startswith("bt-"), app.bt_view.value
    assert f"(data: {PROVIDER}" in app.bt_view.value
    run = read_backtest_run(clean_store, app.run_id).record
    assert run.kind == "options" and run.source["strategy"] == "asha/my straddle@1"
    # one stored instant only: the entry has nothing after it, so it is skipped with a reason
    assert "skipped" in app.bt_view.value


def test_bad_input_shows_a_message_not_a_trace(app) -> None:
    app.backtest_button.click()
    assert "add legs" in app.bt_view.value
    app.template_button.click()
    app.start_input.value = "not a date"
    app.backtest_button.click()
    assert "is not a date" in app.bt_view.value and app.run_id == ""


def test_on_expiry_day_close_the_default_expiry_is_the_next_one(clean_store, nifty_0717) -> None:
    # 2025-07-17 15:30 is the close of the 2025-07-17 weekly: nothing left to price there
    clean_store.write("option_chain_snapshots", nifty_0717.chain.assign(provider=PROVIDER))
    app = StrategyBuilder(strategy_source(clean_store, user="asha"))
    assert str(app.expiry_select.value) > "2025-07-17"
    app.template_button.click()
    assert app.n_legs == 2 and "oi-card" in app.cards.value, app.status.value


def test_leg_and_greek_cells_do_not_wrap_on_a_phone():
    """A leg's name stays on one line; the table scrolls sideways instead (walk2, 2026-11-30)."""
    from optionsintel.ui.strategy_builder import STYLE

    assert ".oi-legs td, .oi-greeks td { white-space: nowrap; }" in STYLE
    assert ".oi-scroll { overflow-x: auto;" in STYLE
