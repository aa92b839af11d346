"""``optionsintel settings``: the person's app settings (show, set, reset, export, import).

At the command line the settings are those of the local identity (``local``, the one
the dashboards use in local mode) unless ``--user`` names another account.
"""

from __future__ import annotations

from pathlib import Path

import typer

from optionsintel.cli._common import LazyModule, console, friendly_errors
from optionsintel.errors import InputError

_service = LazyModule("optionsintel.services.user_settings")
_store = LazyModule("optionsintel.store")
_identity = LazyModule("optionsintel.services.identity")

app = typer.Typer(help="Per-user settings applied by the dashboards.", no_args_is_help=True)
_USER = typer.Option("local", "--user", help="Whose settings (default: the local identity).")


def _actor() -> str:
    return str(_identity.cli_identity().actor)


def _show(settings: object) -> None:
    for key, value in settings.model_dump().items():  # type: ignore[attr-defined]
        console.print(f"{key} = {value}")


@app.command("show")
@friendly_errors
def show(user: str = _USER) -> None:
    """Print every setting (defaults where nothing is stored)."""
    _show(_service.get_settings(_store.get_store(), user))


@app.command("set")
@friendly_errors
def set_(key: str, value: str, user: str = _USER) -> None:
    """Set KEY to VALUE (validated; a bad value changes nothing)."""
    settings = _service.set_setting(_store.get_store(), user, key, value, actor=_actor())
    console.print(f"{key} = {getattr(settings, key)}")


@app.command("reset")
@friendly_errors
def reset(user: str = _USER) -> None:
    """Back to the defaults."""
    _show(_service.reset_settings(_store.get_store(), user, actor=_actor()))


@app.command("export")
@friendly_errors
def export(path: Path, user: str = _USER) -> None:
    """Write the settings as JSON to PATH."""
    text = _service.export_settings(_store.get_store(), user) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    console.print(f"wrote {path}")


@app.command("import")
@friendly_errors
def import_(path: Path, user: str = _USER) -> None:
    """Read settings from the JSON file PATH (validated before anything is stored)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the settings file {str(path)!r}: {exc}") from None
    _show(_service.import_settings(_store.get_store(), user, text, actor=_actor()))
