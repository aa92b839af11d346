"""The version of a chain as-of read: which snapshot it resolves to and whether it changed.

:func:`read_chain_version` answers, in one round trip, what :meth:`Store.chain_as_of`
would read for the same arguments: the provider and snapshot instant it resolves to,
plus the row count and the newest row version (PostgreSQL's ``xmin``, which every
insert and in-place update advances) of the window of rows the read covers. Equal
versions mean equal rows, so a caller may reuse what it built from an earlier read
(the API's response cache) without reading the rows again.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd
import sqlalchemy as sa

from optionsintel.store.schema import metadata
from optionsintel.tz import to_utc

if TYPE_CHECKING:
    from optionsintel.store.api import Store

#: The defaults of Store.chain_as_of (the version must describe the same window).
LOOKBACK = dt.timedelta(days=1)
STALENESS = dt.timedelta(minutes=30)
_ROW_VERSION = sa.cast(
    sa.cast(sa.literal_column("option_chain_snapshots.xmin"), sa.Text), sa.BigInteger
)


class ChainVersion(NamedTuple):
    """What an as-of read resolves to, and a fingerprint of the rows it would read."""

    provider: str
    snapshot_ts: pd.Timestamp
    rows: int
    row_version: int


def read_chain_version(
    store: Store, underlying: str, at: Any, *, provider: str | None = None, expiry: Any = None
) -> ChainVersion | None:
    """The version of ``store.chain_as_of(underlying, at, provider=, expiry=)``; None if empty."""
    t = metadata.tables["option_chain_snapshots"]
    at_ts = to_utc(at)
    latest = sa.select(t.c.provider, t.c.snapshot_ts).where(
        t.c.underlying == underlying, t.c.snapshot_ts <= at_ts, t.c.snapshot_ts > at_ts - LOOKBACK
    )
    if provider is not None:
        latest = latest.where(t.c.provider == provider)
    if expiry is not None:
        latest = latest.where(t.c.expiry == pd.Timestamp(expiry).date())
    found = latest.order_by(t.c.snapshot_ts.desc()).limit(1).cte("found")
    window = (
        sa.select(
            found.c.provider,
            found.c.snapshot_ts,
            sa.func.count(t.c.strike),
            sa.func.coalesce(sa.func.max(_ROW_VERSION), 0),
        )
        .select_from(found)
        .join(
            t,
            sa.and_(
                t.c.underlying == underlying,
                t.c.provider == found.c.provider,
                t.c.snapshot_ts <= found.c.snapshot_ts,
                t.c.snapshot_ts >= found.c.snapshot_ts - STALENESS,
            ),
        )
        .group_by(found.c.provider, found.c.snapshot_ts)
    )
    if expiry is not None:
        window = window.where(t.c.expiry == pd.Timestamp(expiry).date())
    with store.engine.connect() as conn:
        row = conn.execute(window).first()
    if row is None:
        return None
    return ChainVersion(str(row[0]), pd.Timestamp(row[1]), int(row[2]), int(row[3]))
