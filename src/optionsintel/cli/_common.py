"""Helpers shared by the CLI commands: error reporting and store access."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from optionsintel.errors import OptionsIntelError

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def friendly_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn deliberate optionsintel errors into a one-line message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except OptionsIntelError as exc:
            err_console.print(f"[bold red]error:[/] {type(exc).__name__}: {exc}")
            raise typer.Exit(code=1) from None

    return wrapper
