"""One error body for every failure: ``{"code", "message", "details"}``.

Library exceptions map to HTTP statuses here and nowhere else. Validation errors list
where and what, never the submitted value (it may be a password). Unexpected errors
answer a generic 500 and are logged with their traceback, never with request headers.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from optionsintel.errors import (
    AlertRuleError,
    BacktestError,
    BulkOperationError,
    CalendarError,
    CredentialsError,
    DatabaseUnreachableError,
    DuplicateRecordError,
    ExchangeError,
    FrameValidationError,
    InputError,
    InvalidArgumentError,
    LoginThrottledError,
    OperationNotReadyError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitedError,
    RecordNotFoundError,
    RuleError,
    RuleValidationError,
    ScanSpecError,
    SchemaOutdatedError,
    StoreWriteError,
    StrategyError,
    WatchlistError,
)
from optionsintel.services.serialise import iso

log = logging.getLogger("optionsintel.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON error response."""
    body = {"code": code, "message": message, "details": details}
    return JSONResponse(body, status_code=status, headers=headers)


def _retry(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


_INVALID = (
    InputError,
    InvalidArgumentError,
    FrameValidationError,
    StrategyError,
    RuleError,
    AlertRuleError,
    ExchangeError,
    CalendarError,
    ScanSpecError,
    WatchlistError,
    BacktestError,
)


def _quota(exc: QuotaExceededError) -> JSONResponse:
    details = {
        "limit": exc.limit,
        "tier": exc.tier,
        "allowed": exc.allowed,
        "used": exc.used,
        "resets_at": iso(exc.resets_at) if exc.resets_at is not None else None,
    }
    headers = None
    if exc.retryable and exc.resets_at is not None:
        import pandas as pd

        wait = (pd.Timestamp(exc.resets_at) - pd.Timestamp.now(tz="UTC")).total_seconds()
        headers = _retry(wait)
    return error_response(
        429 if exc.retryable else 403, "quota_exceeded", str(exc), details, headers
    )


def _library(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, LoginThrottledError):
        return error_response(
            429,
            "login_throttled",
            str(exc),
            {"retry_after_seconds": math.ceil(exc.retry_after)},
            _retry(exc.retry_after),
        )
    if isinstance(exc, CredentialsError):
        return error_response(
            401, "unauthenticated", str(exc), None, {"WWW-Authenticate": "Bearer"}
        )
    if isinstance(exc, PermissionDeniedError):
        return error_response(403, "forbidden", str(exc), {"permission": exc.permission})
    if isinstance(exc, QuotaExceededError):
        return _quota(exc)
    if isinstance(exc, RateLimitedError):
        return error_response(
            429,
            "rate_limited",
            str(exc),
            {
                "limit": "requests_per_second",
                "rate": exc.rate,
                "burst": exc.burst,
                "retry_after_seconds": exc.retry_after,
            },
            _retry(exc.retry_after),
        )
    if isinstance(exc, RecordNotFoundError):
        return error_response(404, "not_found", str(exc))
    if isinstance(exc, DuplicateRecordError):
        return error_response(409, "conflict", str(exc).split(";")[0], {"table": exc.table})
    if isinstance(exc, StoreWriteError):  # a constraint refused the write (e.g. a taken email)
        return error_response(409, "conflict", str(exc))
    if isinstance(exc, OperationNotReadyError):
        return error_response(409, "not_ready", str(exc))
    if isinstance(exc, BulkOperationError):
        return error_response(409, "conflict", str(exc))
    if isinstance(exc, RuleValidationError):
        errors = [{"path": p, "message": m} for p, m in exc.errors]
        return error_response(422, "invalid_rule", str(exc), {"errors": errors})
    if isinstance(exc, _INVALID):
        return error_response(422, "invalid_input", str(exc))
    if isinstance(exc, DatabaseUnreachableError | SchemaOutdatedError):
        log.error("store unavailable: %s", exc)
        return error_response(503, "store_unavailable", "the database is not available")
    return _unexpected(request, exc)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "an unexpected error occurred; it was logged")


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"location": list(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return error_response(422, "invalid_request", "the request is malformed", details)


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    details = getattr(exc, "details", None)  # e.g. the body cap of api.middleware
    return error_response(exc.status_code, code, str(exc.detail), details, dict(exc.headers or {}))


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    from optionsintel.errors import OptionsIntelError

    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(OptionsIntelError, _library)
    app.add_exception_handler(Exception, _unexpected)
