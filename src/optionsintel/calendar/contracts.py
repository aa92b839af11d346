"""Contract specifications: lot sizes, strike steps and tick size per underlying over time.

Lot sizes come from NSE circulars cited in ``data/contracts.yaml``. Because a revision
reaches already-listed contracts only when they expire, each revision records the first
day on which every listed contract carries the new lot (``effective_from``); that is the
date :func:`lot_size` switches on. Stock lot sizes change every half-year for hundreds of
symbols and are not part of this package: take them from a provider's contract master.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from optionsintel.calendar._data import ContractData, contract_file
from optionsintel.calendar._dates import is_scalar_date, to_days
from optionsintel.calendar.expiries import rules_for
from optionsintel.errors import CalendarError


@dataclass(frozen=True)
class ContractSpec:
    """Option contract specification of one underlying on one date."""

    underlying: str
    segment: Literal["index", "equity"]
    lot_size: int | None
    tick_size: float
    strike_step: float | None
    weekly_expiries: bool


def _index_data(underlying: str) -> tuple[str, ContractData]:
    key = underlying.strip().upper() if isinstance(underlying, str) else underlying
    table = contract_file().underlyings
    if key not in table:
        raise CalendarError(
            f"no lot-size/strike data for {underlying!r}; known index underlyings are "
            f"{sorted(table)}. Stock lot sizes come from the broker's contract master."
        )
    return key, table[key]


def _lookup(starts: list[Any], values: list[Any], on_date: Any, what: str) -> Any:
    days = to_days(on_date)
    idx = np.searchsorted(np.array(starts, dtype="datetime64[D]"), days, side="right") - 1
    if (idx < 0).any():
        raise CalendarError(f"no {what} before {starts[0]} (asked for {days[idx < 0][0]})")
    out = np.asarray(values)[idx]
    return out[0].item() if is_scalar_date(on_date) else out


def lot_size(underlying: str, on_date: Any) -> Any:
    """Market lot (units per contract) of an index's options on ``on_date``.

    Returns
    -------
    int or numpy.ndarray of int

    Raises
    ------
    CalendarError
        For stocks/unknown symbols or dates before the underlying's first record.

    Examples
    --------
    >>> lot_size("NIFTY", "2024-06-03"), lot_size("NIFTY", "2025-01-02")
    (25, 75)
    """
    key, data = _index_data(underlying)
    regimes = data.lot_sizes
    return _lookup(
        [r.effective_from for r in regimes], [r.lot for r in regimes], on_date, f"{key} lot size"
    )


def strike_step(underlying: str, on_date: Any) -> Any:
    """Return the standard strike interval near the money of an index's options on ``on_date``.

    Examples
    --------
    >>> strike_step("BANKNIFTY", "2023-05-03")
    100.0
    """
    key, data = _index_data(underlying)
    regimes = data.strike_steps
    return _lookup(
        [r.effective_from for r in regimes],
        [float(r.step) for r in regimes],
        on_date,
        f"{key} strike step",
    )


def contract_spec(underlying: str, on_date: Any) -> ContractSpec:
    """Contract specification of ``underlying`` on a single date.

    Stocks (any symbol that is not a known index) get segment ``"equity"`` with
    ``lot_size`` and ``strike_step`` set to ``None``.

    Examples
    --------
    >>> contract_spec("NIFTY", "2024-07-04").lot_size
    25
    """
    if not is_scalar_date(on_date):
        raise CalendarError("contract_spec takes a single date; use lot_size() for arrays")
    expiry_key, rules = rules_for(underlying)
    day = to_days(on_date)[0]
    starts = np.array([r.from_ for r in rules.weekly], dtype="datetime64[D]")
    idx = int(np.searchsorted(starts, day, side="right")) - 1
    weekly = idx >= 0 and rules.weekly[idx].weekday is not None
    tick = contract_file().tick_size
    if expiry_key == "STOCK":
        symbol = underlying.strip().upper()
        return ContractSpec(symbol, "equity", None, tick, None, False)
    key, data = _index_data(underlying)
    return ContractSpec(
        key, data.segment, lot_size(key, on_date), tick, strike_step(key, on_date), weekly
    )
