"""The exchange's clock: one timezone constant and one rule for naive instants.

NSE trades on India Standard Time (UTC+05:30, no daylight saving). The exchange's zone
is a property of the market, not a user preference, so it is a constant here and not
a setting. Everything is stored in UTC; a *naive* instant given by a user or a source
is read as exchange (IST) wall time, everywhere: on write, on read and in the CLI.
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd

EXCHANGE_TZ: Final = "Asia/Kolkata"
"""IANA name of the exchange's timezone (NSE: India Standard Time)."""


def to_utc(value: Any) -> pd.Timestamp:
    """Return an aware UTC timestamp; naive values are read as IST (the exchange's clock).

    >>> to_utc("2025-07-16 15:30")
    Timestamp('2025-07-16 10:00:00+0000', tz='UTC')
    """
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize(EXCHANGE_TZ)
    return ts.tz_convert("UTC")
