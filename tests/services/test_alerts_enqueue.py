"""Rule CRUD and evaluate-and-enqueue (transactional outbox) on the real PostgreSQL."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from optionsintel.alerts import TickFrames
from optionsintel.errors import AlertRuleError
from optionsintel.services import alerts as svc
from optionsintel.store.alerts import (
    read_alert_notifications,
    read_alert_rule_state,
    read_alert_rules,
)
from optionsintel.store.notify import ALERTS_CHANNEL, Listener
from optionsintel.tz import EXCHANGE_TZ

TICK = pd.Timestamp("2025-07-16 10:05", tz=EXCHANGE_TZ)
HOOK = {
    "kind": "webhook",
    "url": "http://127.0.0.1:9/h",
    "secret_env": "OPTIONSINTEL_WEBHOOK_SECRET_T",
}


def _rule(name="above", **kw) -> dict:
    return {"owner": "asha", "name": name, "symbols": ["NIFTY"],
            "condition": {"type": "PRICE", "op": "above", "value": 25000},
            "channels": [{"kind": "in_app"}, HOOK], **kw}  # fmt: skip


def _tick(price: float, at=TICK, underlying="NIFTY") -> TickFrames:
    return TickFrames(
        quotes=pd.DataFrame({"underlying": [underlying], "snapshot_ts": [at], "ltp": [price]})
    )


def _enqueue(store, frames, at=TICK):
    with store.transaction() as writer:
        return svc.evaluate_and_enqueue(writer, frames, at)


def test_rule_crud(clean_store) -> None:
    rule = svc.create_rule(clean_store, _rule())
    with pytest.raises(AlertRuleError, match="already has a rule named 'above'"):
        svc.create_rule(clean_store, _rule())
    with pytest.raises(AlertRuleError, match="condition"):
        svc.create_rule(clean_store, _rule("bad", condition={"type": "PRICE", "op": "above"}))
    assert svc.get_rule(clean_store, "asha", "above") == rule
    svc.update_rule(clean_store, _rule(cooldown_seconds=5))
    assert svc.get_rule(clean_store, "asha", "above").cooldown_seconds == 5
    with pytest.raises(AlertRuleError, match="no rule named 'ghost'"):
        svc.update_rule(clean_store, _rule("ghost"))
    table = svc.list_rules(clean_store)
    assert table.to_dict("records")[0] | {"cooldown_seconds": 5} == {
        "owner": "asha", "name": "above", "type": "PRICE", "status": "ACTIVE",
        "instruments": "NIFTY", "channels": "in_app,webhook", "cooldown_seconds": 5,
    }  # fmt: skip
    assert svc.mute_rule(clean_store, "asha", "above") is True
    assert svc.mute_rule(clean_store, "asha", "above") is False  # already muted
    assert list(read_alert_rules(clean_store)["status"]) == ["MUTED"]
    assert svc.mute_rule(clean_store, "asha", "above", muted=False) is True
    with pytest.raises(AlertRuleError, match="no rule"):
        svc.mute_rule(clean_store, "asha", "ghost")
    assert svc.delete_rule(clean_store, "asha", "above") is True
    assert svc.delete_rule(clean_store, "asha", "above") is False


def test_enqueue_writes_state_and_outbox_in_the_callers_transaction(clean_store) -> None:
    svc.create_rule(clean_store, _rule())
    with pytest.raises(RuntimeError), clean_store.transaction() as writer:
        result = svc.evaluate_and_enqueue(writer, _tick(25100), TICK)
        assert result.enqueued == 2
        raise RuntimeError("the tick failed after evaluating")
    assert read_alert_notifications(clean_store).empty  # rolled back with the tick
    assert read_alert_rule_state(clean_store).empty
    result = _enqueue(clean_store, _tick(25100))
    assert (result.enqueued, result.duplicates) == (2, 0)
    rows = read_alert_notifications(clean_store)
    assert sorted(rows["channel"]) == ["in_app", "webhook"]
    assert set(rows["status"]) == {"PENDING"}
    event = rows["payload"].iloc[0]["event"]
    assert (event["instrument"], event["value"], event["threshold"]) == ("NIFTY", 25100.0, 25000.0)
    assert rows["triggered_at"].iloc[0] == TICK
    state = read_alert_rule_state(clean_store)
    assert not bool(state["armed"].iloc[0]) and int(state["triggers_today"].iloc[0]) == 1


def test_retried_tick_or_rerun_partition_never_notifies_twice(clean_store) -> None:
    svc.create_rule(clean_store, _rule())
    assert _enqueue(clean_store, _tick(25100)).enqueued == 2
    # retried tick: the rule is disarmed, nothing triggers
    again = _enqueue(clean_store, _tick(25100))
    assert (again.enqueued, len(again.triggers)) == (0, 0)
    # re-run partition from scratch (state recomputed): the same keys are skipped
    with clean_store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM alert_rule_state"))
    rerun = _enqueue(clean_store, _tick(25100))
    assert (len(rerun.triggers), rerun.enqueued, rerun.duplicates) == (1, 0, 2)
    assert len(read_alert_notifications(clean_store)) == 2
    # condition clears, then fires again at a later tick: a new notification
    _enqueue(
        clean_store, _tick(24900, TICK + pd.Timedelta(minutes=1)), TICK + pd.Timedelta(minutes=1)
    )
    later = TICK + pd.Timedelta(minutes=20)
    assert _enqueue(clean_store, _tick(25200, later), later).enqueued == 2


def test_muted_rules_and_watchlists(clean_store) -> None:
    svc.save_watchlist(clean_store, "asha", "indices", ["nifty", "BANKNIFTY"])
    svc.create_rule(clean_store, _rule("wl", symbols=[], watchlist="indices"))
    svc.create_rule(clean_store, _rule("muted"))
    svc.mute_rule(clean_store, "asha", "muted")
    frames = TickFrames(quotes=pd.DataFrame({
        "underlying": ["NIFTY", "BANKNIFTY"], "snapshot_ts": [TICK, TICK],
        "ltp": [25100.0, 57000.0],
    }))  # fmt: skip
    result = _enqueue(clean_store, frames)
    assert sorted(result.triggers["instrument"]) == ["BANKNIFTY", "NIFTY"]
    assert set(result.triggers["rule_name"]) == {"wl"}


def test_commit_wakes_listeners_and_rollback_does_not(clean_store) -> None:
    svc.create_rule(clean_store, _rule())
    with Listener(clean_store, ALERTS_CHANNEL) as listener:
        assert listener.wait(0.05) == 0
        with pytest.raises(RuntimeError), clean_store.transaction() as writer:
            svc.evaluate_and_enqueue(writer, _tick(25100), TICK)
            raise RuntimeError
        assert listener.wait(0.3) == 0
        _enqueue(clean_store, _tick(25100))
        assert listener.wait(5.0) >= 1


def test_the_outbox_trigger_wakes_only_when_a_row_was_stored(clean_store) -> None:
    """Migration 0015: the insert trigger NOTIFYs for new rows, not for skipped keys."""
    svc.create_rule(clean_store, _rule())
    with Listener(clean_store, ALERTS_CHANNEL) as listener:
        _enqueue(clean_store, _tick(25100))
        assert listener.wait(5.0) >= 1
        stored = clean_store.read("alert_notifications")
        with clean_store.transaction() as writer:  # the same keys again: all skipped
            assert svc.enqueue(writer, stored.drop(columns=["status"])).inserted == 0
        assert listener.wait(0.3) == 0
