"""Alert rules evaluated inside the collection tick's transaction (services.alert_ticks).

Real parts: the synthetic provider's ticks collected by ``collect_tick``, written to the
real PostgreSQL by the session's write callback; the outbox read back from the store.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optionsintel.collect.session import collect_tick, intraday_tables
from optionsintel.errors import FrameValidationError, StoreWriteError
from optionsintel.providers.registry import ProviderConfig, build_provider
from optionsintel.services import alerts as svc
from optionsintel.services.alert_ticks import write_tick
from optionsintel.store.alerts import read_alert_notifications, read_alert_rule_state
from optionsintel.tz import EXCHANGE_TZ

T0 = pd.Timestamp("2025-07-16 10:00", tz=EXCHANGE_TZ).tz_convert("UTC")


def _frames(at: pd.Timestamp, underlyings=("NIFTY", "FINNIFTY")) -> dict[str, pd.DataFrame]:
    provider = build_provider(
        "synthetic", ProviderConfig(synthetic_seed=7), clock=lambda: at.to_pydatetime()
    )
    return dict(intraday_tables(collect_tick(provider, list(underlyings), at)))


def _rule(name: str, condition: dict, **kw) -> dict:
    return {"owner": "asha", "name": name, "symbols": ["NIFTY"], "condition": condition,
            "channels": [{"kind": "in_app"}], **kw}  # fmt: skip


def test_a_tick_commits_its_notifications_with_its_data(clean_store) -> None:
    svc.create_rule(clean_store, _rule("up", {"type": "PRICE", "op": "above", "value": 1000}))
    frames = _frames(T0)
    write_tick(clean_store, frames)
    outbox = read_alert_notifications(clean_store)
    assert list(outbox["instrument"]) == ["NIFTY"]
    assert outbox["triggered_at"].iloc[0] == T0  # the tick's instant: the stored quote's
    stored = clean_store.read("underlying_quotes")
    assert T0 in set(stored["snapshot_ts"])
    event = outbox["payload"].iloc[0]["event"]
    nifty = frames["underlying_quotes"].set_index("underlying")["ltp"]["NIFTY"]
    np.testing.assert_allclose(event["value"], nifty)


def test_a_retried_tick_never_notifies_twice(clean_store) -> None:
    # no cooldown, no hysteresis: only the idempotency key stands between a retry and a repeat
    svc.create_rule(
        clean_store,
        _rule("up", {"type": "PRICE", "op": "above", "value": 1000},
              cooldown_seconds=0, hysteresis=False),
    )  # fmt: skip
    frames = _frames(T0)
    write_tick(clean_store, frames)
    write_tick(clean_store, frames)  # the same tick again (a retry after a lost answer)
    assert len(read_alert_notifications(clean_store)) == 1
    write_tick(clean_store, _frames(T0 + pd.Timedelta(seconds=15)))  # the next tick fires
    assert len(read_alert_notifications(clean_store)) == 2


def test_a_failed_tick_leaves_neither_data_nor_notification(clean_store) -> None:
    svc.create_rule(clean_store, _rule("up", {"type": "PRICE", "op": "above", "value": 1000}))
    frames = _frames(T0)
    frames["oi_delta_log"] = pd.DataFrame({"no_such_column": [1]})  # written after the quotes
    with pytest.raises((StoreWriteError, FrameValidationError)):
        write_tick(clean_store, frames)
    assert clean_store.count("underlying_quotes") == 0
    assert read_alert_notifications(clean_store).empty
    assert read_alert_rule_state(clean_store).empty


def test_price_cross_uses_the_stored_previous_tick(clean_store) -> None:
    first = _frames(T0)
    level = float(first["underlying_quotes"].set_index("underlying")["ltp"]["NIFTY"])
    second = _frames(T0 + pd.Timedelta(seconds=15))
    after = float(second["underlying_quotes"].set_index("underlying")["ltp"]["NIFTY"])
    assert after != level
    cross = (level + after) / 2  # lies between the two ticks' prices
    svc.create_rule(clean_store, _rule("x", {"type": "PRICE", "op": "crosses", "value": cross}))
    write_tick(clean_store, first)
    assert read_alert_notifications(clean_store).empty  # no previous tick: nothing to cross
    write_tick(clean_store, second)
    got = read_alert_notifications(clean_store)
    assert len(got) == 1 and got["payload"].iloc[0]["event"]["threshold"] == cross


@pytest.mark.parametrize("cached", [True, False], ids=["same-process", "restarted"])
def test_volatility_and_oi_rules_read_the_ticks_chain(clean_store, cached) -> None:
    svc.create_rule(
        clean_store, _rule("iv", {"type": "VOLATILITY", "metric": "atm_iv", "op": "above",
                                  "value": 0.5})
    )  # fmt: skip
    svc.create_rule(
        clean_store,
        _rule("ivchg", {"type": "VOLATILITY", "metric": "atm_iv_change", "op": "above",
                        "value": -100, "window_minutes": 1}),
    )  # fmt: skip
    svc.create_rule(
        clean_store,
        _rule("oi", {"type": "OI_CHANGE", "scope": "total", "measure": "absolute",
                     "threshold": 1, "direction": "either"}),
    )  # fmt: skip
    write_tick(clean_store, _frames(T0))
    if not cached:  # a restarted collector: the window's start is read and solved again
        from optionsintel.services import alert_ticks

        alert_ticks._ATM_CACHE.clear()
    later = T0 + pd.Timedelta(minutes=1)
    write_tick(clean_store, _frames(later))
    got = read_alert_notifications(clean_store)
    by_rule = got.groupby("rule_name")["triggered_at"].min()
    assert by_rule["iv"] == T0 and by_rule["oi"] == T0
    assert by_rule["ivchg"] == later  # needs the chain one window back: the first tick's
    event = got.loc[got["rule_name"] == "ivchg", "payload"].iloc[0]["event"]
    assert np.isfinite(event["value"])
    events = {r: p["event"] for r, p in zip(got["rule_name"], got["payload"], strict=True)}
    first_iv = events["iv"]["value"]  # the ATM IV at T0, as the first tick measured it
    later_iv = None
    from optionsintel.chain.vol import atm_iv

    chain = _frames(later)["option_chain_snapshots"]
    nifty = atm_iv(chain[chain["underlying"] == "NIFTY"]).sort_values("expiry")
    later_iv = float(nifty["atm_iv"].iloc[0])
    np.testing.assert_allclose(event["value"], later_iv - first_iv, rtol=1e-9)


def test_a_tick_that_kept_nothing_evaluates_nothing(clean_store) -> None:
    svc.create_rule(clean_store, _rule("up", {"type": "PRICE", "op": "above", "value": 1000}))
    metrics = _frames(T0)["data_source_metrics"]
    write_tick(clean_store, {"data_source_metrics": metrics})
    assert read_alert_notifications(clean_store).empty


def test_a_failing_evaluation_never_costs_the_ticks_data(clean_store, monkeypatch, caplog) -> None:
    """Failure injection: the evaluation raises after writing; its writes are undone only."""
    from optionsintel.services import alert_ticks

    svc.create_rule(clean_store, _rule("up", {"type": "PRICE", "op": "above", "value": 1000}))

    def broken(writer, tick, now, *, book=None):
        svc.evaluate_and_enqueue(writer, tick, now, book=book)  # writes state and outbox
        raise RuntimeError("injected after the outbox append")

    monkeypatch.setattr(alert_ticks, "evaluate_and_enqueue", broken)
    write_tick(clean_store, _frames(T0))
    assert clean_store.count("underlying_quotes") == 2  # the data is stored
    assert read_alert_notifications(clean_store).empty  # the half-done alerts are not
    assert read_alert_rule_state(clean_store).empty
    assert "alert rules not evaluated on this tick (RuntimeError" in caplog.text


def test_iv_rank_against_the_daily_history(clean_store) -> None:
    from optionsintel.services.alert_ticks import iv_ranks

    days = pd.bdate_range("2025-06-02", periods=30)
    rows = pd.DataFrame({"underlying": "NIFTY", "provider": "synthetic", "trade_date": days,
                         "expiry": days + pd.Timedelta(days=2),
                         "atm_iv": 10.0 + np.arange(30.0)})  # fmt: skip
    far = rows.assign(expiry=rows["expiry"] + pd.Timedelta(days=30), atm_iv=99.0)  # not nearest
    clean_store.write("daily_option_oi_summary", pd.concat([rows, far], ignore_index=True))
    now_rows = pd.DataFrame({"underlying": ["NIFTY", "NIFTY"], "snapshot_ts": T0,
                             "expiry": pd.to_datetime(["2025-07-17", "2025-07-24"]),
                             "atm_iv": [25.0, 50.0]})  # fmt: skip
    got = iv_ranks(clean_store, now_rows, [("NIFTY", "synthetic"), ("FINNIFTY", "synthetic")], T0)
    np.testing.assert_allclose(got["NIFTY"], 100 * (25 - 10) / (39 - 10))  # hand-computed
    short = iv_ranks(clean_store, now_rows, [("NIFTY", "replay")], T0)  # another provider
    assert np.isnan(short["NIFTY"])  # no history of that provider: fewer than 20 days


def test_a_window_start_solved_from_its_nearest_expiry_equals_the_whole_snapshot(
    clean_store,
) -> None:
    """The faster read (nearest expiry only) measures exactly what the whole snapshot did.

    Pins the IV-change path before/after the change: on stored ticks, the window start's ATM
    IV from the nearest-expiry rows equals ``_atm`` of the full snapshot, and the
    notifications of ticks evaluated with a cold cache equal those of the full-read path.
    """
    from optionsintel.services import alert_ticks
    from optionsintel.store.reads import read_chain_as_of

    rule = _rule("ivchg", {"type": "VOLATILITY", "metric": "atm_iv_change", "op": "above",
                           "value": -100, "window_minutes": 1}, cooldown_seconds=0,
                 hysteresis=False, symbols=["NIFTY", "FINNIFTY"])  # fmt: skip
    svc.create_rule(clean_store, rule)
    ticks = [T0 + pd.Timedelta(seconds=15 * k) for k in range(7)]
    for at in ticks:
        alert_ticks._ATM_CACHE.clear()  # every window start is read from the store
        write_tick(clean_store, _frames(at))
    got = read_alert_notifications(clean_store).sort_values(["triggered_at", "instrument"])
    assert len(got) == 2 * 3  # ticks 4..6 have a chain one minute back, for both indices
    for at, name, payload in zip(got["triggered_at"], got["instrument"], got["payload"],
                                 strict=True):  # fmt: skip
        start = at - pd.Timedelta(minutes=1)
        full = alert_ticks._atm(read_chain_as_of(clean_store, name, start, provider="synthetic"))
        fast = alert_ticks._past_atm(clean_store, name, "synthetic", start)
        pd.testing.assert_frame_equal(fast.reset_index(drop=True), full.reset_index(drop=True))
        now_chain = _frames(at)["option_chain_snapshots"]
        now_iv = alert_ticks._atm(now_chain[now_chain["underlying"] == name])["atm_iv"].iloc[0]
        assert payload["event"]["value"] == float(now_iv - full["atm_iv"].iloc[0])
