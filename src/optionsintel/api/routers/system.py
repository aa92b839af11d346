"""Health, version, the caller's identity, system metrics and configuration."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pandas as pd
from fastapi import APIRouter, Depends, Request

from optionsintel import __version__
from optionsintel.api.deps import context, current_identity, guard, store_of
from optionsintel.api.schemas import ERRORS, Health, Me, VersionInfo
from optionsintel.auth import ROLE_PERMISSIONS, TIER_QUOTAS, Permission
from optionsintel.services.identity import Identity
from optionsintel.services.quotas import calls_today
from optionsintel.services.serialise import iso, records
from optionsintel.settings import get_settings
from optionsintel.store.reads import read_source_metrics

router = APIRouter(tags=["system"], responses=ERRORS)
API_VERSION = "2"


@router.get("/health", response_model=Health, **guard(None))
def health(request: Request) -> dict[str, Any]:
    """Liveness, with a round trip to the database."""
    store_of(request).count("roles")
    return {"status": "ok", "database": "ok", "time": iso(pd.Timestamp.now(tz="UTC"))}


@router.get("/version", response_model=VersionInfo, **guard(None))
def version() -> dict[str, str]:
    """The platform's version and the API's major version."""
    return {"version": __version__, "api": API_VERSION}


@router.get("/me", response_model=Me, **guard(None))
def me(request: Request, identity: Identity = Depends(current_identity)) -> dict[str, Any]:
    """Who the credential belongs to, what it may do, and today's usage."""
    perms = sorted(p.value for p in ROLE_PERMISSIONS[identity.role] if identity.can(p))
    return {
        "username": identity.username,
        "role": identity.role,
        "tier": identity.tier,
        "via": identity.via,
        "key_prefix": identity.key_prefix,
        "permissions": perms,
        "quota": asdict(TIER_QUOTAS[identity.tier]),
        "api_calls_today": _calls_today(request, identity.username),
    }


def _calls_today(request: Request, username: str) -> int:
    """Today's calls, counting those the server has not written yet."""
    meter = context(request).meter
    used = meter.used(username) if meter is not None else None
    return used if used is not None else calls_today(store_of(request), username)


@router.get("/system/metrics", **guard(Permission.SYSTEM_METRICS))
def system_metrics(request: Request) -> dict[str, Any]:
    """Data-source request metrics of the last 24 hours."""
    since = pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=1)
    return {
        "since": iso(since),
        "sources": records(read_source_metrics(store_of(request), since=since)),
    }


@router.get("/system/config", **guard(Permission.SYSTEM_CONFIGURE))
def system_config() -> dict[str, Any]:
    """The effective configuration, without any secret."""
    settings = get_settings()
    out = settings.model_dump(mode="json")
    secret_fields = [
        name for name, f in type(settings).model_fields.items() if "SecretStr" in str(f.annotation)
    ]
    for name in secret_fields:
        out[name] = None if getattr(settings, name) is None else "**********"
    return out
