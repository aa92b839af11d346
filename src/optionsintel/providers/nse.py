"""NSE India public-API provider (work in progress; the parser is final)."""

from __future__ import annotations

from optionsintel.providers.nse_parse import ParsedChain, expiry_totals, parse_option_chain

__all__ = ["ParsedChain", "expiry_totals", "parse_option_chain"]
