"""Per-user settings of the apps: validated, stored in ``user_settings``, audited.

One JSON document per username (:class:`UserSettings`). Reading a person with nothing
stored gives the defaults; :func:`set_setting` validates one ``KEY VALUE`` pair (as typed
at the command line or in a form) against the whole model before anything is written,
so a bad value is a one-line :class:`~optionsintel.errors.InputError` and the stored
document is untouched. Local mode (no login) uses the one local identity
(:data:`optionsintel.services.users.LOCAL_USER`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from optionsintel import jsontext
from optionsintel.apps import APPS
from optionsintel.errors import InputError
from optionsintel.services import audit

if TYPE_CHECKING:
    from optionsintel.store import Store

__all__ = [
    "UserSettings",
    "export_settings",
    "get_settings",
    "import_settings",
    "reset_settings",
    "save_settings",
    "set_setting",
    "stored_settings",
    "validate_settings",
]

#: Dashboards a person may open by default (notebook file names of the Voila apps).
DASHBOARDS = tuple(APPS.values())


class UserSettings(BaseModel):
    """A person's preferences, applied by every app (bounds are part of the contract)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_underlying: str = Field(default="NIFTY", min_length=1, max_length=40)
    default_universe: Literal["index", "equity", "all"] = "index"
    refresh_seconds: int = Field(default=15, ge=5, le=3600)
    decimals: int = Field(default=2, ge=0, le=6)
    number_format: Literal["indian", "international"] = "indian"
    colour_scheme: Literal["light", "dark", "auto"] = "auto"
    density: Literal["comfortable", "compact"] = "comfortable"
    default_dashboard: str = "home.ipynb"

    @field_validator("default_underlying")
    @classmethod
    def _symbol(cls, value: str) -> str:
        value = value.strip().upper()
        if not value.replace("-", "").replace("&", "").replace("_", "").isalnum():
            raise ValueError("letters, digits, '-', '&' or '_' only")
        return value

    @field_validator("default_dashboard")
    @classmethod
    def _dashboard(cls, value: str) -> str:
        name = value if value.endswith(".ipynb") else f"{value}.ipynb"
        if name not in DASHBOARDS:
            raise ValueError(f"one of {', '.join(d.removesuffix('.ipynb') for d in DASHBOARDS)}")
        return name


def validate_settings(data: Any) -> UserSettings:
    """``data`` (a settings object) as :class:`UserSettings`.

    Raises :class:`InputError` naming the first bad key and its bound.
    """
    if not isinstance(data, dict):
        raise InputError("settings must be a JSON object of setting: value")
    return _validate(data)


def _validate(data: dict[str, Any]) -> UserSettings:
    try:
        return UserSettings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        msg = "unknown setting" if first["type"] == "extra_forbidden" else first["msg"]
        keys = ", ".join(UserSettings.model_fields)
        hint = f" (settings: {keys})" if first["type"] == "extra_forbidden" else ""
        raise InputError(f"setting {where}: {msg}{hint}") from None


def get_settings(store: Store, username: str) -> UserSettings:
    """The stored settings of ``username`` (defaults when none are stored)."""
    rows = store.read("user_settings", where={"username": username})
    if rows.empty:
        return UserSettings()
    return _from_stored(rows.iloc[0]["settings"])


def _from_stored(stored: Any) -> UserSettings:
    """A stored settings document as settings: unknown keys dropped, bad values defaulted."""
    stored = json.loads(stored) if isinstance(stored, str) else dict(stored)
    known = {k: v for k, v in stored.items() if k in UserSettings.model_fields}
    try:
        return UserSettings.model_validate(known)
    except ValidationError:  # a document written under older bounds: fall back per key
        ok = {}
        for key, value in known.items():
            try:
                UserSettings.model_validate({key: value})
                ok[key] = value
            except ValidationError:
                continue
        return UserSettings.model_validate(ok)


def stored_settings(store: Store, owner: str | None = None) -> list[tuple[str, UserSettings]]:
    """``(username, settings)`` of everyone with stored settings (or of ``owner``), by name.

    One read of every row (an export of many users' settings is one query).
    """
    where = {} if owner is None else {"username": owner}
    rows = store.read("user_settings", where=where, columns=["username", "settings"],
                      order_by=["username"])  # fmt: skip
    return [(str(n), _from_stored(doc)) for n, doc in zip(rows["username"], rows["settings"],
                                                          strict=True)]  # fmt: skip


def save_settings(
    store: Store, username: str, settings: UserSettings, *, actor: str | None = None
) -> UserSettings:
    """Store ``settings`` for ``username`` (replacing the previous document), audited."""
    frame = pd.DataFrame(
        [{"username": username, "settings": settings.model_dump(),
          "updated_at": pd.Timestamp.now(tz="UTC")}]
    )  # fmt: skip
    with store.transaction() as tx:
        tx.write("user_settings", frame)
        audit.record(tx, actor or username, "settings.update", username,
                     details={"settings": settings.model_dump()})  # fmt: skip
    return settings


def set_setting(
    store: Store, username: str, key: str, value: Any, *, actor: str | None = None
) -> UserSettings:
    """Validate and store one setting; raise :class:`InputError` naming the problem."""
    if key not in UserSettings.model_fields:
        keys = ", ".join(UserSettings.model_fields)
        raise InputError(f"unknown setting {key!r}; settings: {keys}")
    data = get_settings(store, username).model_dump()
    data[key] = value
    return save_settings(store, username, _validate(data), actor=actor)


def reset_settings(store: Store, username: str, *, actor: str | None = None) -> UserSettings:
    """Back to the defaults (stored, so the reset is audited like any change)."""
    return save_settings(store, username, UserSettings(), actor=actor)


def export_settings(store: Store, username: str) -> str:
    """The settings of ``username`` as a JSON document (for :func:`import_settings`)."""
    body = {"format": "optionsintel.user_settings/1", "username": username,
            "settings": get_settings(store, username).model_dump()}  # fmt: skip
    return json.dumps(body, indent=2, sort_keys=True)


def import_settings(
    store: Store, username: str, text: str, *, actor: str | None = None
) -> UserSettings:
    """Validate an exported document (or a bare settings object) and store it."""
    try:
        body = jsontext.loads(text)
    except jsontext.JsonTextError as exc:
        raise InputError(f"settings file is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InputError("settings file must hold a JSON object")
    data = body.get("settings", body) if "format" in body else body
    if not isinstance(data, dict):
        raise InputError("settings file: 'settings' must be a JSON object")
    return save_settings(store, username, _validate(data), actor=actor)
