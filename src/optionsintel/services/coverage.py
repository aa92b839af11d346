"""What the store can answer: days covered and missing trading days, per data set and provider.

Joins the store's inventory (:func:`optionsintel.store.reads.read_coverage`) with the
trading calendar (:func:`optionsintel.calendar.missing_trading_days`). Shown by
``optionsintel db status``; an admin page can show the same frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from optionsintel.calendar import missing_trading_days
from optionsintel.store.reads import COVERAGE_COLUMNS, read_coverage

if TYPE_CHECKING:
    from optionsintel.store import Store

__all__ = ["DATA_COVERAGE_COLUMNS", "data_coverage", "with_gaps"]

#: Columns of :func:`data_coverage`.
DATA_COVERAGE_COLUMNS = (*COVERAGE_COLUMNS, "missing", "missing_days")


def with_gaps(coverage: pd.DataFrame) -> pd.DataFrame:
    """Add ``missing`` (count) and ``missing_days`` (sorted dates) to a coverage frame.

    A missing day is a trading day between ``first_day`` and ``last_day`` without rows
    (inside the calendar's covered years; see :func:`missing_trading_days`).
    """
    gaps = [[d.date() for d in missing_trading_days(days)] for days in coverage["stored_days"]]
    out = coverage.assign(missing_days=pd.Series(gaps, index=coverage.index, dtype=object))
    out["missing"] = [len(g) for g in gaps]
    return out.loc[:, list(DATA_COVERAGE_COLUMNS)]


def data_coverage(store: Store) -> pd.DataFrame:
    """Per data set and provider: first and last day, days held, missing trading days."""
    return with_gaps(read_coverage(store))
