"""The builder and the use cases on the demo database (seeded through the asset graph)."""

from __future__ import annotations

from optionsintel.store import Store
from optionsintel.ui import build_pattern_builder


def test_builder_previews_the_demo_data(demo_store: Store) -> None:
    b = build_pattern_builder(demo_store)
    # the default provider covers most symbols: the synthetic universe of the demo
    assert b.provider_select.options == ("synthetic", "replay")
    b.rule_text = "RSI(14) <= 100"
    b.preview()
    assert b.state == "ok" and len(b.matches) == 13, b.message
    assert "(data: <b>synthetic</b>)" in b.results.value
    # the recorded real NIFTY bars end in 2024 and resume with the two replay days of
    # July 2025, so RSI(14) cannot be computed on the newest bar: unknown, not a match
    b.provider_select.value = "replay"
    b.preview()
    assert b.state == "ok" and b.matches == [], b.message
    b.why_symbol.value = "NIFTY"
    assert "unknown" in b.why_not.value


def test_pinned_pattern_on_demo_data_with_chain_operands(demo_store: Store) -> None:
    from optionsintel.services import patterns as svc

    ev = svc.evaluate_pattern(
        demo_store,
        "PCR_OI > 0 AND ATM_IV > 0 AND DTE >= 0",
        provider="synthetic",
        symbols=["NIFTY"],
        as_of="2025-07-15 16:00",
    )
    assert ev.data.empty == [] and ev.result.index[-1].date().isoformat() == "2025-07-15"
    assert ev.result.matching_symbols() == ["NIFTY"], ev.result.why_not("NIFTY")
