"""Exports: start one (202 with an operation id), follow it, download the file, cancel.

The export runs in a worker thread of the API process through the same
:func:`optionsintel.services.exports.export_dataset` the CLI runs; its
``bulk_operations`` record is the truth about it (see :mod:`optionsintel.services.export_jobs`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, model_validator

from optionsintel.api.deps import current_identity, guard, store_of
from optionsintel.api.routers._params import BodyInstant
from optionsintel.api.schemas import ERRORS, PROVIDER_PATTERN, SYMBOL_PATTERN, Strict
from optionsintel.auth import Permission
from optionsintel.services import export_jobs
from optionsintel.services.identity import Identity
from optionsintel.services.serialise import iso
from optionsintel.tz import to_utc

router = APIRouter(tags=["exports"], responses=ERRORS)
_G = guard(Permission.MARKET_READ)
Me = Annotated[Identity, Depends(current_identity)]
OperationId = Annotated[str, Path(pattern=r"^export-[0-9a-f]{20}$")]


class ExportIn(Strict):
    """What to export: a data set of one provider, optionally some symbols and a window."""

    dataset: str = Field(pattern=r"^[a-z_]{1,64}$", description="e.g. daily_ohlc")
    format: Literal["csv", "jsonl", "parquet", "xlsx", "json"] = "csv"
    provider: str | None = Field(default=None, pattern=PROVIDER_PATTERN)
    symbols: list[Annotated[str, Field(pattern=SYMBOL_PATTERN)]] | None = Field(
        default=None, min_length=1, max_length=200
    )
    start: BodyInstant = None
    end: BodyInstant = None

    @model_validator(mode="after")
    def _window_in_order(self) -> ExportIn:
        # naive instants are IST: compare on one clock (naive and aware do not compare)
        if (
            self.start is not None
            and self.end is not None
            and to_utc(self.start) > to_utc(self.end)
        ):
            raise ValueError("start is after end")
        return self


class OperationOut(BaseModel):
    """A long operation: state, progress and where to look next."""

    operation_id: str
    kind: str
    status: str
    total_items: int
    done_items: int
    failed_items: int = 0
    params: dict[str, Any]
    error: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    links: dict[str, str]


def _out(op: dict[str, Any]) -> dict[str, Any]:
    base = f"/api/v2/exports/{op['operation_id']}"
    links = {"status": base, "cancel": f"{base}/cancel"}
    if op["status"] == "SUCCEEDED":
        links["download"] = f"{base}/download"
    errors = op.get("item_errors") or {}
    return {"operation_id": op["operation_id"], "kind": op["kind"], "status": op["status"],
            "total_items": int(op["total_items"]), "done_items": int(op["done_items"]),
            "failed_items": int(op["failed_items"]), "params": op["params"],
            "error": errors.get("error"), "created_at": iso(op["created_at"]),
            "updated_at": iso(op["updated_at"]), "links": links}  # fmt: skip


@router.post("/exports", response_model=OperationOut, status_code=status.HTTP_202_ACCEPTED, **_G)
def start_export(request: Request, response: Response, me: Me, body: ExportIn) -> dict[str, Any]:
    """Start an export; follow it at ``Location`` until SUCCEEDED, then download."""
    store = store_of(request)
    op_id = export_jobs.start(store, me, body.dataset, fmt=body.format, provider=body.provider,
                              subject=body.symbols, start=body.start, end=body.end)  # fmt: skip
    response.headers["Location"] = f"/api/v2/exports/{op_id}"
    return _out(export_jobs.status(store, me, op_id))


@router.get("/exports/{operation_id}", response_model=OperationOut, **_G)
def export_status(request: Request, me: Me, operation_id: OperationId) -> dict[str, Any]:
    """State and progress (rows written of rows to write) of one of your exports."""
    return _out(export_jobs.status(store_of(request), me, operation_id))


@router.post("/exports/{operation_id}/cancel", response_model=OperationOut, **_G)
def cancel_export(request: Request, me: Me, operation_id: OperationId) -> dict[str, Any]:
    """Cancel a pending or running export (it stops at its next chunk)."""
    return _out(export_jobs.cancel(store_of(request), me, operation_id))


@router.get(
    "/exports/{operation_id}/download",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
    **_G,
)
def download_export(request: Request, me: Me, operation_id: OperationId) -> FileResponse:
    """The exported file (409 ``not_ready`` until the export SUCCEEDED)."""
    path = export_jobs.download(store_of(request), me, operation_id)
    fmt = path.suffix.lstrip(".")
    return FileResponse(path, media_type=export_jobs.MEDIA_TYPES.get(fmt), filename=path.name)
