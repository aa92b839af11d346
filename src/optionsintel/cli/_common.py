"""Helpers shared by the CLI commands: error reporting and store access."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer

from optionsintel.errors import OptionsIntelError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


class LazyConsole:
    """A :class:`rich.console.Console` built on first use.

    rich's console machinery costs ~40 ms of start-up that a command printing plain text
    never needs.
    Attribute access is forwarded to the real console; :attr:`real` is the console itself
    (for APIs such as ``Progress(console=...)``).
    """

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._console: Console | None = None

    @property
    def real(self) -> Console:
        """The console, created now if needed."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._kwargs)
        return self._console

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.real, attr)


def escape(markup: str) -> str:
    """:func:`rich.markup.escape`, imported when first called."""
    from rich.markup import escape as rich_escape

    return rich_escape(markup)


def new_table(*args: Any, **kwargs: Any) -> Table:
    """A :class:`rich.table.Table`, rich's table machinery imported when first needed."""
    from rich.table import Table

    return Table(*args, **kwargs)


console = LazyConsole()
# soft_wrap: an error stays one line whatever the terminal width (scripts grep for it)
err_console = LazyConsole(stderr=True, soft_wrap=True)

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
