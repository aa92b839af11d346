"""Text rendering of a parsed real NSE chain."""

from __future__ import annotations

from optionsintel.providers.display import format_chain_table
from optionsintel.providers.nse import parse_option_chain


def test_table_centres_on_spot_and_mirrors_calls_and_puts(nifty_2025_payload) -> None:
    chain = parse_option_chain(nifty_2025_payload).chain
    text = format_chain_table(chain, max_rows=9)
    lines = text.splitlines()
    assert lines[0].startswith("NIFTY  expiry 2025-07-17  spot 25,212.05")
    assert len(lines) == 2 + 9
    assert lines[1].split()[5] == "STRIKE" or "STRIKE" in lines[1]
    assert any(" 25,200 " in line for line in lines[2:])
    row = next(line for line in lines[2:] if " 25,200 " in line).split()
    assert row[0] == "125,075" and row[-1] == "149,443"  # CE OI first, PE OI last


def test_empty_chain_renders_a_note(nifty_2025_payload) -> None:
    chain = parse_option_chain(nifty_2025_payload).chain.iloc[:0]
    assert format_chain_table(chain) == "(empty option chain)"
