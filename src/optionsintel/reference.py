"""Reference data for the store: trading calendar, instruments, contract specs, expiries.

Everything comes from :mod:`optionsintel.calendar` (NSE circulars cited in its YAML
files), so loading is deterministic and idempotent: re-running changes no row.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optionsintel.calendar import (
    calendar_coverage,
    contract_spec,
    expiries_between,
    holidays,
    is_trading_day,
    session_bounds,
    special_sessions,
)
from optionsintel.calendar._data import contract_file

if TYPE_CHECKING:
    from optionsintel.store import Store

INDEX_NAMES = {
    "NIFTY": "NIFTY 50",
    "BANKNIFTY": "NIFTY BANK",
    "FINNIFTY": "NIFTY FINANCIAL SERVICES",
}
_SOURCE = "optionsintel.calendar"


def calendar_rows(start: Any = None, end: Any = None) -> pd.DataFrame:
    """``trading_calendar`` rows for every calendar day in ``[start, end]`` (default: coverage)."""
    cov = calendar_coverage()
    days = pd.date_range(start or cov.first_date, end or cov.last_date, freq="D")
    trading = np.asarray(is_trading_day(days), dtype=bool)
    notes = pd.Series(pd.NA, index=days, dtype=object)
    hol = holidays(days[0], days[-1])
    notes.loc[pd.to_datetime(hol["date"])] = hol["name"].to_numpy()
    special = special_sessions()
    special = special.loc[pd.to_datetime(special["date"]).isin(days)]
    notes.loc[pd.to_datetime(special["date"])] = special["note"].to_numpy()
    bounds = [
        session_bounds(d, tz="UTC") if t else (pd.NaT, pd.NaT)
        for d, t in zip(days.date, trading, strict=True)
    ]
    return pd.DataFrame({
        "exchange": "NSE", "day": days.date, "is_trading_day": trading,
        "session_open": pd.to_datetime([b[0] for b in bounds], utc=True),
        "session_close": pd.to_datetime([b[1] for b in bounds], utc=True),
        "note": notes.to_numpy(),
    })  # fmt: skip


def instrument_rows() -> pd.DataFrame:
    """``instruments`` rows of the index underlyings with option data."""
    names = sorted(contract_file().underlyings)
    return pd.DataFrame({
        "symbol": names, "segment": "index", "exchange": "NSE",
        "name": [INDEX_NAMES.get(n, n) for n in names], "sector": None, "is_active": True,
        "attributes": [{} for _ in names], "provider": _SOURCE,
    })  # fmt: skip


def contract_spec_rows() -> pd.DataFrame:
    """``contract_specs`` rows: one per regime of lot size or strike step."""
    rows = []
    for name, data in contract_file().underlyings.items():
        starts = sorted({r.effective_from for r in data.lot_sizes} | _step_starts(data))
        for i, start in enumerate(starts):
            spec = contract_spec(name, start)
            end = starts[i + 1] - dt.timedelta(days=1) if i + 1 < len(starts) else None
            rows.append({
                "symbol": name, "valid_from": start, "valid_to": end, "lot_size": spec.lot_size,
                "tick_size": spec.tick_size, "strike_step": spec.strike_step,
                "source": "NSE circulars cited in optionsintel/calendar/data/contracts.yaml",
                "provider": _SOURCE,
            })  # fmt: skip
    return pd.DataFrame(rows)


def _step_starts(data: Any) -> set[dt.date]:
    steps = getattr(data, "strike_steps", None) or ()
    starts = (getattr(s, "effective_from", None) or getattr(s, "from_", None) for s in steps)
    return {d for d in starts if d is not None}


def expiry_rows(start: Any = None, end: Any = None) -> pd.DataFrame:
    """``expiries`` rows (weekly and monthly) of every index underlying in the range."""
    cov = calendar_coverage()
    lo, hi = start or cov.first_date, end or cov.last_date
    frames = []
    for name in sorted(contract_file().underlyings):
        monthly = expiries_between(name, lo, hi, kind="monthly")
        every = expiries_between(name, lo, hi, kind="all")
        kind = np.where(every.isin(monthly), "monthly", "weekly")
        frames.append(
            pd.DataFrame({"underlying": name, "expiry": every.date, "kind": kind, "note": None})
        )
    return pd.concat(frames, ignore_index=True)


def reference_tables() -> dict[str, pd.DataFrame]:
    """All reference tables, keyed by store table name."""
    return {
        "trading_calendar": calendar_rows(),
        "instruments": instrument_rows(),
        "contract_specs": contract_spec_rows(),
        "expiries": expiry_rows(),
    }


def load_reference_data(store: Store) -> dict[str, Any]:
    """Upsert :func:`reference_tables` into ``store`` in one transaction.

    Returns the :class:`~optionsintel.store.bulk.MergeResult` of each table.
    """
    tables = reference_tables()
    with store.transaction() as writer:
        return {name: writer.write(name, frame) for name, frame in tables.items()}
