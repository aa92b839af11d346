"""NSE market calendar and contract data.

Trading days and holidays (2019-2026), the 09:15-15:30 IST session, expiry rules as dated
regimes, lot sizes and strike steps. All rules are data in ``calendar/data/*.yaml`` with
the NSE circular (or the page reporting it) cited for each entry. ``listed_expiries`` is
point in time (the contracts listed on a day, dated as NSE showed them that day, long-dated
ones included); ``redated_expiries`` maps every later re-dating to its circular, and
``expiries_between``/``next_expiry`` give the final, realised dates.

Dates may be ``datetime.date``, ``pandas.Timestamp``, ISO strings or arrays of them;
timezone-aware timestamps are read in India time.
"""

from optionsintel.calendar.contracts import ContractSpec, contract_spec, lot_size, strike_step
from optionsintel.calendar.expiries import (
    ExpiryKind,
    expiries_between,
    next_expiry,
)
from optionsintel.calendar.gaps import missing_trading_days
from optionsintel.calendar.holidays import (
    CalendarCoverage,
    calendar_coverage,
    holidays,
    is_trading_day,
    next_trading_day,
    previous_trading_day,
    special_sessions,
    trading_days,
)
from optionsintel.calendar.listing import listed_expiries, redated_expiries
from optionsintel.calendar.sessions import (
    is_market_open,
    session_bounds,
    session_minutes,
    session_times,
)
from optionsintel.calendar.timing import Basis, days_to_expiry, years_to_expiry

__all__ = [
    "Basis",
    "CalendarCoverage",
    "ContractSpec",
    "ExpiryKind",
    "calendar_coverage",
    "contract_spec",
    "days_to_expiry",
    "expiries_between",
    "holidays",
    "is_market_open",
    "is_trading_day",
    "listed_expiries",
    "lot_size",
    "missing_trading_days",
    "next_expiry",
    "next_trading_day",
    "previous_trading_day",
    "redated_expiries",
    "session_bounds",
    "session_minutes",
    "session_times",
    "special_sessions",
    "strike_step",
    "trading_days",
    "years_to_expiry",
]
