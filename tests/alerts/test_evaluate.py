"""The vectorised evaluator: hand-computed values per condition type, gates, arm state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optionsintel.alerts import TickFrames, compile_rules, evaluate, parse_rule, trigger_key
from optionsintel.errors import AlertRuleError
from optionsintel.tz import EXCHANGE_TZ

CH = [{"kind": "in_app"}]
# 2025-07-16 (Wednesday, a trading day) 10:00 IST onwards, one-minute ticks.
TS = pd.date_range("2025-07-16 10:00", periods=6, freq="1min", tz=EXCHANGE_TZ).tz_convert("UTC")
NOW = TS[-1]


def rule(name: str, condition: dict, symbols=("NIFTY",), **kw):
    return parse_rule({"owner": "u", "name": name, "symbols": list(symbols),
                       "condition": condition, "channels": CH, **kw})  # fmt: skip


def quotes(ltp, volume=None, underlying="NIFTY", ts=TS) -> pd.DataFrame:
    frame = pd.DataFrame({"underlying": underlying, "snapshot_ts": ts, "ltp": ltp})
    if volume is not None:
        frame["volume"] = volume
    return frame


PRICES = [24900.0, 24950, 24980, 25000, 25020, 25100]


def fired(rules, frames, now=NOW, state=None):
    ev = evaluate(compile_rules(rules), frames, now, state)
    return ev, dict(zip(ev.triggers["rule_name"], ev.triggers["value"], strict=True))


def test_price_levels_crosses_and_window_change() -> None:
    rules = [
        rule("above", {"type": "PRICE", "op": "above", "value": 25050}),
        rule("below", {"type": "PRICE", "op": "below", "value": 25050}),
        rule("cross", {"type": "PRICE", "op": "crosses", "value": 25050}),
        rule("cross-old", {"type": "PRICE", "op": "crosses", "value": 24960}),
        rule("up5", {"type": "PRICE", "op": "pct_change", "value": 0.8, "window_minutes": 5,
                     "direction": "up"}),
        rule("down5", {"type": "PRICE", "op": "pct_change", "value": 0.8, "window_minutes": 5,
                       "direction": "down"}),
        rule("up2", {"type": "PRICE", "op": "pct_change", "value": 0.5, "window_minutes": 2}),
    ]  # fmt: skip
    _, got = fired(rules, TickFrames(quotes=quotes(PRICES)))
    # 25100 / 24900 - 1 = 0.8032 %; over two minutes 25100 / 25000 - 1 = 0.4 % (< 0.5)
    assert set(got) == {"above", "cross", "up5"}
    assert got["above"] == 25100.0
    np.testing.assert_allclose(got["up5"], (25100 / 24900 - 1) * 100, rtol=1e-12)


def test_oi_change_per_strike_expiry_and_total() -> None:
    exp1, exp2 = "2025-07-17", "2025-07-24"
    chain = pd.DataFrame({
        "underlying": "NIFTY",
        "expiry": pd.to_datetime([exp1, exp1, exp1, exp1, exp2, exp2]),
        "strike": [25000.0, 25000, 25100, 25100, 25000, 25000],
        "option_type": ["CE", "PE", "CE", "PE", "CE", "PE"],
        "oi": [1200.0, 900, 500, 400, 300, 300],
        "oi_change": [200.0, -100, 0, 0, 100, 0],
    })  # fmt: skip
    rules = [
        # CE 25000 of exp1: +200 on 1000 = +20 %
        rule("strike-pct", {"type": "OI_CHANGE", "scope": "strike", "strike": 25000,
                            "expiry": exp1, "side": "CE", "measure": "pct", "threshold": 20}),
        # PE 25000 of exp1: -100 on 1000 = -10 %: 'up' does not fire, 'down' 10 does
        rule("strike-pe-up", {"type": "OI_CHANGE", "scope": "strike", "strike": 25000,
                              "expiry": exp1, "side": "PE", "measure": "pct", "threshold": 5,
                              "direction": "up"}),
        rule("strike-pe-down", {"type": "OI_CHANGE", "scope": "strike", "strike": 25000,
                                "expiry": exp1, "side": "PE", "measure": "pct", "threshold": 10,
                                "direction": "down"}),
        # exp1, both sides: +100 absolute
        rule("expiry-abs", {"type": "OI_CHANGE", "scope": "expiry", "expiry": exp1,
                            "measure": "absolute", "threshold": 100}),
        # total both: +200 on 3600 - 200 = 3400 -> 5.882 %
        rule("total-pct", {"type": "OI_CHANGE", "scope": "total", "measure": "pct",
                           "threshold": 5.88}),
        rule("total-pct-hi", {"type": "OI_CHANGE", "scope": "total", "measure": "pct",
                              "threshold": 5.89}),
        rule("missing-strike", {"type": "OI_CHANGE", "scope": "strike", "strike": 26000,
                                "expiry": exp1, "measure": "absolute", "threshold": 1}),
    ]  # fmt: skip
    ev, got = fired(rules, TickFrames(chain=chain))
    assert set(got) == {"strike-pct", "strike-pe-down", "expiry-abs", "total-pct"}
    np.testing.assert_allclose(
        [got["strike-pct"], got["strike-pe-down"], got["expiry-abs"], got["total-pct"]],
        [20.0, -10.0, 100.0, 200 / 3400 * 100],
    )
    # a strike absent from the chain is unknown: not fired, state stays armed
    missing = ev.state.set_index("rule_name").loc["missing-strike"]
    assert bool(missing["armed"])


def test_volume_spike_against_trailing_mean() -> None:
    cum = [100.0, 200, 300, 400, 500, 900]  # intervals 100,100,100,100,400
    rules = [
        rule("x4", {"type": "VOLUME_SPIKE", "multiple": 4, "window": 3}),
        rule("x5", {"type": "VOLUME_SPIKE", "multiple": 5, "window": 3}),
        rule("long", {"type": "VOLUME_SPIKE", "multiple": 2, "window": 5}),  # too little history
    ]
    _, got = fired(rules, TickFrames(quotes=quotes(PRICES, cum)))
    assert got == {"x4": 4.0}


def test_volatility_level_change_and_rank() -> None:
    summary = pd.DataFrame({
        "underlying": "NIFTY",
        "snapshot_ts": [TS[0], TS[0], TS[-1], TS[-1]],
        "expiry": pd.to_datetime(["2025-07-17", "2025-07-24"] * 2),
        "atm_iv": [11.0, 14.0, 13.5, 15.0],  # nearest expiry: 11.0 then 13.5
        "iv_rank": [40.0, 50.0, 82.0, 60.0],
    })  # fmt: skip
    rules = [
        rule("iv", {"type": "VOLATILITY", "metric": "atm_iv", "op": "above", "value": 13}),
        rule("iv-low", {"type": "VOLATILITY", "metric": "atm_iv", "op": "below", "value": 13}),
        rule("ivchg", {"type": "VOLATILITY", "metric": "atm_iv_change", "op": "above",
                       "value": 2.4, "window_minutes": 5}),
        rule("rank", {"type": "VOLATILITY", "metric": "iv_rank", "op": "above", "value": 80}),
    ]  # fmt: skip
    _, got = fired(rules, TickFrames(summary=summary))
    assert got == pytest.approx({"iv": 13.5, "ivchg": 2.5, "rank": 82.0})


def test_signals_by_type_confidence_and_strength() -> None:
    signals = pd.DataFrame({
        "underlying": ["NIFTY", "NIFTY", "BANKNIFTY"],
        "signal_type": ["CALL_BUILDUP", "GAMMA_SQUEEZE", "PUT_BUILDUP"],
        "confidence": [55.0, 80.0, 95.0],
        "strength": ["MODERATE", "STRONG", "VERY_STRONG"],
    })  # fmt: skip
    rules = [
        rule("any", {"type": "SIGNAL"}),
        rule("cb60", {"type": "SIGNAL", "signal_types": ["CALL_BUILDUP"], "min_confidence": 60}),
        rule("strong", {"type": "SIGNAL", "min_strength": "STRONG"}),
        rule("put", {"type": "SIGNAL", "signal_types": ["PUT_BUILDUP"]},
             symbols=("NIFTY", "BANKNIFTY")),
    ]  # fmt: skip
    ev, got = fired(rules, TickFrames(signals=signals))
    assert got == {"any": 80.0, "strong": 80.0, "put": 95.0}
    assert ev.triggers.set_index("rule_name").loc["put", "instrument"] == "BANKNIFTY"


def test_pattern_and_scan_matches_with_pinned_ids() -> None:
    rules = [
        rule("p3", {"type": "PATTERN", "pattern": "flag", "version": 3}),
        rule("p2", {"type": "PATTERN", "pattern": "flag", "version": 2}),
        rule("scan", {"type": "SCAN", "scan_id": "oi-breakouts"}, symbols=("NIFTY", "SBIN")),
    ]
    frames = TickFrames(
        pattern_matches=pd.DataFrame({"symbol": ["NIFTY"], "pattern": ["flag"], "version": [3]}),
        scan_matches=pd.DataFrame({"symbol": ["SBIN"], "scan_id": ["oi-breakouts"]}),
    )
    ev, got = fired(rules, frames)
    assert set(got) == {"p3", "scan"}
    assert ev.triggers.set_index("rule_name").loc["scan", "instrument"] == "SBIN"
    _, none = fired(rules, TickFrames())  # no pattern/scan run this tick: nothing fires
    assert none == {}


def test_hysteresis_cooldown_and_daily_cap() -> None:
    above = {"type": "PRICE", "op": "above", "value": 25050}
    rules = [
        rule("hyst", above, cooldown_seconds=0),
        rule("nohyst", above, cooldown_seconds=0, hysteresis=False),
        rule("cool", above, cooldown_seconds=120, hysteresis=False),
        rule("cap", above, cooldown_seconds=0, hysteresis=False, max_triggers_per_day=2),
    ]
    book = compile_rules(rules)
    state, counts = None, {r.name: 0 for r in rules}
    # above, above, above, below (clears), above
    path = [25100.0, 25110, 25120, 25000, 25130]
    for k, price in enumerate(path):
        ts = TS[0] + pd.Timedelta(minutes=k)
        ev = evaluate(book, TickFrames(quotes=quotes([price], ts=[ts])), ts, state)
        for name in ev.triggers["rule_name"]:
            counts[name] += 1
        prior = state if state is not None else ev.state.iloc[:0]
        state = pd.concat([prior, ev.state]).drop_duplicates(
            ["owner", "rule_name", "instrument"], keep="last"
        )
    # hyst: ticks 0 and 4 (re-armed by tick 3); cool: ticks 0, 2, 4 (120 s apart)
    assert counts == {"hyst": 2, "nohyst": 4, "cool": 3, "cap": 2}


def test_active_window_days_and_expiry() -> None:
    above = {"type": "PRICE", "op": "above", "value": 1}
    rules = [
        rule("default", above),  # 09:15-15:30 IST trading days
        rule("late", above, active_from="14:00", active_until="15:30"),
        rule("everyday", above, active_days="every_day", active_from="00:00",
             active_until="23:59"),
        rule("expired", above, expires_at="2025-07-16 09:59"),
    ]  # fmt: skip
    _, got = fired(rules, TickFrames(quotes=quotes(PRICES)))
    assert set(got) == {"default", "everyday"}
    sunday = pd.Timestamp("2025-07-20 10:05", tz=EXCHANGE_TZ)
    _, sun = fired(rules, TickFrames(quotes=quotes(PRICES, ts=TS + pd.Timedelta(days=4))), sunday)
    assert set(sun) == {"everyday"}


def test_idempotency_key_is_deterministic_per_rule_instrument_instant() -> None:
    rules = [
        rule("a", {"type": "PRICE", "op": "above", "value": 1}, symbols=("NIFTY", "BANKNIFTY"))
    ]
    frames = TickFrames(quotes=pd.concat([quotes(PRICES), quotes(PRICES, underlying="BANKNIFTY")]))
    one, _ = fired(rules, frames)
    two, _ = fired(rules, frames)
    assert list(one.triggers["trigger_key"]) == list(two.triggers["trigger_key"])
    assert one.triggers["trigger_key"].nunique() == 2
    assert one.triggers["trigger_key"].iloc[0] == trigger_key("u", "a", "NIFTY", NOW.isoformat())


def test_watchlists_expand_and_missing_watchlist_is_an_error() -> None:
    r = parse_rule({"owner": "u", "name": "w", "watchlist": "idx", "channels": CH,
                    "condition": {"type": "PRICE", "op": "above", "value": 1}})  # fmt: skip
    book = compile_rules([r], {("u", "idx"): ["NIFTY", "BANKNIFTY", "NIFTY"]})
    assert list(book.rows["instrument"]) == ["NIFTY", "BANKNIFTY"]
    with pytest.raises(AlertRuleError, match="watchlist 'idx'"):
        compile_rules([r], {})


@settings(max_examples=30, deadline=None)
@given(
    levels=st.lists(st.floats(24800, 25200), min_size=1, max_size=12),
    ops=st.lists(st.sampled_from(["above", "below", "crosses"]), min_size=12, max_size=12),
)
def test_batch_evaluation_equals_one_rule_at_a_time(levels, ops) -> None:
    rules = [
        rule(f"r{i}", {"type": "PRICE", "op": ops[i], "value": lv}, symbols=("NIFTY", "BANKNIFTY"))
        for i, lv in enumerate(levels)
    ]
    frames = TickFrames(
        quotes=pd.concat([quotes(PRICES), quotes(PRICES[::-1], underlying="BANKNIFTY")])
    )
    together = evaluate(compile_rules(rules), frames, NOW).triggers
    alone = pd.concat([evaluate(compile_rules([r]), frames, NOW).triggers for r in rules])
    cols = ["rule_name", "instrument", "trigger_key", "value"]
    pd.testing.assert_frame_equal(
        together[cols].reset_index(drop=True),
        alone[cols].reset_index(drop=True),
        check_dtype=False,
    )
