"""Scans, backtests and every bulk operation: submit (202 + operation id), follow, cancel.

Work runs in a worker thread of the API process through the same use cases the CLI
runs; the ``bulk_operations`` record is the truth about it
(:mod:`optionsintel.services.operation_access`). Follow ``Location``
(``/operations/{id}``) until ``finished``; then read ``links.results`` (a scan's ranked
matches) or ``links.run`` (a stored backtest run).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import BaseModel, Field, model_validator

from optionsintel.api.deps import current_identity, guard, store_of
from optionsintel.api.routers._params import BodyInstant, Paging
from optionsintel.api.schemas import (
    ERRORS,
    PROVIDER_PATTERN,
    SYMBOL_PATTERN,
    Offset,
    Page,
    Strict,
)
from optionsintel.auth import Permission
from optionsintel.services import operation_access as ops
from optionsintel.services.bulk import BulkStatus
from optionsintel.services.identity import Identity
from optionsintel.services.serialise import iso, records

router = APIRouter(responses=ERRORS)
Me = Annotated[Identity, Depends(current_identity)]
Pages = Annotated[Paging, Depends()]
OperationId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_\-]{0,31}-[0-9a-f]{20}$")]
PIN = r"^[a-z0-9][a-z0-9_-]{0,63}@[1-9][0-9]{0,8}$"
_FIRST, _LAST = dt.date(1990, 1, 1), dt.date(2100, 12, 31)


class ScanIn(Strict):
    """A scan: universe, pattern pins and/or detectors, instant (default now), provider."""

    universe: str = Field(min_length=1, max_length=200, description="fno, sector:IT, ...")
    patterns: list[Annotated[str, Field(pattern=PIN)]] = Field(default=[], max_length=20)
    detectors: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=20)
    as_of: BodyInstant = None
    provider: str | None = Field(default=None, pattern=PROVIDER_PATTERN)
    match: Literal["any", "all"] = "any"
    name: str = Field(default="api", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,79}$")


class PatternSourceIn(Strict):
    """Enter where pattern version ``entry`` holds (exit where ``exit`` holds)."""

    type: Literal["pattern"] = "pattern"
    entry: str = Field(pattern=PIN)
    exit: str | None = Field(default=None, pattern=PIN)


class SignalSourceIn(Strict):
    """Enter on bars with a ``signal_type`` signal of at least ``min_confidence``."""

    type: Literal["signal"] = "signal"
    signal_type: str = Field(max_length=40)
    min_confidence: float = Field(default=0.0, ge=0, le=100)
    exit_signal_type: str | None = Field(default=None, max_length=40)


class BacktestIn(Strict):
    """A backtest on stored daily bars of one provider (settings as the CLI's)."""

    source: Annotated[PatternSourceIn | SignalSourceIn, Field(discriminator="type")]
    symbols: list[Annotated[str, Field(pattern=SYMBOL_PATTERN)]] = Field(
        min_length=1, max_length=200
    )
    provider: str = Field(pattern=PROVIDER_PATTERN)
    start: dt.date | None = Field(default=None, ge=_FIRST, le=_LAST)
    end: dt.date | None = Field(default=None, ge=_FIRST, le=_LAST)
    settings: dict[str, Any] = Field(default_factory=dict, max_length=40)
    benchmark: str | None = Field(default=None, pattern=SYMBOL_PATTERN)
    name: str | None = Field(default=None, max_length=120)

    @model_validator(mode="after")
    def _period_in_order(self) -> BacktestIn:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self


class OperationOut(BaseModel):
    """A bulk operation: state, progress (items done/failed of total), summary, links."""

    operation_id: str
    kind: str
    status: str
    finished: bool
    total: int
    done: int
    failed: int
    fraction: float
    params: dict[str, Any]
    summary: dict[str, Any]
    created_at: str | None = None
    updated_at: str | None = None
    finished_at: str | None = None
    links: dict[str, str]


def _out(op: BulkStatus) -> dict[str, Any]:
    base = f"/api/v2/operations/{op.operation_id}"
    links = {"status": base, "cancel": f"{base}/cancel", "errors": f"{base}/errors"}
    if op.kind == "scan":
        links["results"] = f"/api/v2/scans/{op.operation_id}/results"
    if op.kind == "backtest" and op.summary.get("run_id"):
        links["run"] = f"/api/v2/backtests/runs/{op.summary['run_id']}"
    if op.kind == "export" and op.status == "SUCCEEDED":
        links["download"] = f"/api/v2/exports/{op.operation_id}/download"
    params = {k: v for k, v in op.params.items() if k not in ("items", "symbols", "bars")}
    return {"operation_id": op.operation_id, "kind": op.kind, "status": op.status,
            "finished": op.finished, "total": op.total, "done": op.done, "failed": op.failed,
            "fraction": op.fraction, "params": params, "summary": op.summary,
            "created_at": iso(op.created_at), "updated_at": iso(op.updated_at),
            "finished_at": iso(op.finished_at), "links": links}  # fmt: skip


def _accepted(request: Request, response: Response, op_id: str, me: Identity) -> dict[str, Any]:
    response.headers["Location"] = f"/api/v2/operations/{op_id}"
    return _out(ops.owned_operation(store_of(request), me, op_id))


@router.post("/scans", response_model=OperationOut, status_code=status.HTTP_202_ACCEPTED,
             tags=["scans"], **guard(Permission.OWN_PATTERNS))  # fmt: skip
def start_scan(request: Request, response: Response, me: Me, body: ScanIn) -> dict[str, Any]:
    """Start a scan (validated and frozen now, evaluated in the background)."""
    fields = body.model_dump(exclude={"name"}, exclude_none=True)
    op_id = ops.start_scan(store_of(request), me, fields, name=body.name)
    return _accepted(request, response, op_id, me)


@router.get("/scans/{operation_id}/results", response_model=Page, tags=["scans"],
            **guard(Permission.OWN_PATTERNS))  # fmt: skip
def scan_results(
    request: Request, me: Me, operation_id: OperationId, page: Pages
) -> dict[str, Any]:
    """The scan's matches, best first (``rank`` 1), with their metrics and provider."""
    rows = records(ops.scan_results(store_of(request), me, operation_id))
    end = page.offset + page.limit
    return {"items": rows[page.offset : end], "limit": page.limit, "offset": page.offset,
            "next_offset": end if end < len(rows) else None, "total": len(rows)}  # fmt: skip


@router.post("/backtests", response_model=OperationOut, status_code=status.HTTP_202_ACCEPTED,
             tags=["backtests"], **guard(Permission.OWN_STRATEGIES))  # fmt: skip
def start_backtest(
    request: Request, response: Response, me: Me, body: BacktestIn
) -> dict[str, Any]:
    """Submit a backtest (counts against the tier's backtests a day)."""
    op_id = ops.start_backtest(
        store_of(request), me, source=body.source.model_dump(), symbols=body.symbols,
        provider=body.provider, start=body.start, end=body.end, settings=body.settings,
        benchmark=body.benchmark, name=body.name,
    )  # fmt: skip
    return _accepted(request, response, op_id, me)


@router.get("/backtests/runs", response_model=Page, tags=["backtests"],
            **guard(Permission.OWN_STRATEGIES))  # fmt: skip
def list_runs(request: Request, me: Me, page: Pages) -> dict[str, Any]:
    """Your stored backtest runs, newest first, with headline metrics."""
    rows = records(
        ops.list_backtest_runs(store_of(request), me, limit=page.offset + page.limit + 1)
    )
    end = page.offset + page.limit
    return {"items": rows[page.offset : end], "limit": page.limit, "offset": page.offset,
            "next_offset": end if len(rows) > end else None}  # fmt: skip


@router.get("/backtests/runs/{run_id}", tags=["backtests"], **guard(Permission.OWN_STRATEGIES))
def get_run(
    request: Request, me: Me, run_id: Annotated[str, Path(max_length=64)]
) -> dict[str, Any]:
    """One stored run: inputs, metrics, costs, trades and the equity curve."""
    run = ops.backtest_run(store_of(request), me, run_id)
    r = run.record
    return {"run_id": run.run_id, "created_at": iso(run.created_at), "kind": r.kind,
            "source": dict(r.source), "universe": list(r.universe), "provider": r.provider,
            "period_start": iso(r.period_start), "period_end": iso(r.period_end),
            "pattern_versions": list(r.pattern_versions), "settings": dict(r.settings),
            "metrics": _finite(r.metrics), "costs": _finite(r.costs),
            "coverage": _finite(r.coverage), "cost_table_version": r.cost_table_version,
            "trades": records(r.trades.reset_index(drop=True)),
            "equity": records(r.equity.reset_index())}  # fmt: skip


def _finite(values: Any) -> dict[str, Any]:
    import math

    return {str(k): (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in dict(values).items()}  # fmt: skip


class OperationPage(Page):
    """A page of your operations, newest first."""

    items: list[OperationOut]  # type: ignore[assignment]


@router.get("/operations", response_model=OperationPage, tags=["operations"], **guard(None))
def list_operations(
    request: Request,
    me: Me,
    kind: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_\-]{0,31}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Your bulk operations (scans, backtests, exports...), newest first."""
    found = ops.list_own(store_of(request), me, kind=kind, limit=limit + 1, offset=offset)
    return {"items": [_out(op) for op in found[:limit]], "limit": limit, "offset": offset,
            "next_offset": offset + limit if len(found) > limit else None}  # fmt: skip


@router.get("/operations/{operation_id}", response_model=OperationOut, tags=["operations"],
            **guard(None))  # fmt: skip
def get_operation(request: Request, me: Me, operation_id: OperationId) -> dict[str, Any]:
    """State and progress of one of your operations."""
    return _out(ops.owned_operation(store_of(request), me, operation_id))


@router.get("/operations/{operation_id}/errors", tags=["operations"], **guard(None))
def operation_errors(request: Request, me: Me, operation_id: OperationId) -> list[dict[str, str]]:
    """The items that failed (item, error class, one-line message)."""
    return [{"item": e.item, "error": e.error, "message": e.message}
            for e in ops.item_errors(store_of(request), me, operation_id)]  # fmt: skip


@router.post("/operations/{operation_id}/cancel", response_model=OperationOut,
             tags=["operations"], **guard(None))  # fmt: skip
def cancel_operation(request: Request, me: Me, operation_id: OperationId) -> dict[str, Any]:
    """Cancel a pending or running operation; finished batches stay recorded."""
    return _out(ops.cancel(store_of(request), me, operation_id))
