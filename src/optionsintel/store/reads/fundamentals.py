"""Typed read of reported fundamentals (``equity_fundamentals``), provider required.

Each row is one report of one symbol: ``as_of`` is the date the figures became public
(the report date), so a point-in-time reader keeps the rows with ``as_of`` on or before
its instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from optionsintel._typing import Provider
from optionsintel.store.reads._common import Subjects, check_provider

if TYPE_CHECKING:
    from optionsintel.store.api import Store


def read_fundamentals(
    store: Store,
    *,
    provider: Provider,
    symbols: Subjects = None,
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """Reports of one provider, ascending by report date ``as_of`` (bounds are dates)."""
    check_provider(provider)
    where: dict[str, Any] = {"provider": provider}
    if symbols is not None:
        where["symbol"] = symbols if isinstance(symbols, str) else list(symbols)
    return store.read(
        "equity_fundamentals",
        where=where,
        start=start,
        end=end,
        time_column="as_of",
        order_by=["as_of", "symbol"],
    )
