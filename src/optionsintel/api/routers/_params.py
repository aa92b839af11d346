"""Shared query parameters: bounded instants and dates, paging of account lists."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator

from optionsintel.api.schemas import Offset, ProviderQ
from optionsintel.services.serialise import row

_EARLIEST = dt.date(1990, 1, 1)
_LATEST = dt.date(2100, 12, 31)


def _date_in_range(value: dt.date) -> dt.date:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not _EARLIEST <= day <= _LATEST:
        raise ValueError(f"must lie between {_EARLIEST} and {_LATEST}")
    return value


Instant = Annotated[
    dt.datetime | None,
    AfterValidator(lambda v: v if v is None else _date_in_range(v)),
    Query(description="ISO 8601 instant; without an offset it is read as IST."),
]
#: An instant inside a JSON body (same bounds as :data:`Instant`).
BodyInstant = Annotated[
    dt.datetime | None,
    AfterValidator(lambda v: v if v is None else _date_in_range(v)),
]
Day = Annotated[
    dt.date | None,
    AfterValidator(lambda v: v if v is None else _date_in_range(v)),
    Query(description="ISO date (YYYY-MM-DD)."),
]


def paged(rows: list[dict[str, Any]], limit: int, offset: int) -> dict[str, Any]:
    """Account rows fetched with ``limit + 1`` as a page (instants as IST ISO strings)."""
    nxt = offset + limit if len(rows) > limit else None
    return {
        "items": [row(r) for r in rows[:limit]],
        "limit": limit,
        "offset": offset,
        "next_offset": nxt,
    }


_PageSize = Annotated[int | None, Query(ge=1, le=1000, description="Page size.")]


class Paging:
    """``limit`` and ``offset`` of a paged list (a dependency: ``Depends()``)."""

    default_limit = 100

    def __init__(self, limit: _PageSize = None, offset: Offset = 0) -> None:
        self.limit = self.default_limit if limit is None else limit
        self.offset = offset

    def kwargs(self) -> dict[str, int]:
        """As keyword arguments of a read model."""
        return {"limit": self.limit, "offset": self.offset}


class LongPaging(Paging):
    """Paging of long series (daily bars): 1,000 rows a page by default."""

    default_limit = 1000

    def __init__(self, limit: _PageSize = None, offset: Offset = 0) -> None:
        super().__init__(limit, offset)


class ChainAt:
    """Which chain: as of an instant (default now), from one provider, one expiry."""

    def __init__(self, at: Instant = None, provider: ProviderQ = None, expiry: Day = None) -> None:
        self.at, self.provider, self.expiry = at, provider, expiry

    def kwargs(self) -> dict[str, Any]:
        """As keyword arguments of a read model."""
        return {"at": self.at, "provider": self.provider, "expiry": self.expiry}


async def chain_at(at: Instant = None, provider: ProviderQ = None, expiry: Day = None) -> ChainAt:
    """:class:`ChainAt` as a dependency.

    A coroutine: FastAPI runs a class or a plain function dependency in a worker thread.
    """
    return ChainAt(at, provider, expiry)
