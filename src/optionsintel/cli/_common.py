"""Helpers shared by the CLI commands: error reporting and store access."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from optionsintel.errors import OptionsIntelError

console = Console()
# soft_wrap: an error stays one line whatever the terminal width (scripts grep for it)
err_console = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


def friendly_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn deliberate optionsintel errors into a one-line message and exit code 1.

    The message is escaped: it may quote user input (a symbol such as ``[/bold]``) that
    rich would otherwise read as markup and crash on.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except OptionsIntelError as exc:
            text = " ".join(str(exc).split())  # one line, even for multi-line causes
            err_console.print(f"[bold red]error:[/] {type(exc).__name__}: {escape(text)}")
            raise typer.Exit(code=1) from None

    return wrapper


class LazyModule:
    """A module imported on first attribute access, so ``--help`` loads no heavy library.

    Sub-commands name their services at module level (readable) and pay for the import
    (store, SQLAlchemy, pandas...) only when a command runs.
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._name), attr)
