"""A user's positions: lots imported from a broker statement or a spreadsheet.

Rows live in ``positions`` (migration 0011), upserted on (owner, source, symbol,
contract, opened_at), so re-importing a statement changes nothing. ``source`` names where
the rows came from, like a provider: two brokers' books are never mixed on a read.
"""

from __future__ import annotations

import pandas as pd

from optionsintel.errors import InvalidArgumentError
from optionsintel.store import Store
from optionsintel.store.api import MergeResult, Writer

COLUMNS = ["owner", "source", "symbol", "contract", "opened_at", "qty", "price", "note"]


def position_rows(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """``frame``'s positions in the table's shape, stamped with ``source``.

    A missing contract becomes ``''``; instants are UTC.

    Raises
    ------
    InvalidArgumentError
        A quantity of zero, a negative price or a missing required value.
    """
    out = frame.reindex(columns=COLUMNS).copy()
    out["source"] = source
    out["contract"] = out["contract"].where(out["contract"].notna(), "").astype(str)
    out["note"] = out["note"].astype(object).where(out["note"].notna(), None)
    out["opened_at"] = pd.to_datetime(out["opened_at"], utc=True)
    required = ["owner", "symbol", "opened_at", "qty", "price"]
    if out[required].isna().any().any():
        raise InvalidArgumentError(f"positions need {', '.join(required)} on every row")
    if (out["qty"] == 0).any() or (out["price"] < 0).any():
        raise InvalidArgumentError("a position needs a non-zero qty and a price >= 0")
    return out


def write_positions(store: Store | Writer, frame: pd.DataFrame, source: str) -> MergeResult:
    """Upsert ``frame``'s positions stamped with ``source`` (idempotent)."""
    return store.write("positions", position_rows(frame, source))


def list_positions(store: Store, owner: str, *, source: str | None = None) -> pd.DataFrame:
    """``owner``'s positions (of one ``source`` when given), by source, symbol, time."""
    where: dict[str, object] = {"owner": owner}
    if source is not None:
        where["source"] = source
    frame = store.read("positions", where=where,  # type: ignore[arg-type]
                       order_by=["source", "symbol", "contract", "opened_at"])  # fmt: skip
    return frame[[*COLUMNS, "ingested_at"]]
