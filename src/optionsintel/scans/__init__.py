"""Scans: a validated spec, evaluated vectorised over a whole-universe panel.

Pure domain package (no store, no services): :mod:`optionsintel.services.scans` reads the
panel point in time from one provider, calls :func:`evaluate_scan` (in batches if asked)
and stores the ranked rows. See ``docs/scans.md``.
"""

from __future__ import annotations

from optionsintel.scans.evaluate import (
    RESULT_COLUMNS,
    VALUE_OPERANDS,
    CompiledScan,
    Criterion,
    compile_scan,
    detector_rule,
    evaluate_scan,
    rank_results,
    select_panel,
)
from optionsintel.scans.spec import (
    DETECTOR_KINDS,
    Detector,
    ScanSpec,
    Universe,
    normalise_symbol,
    parse_detector,
    parse_universe,
    scan_spec,
)

__all__ = [
    "DETECTOR_KINDS",
    "RESULT_COLUMNS",
    "VALUE_OPERANDS",
    "CompiledScan",
    "Criterion",
    "Detector",
    "ScanSpec",
    "Universe",
    "batches",
    "compile_scan",
    "detector_rule",
    "evaluate_scan",
    "normalise_symbol",
    "parse_detector",
    "parse_universe",
    "rank_results",
    "scan_spec",
    "select_panel",
]


def batches(symbols: list[str], size: int) -> list[list[str]]:
    """Split ``symbols`` (order kept) into consecutive batches of at most ``size``."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    return [symbols[k : k + size] for k in range(0, len(symbols), size)]
