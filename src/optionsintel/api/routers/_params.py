"""Shared query parameters: bounded instants and dates, paging of account lists."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator

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
