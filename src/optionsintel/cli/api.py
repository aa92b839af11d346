"""``optionsintel api``: serve the REST API with uvicorn (127.0.0.1:8000 by default)."""

from __future__ import annotations

import ipaddress

import typer

from optionsintel.cli._common import console, err_console

LOOPBACK_HOST = "127.0.0.1"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def api(
    host: str = typer.Option(LOOPBACK_HOST, help="Interface to bind (loopback by default)."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    log_level: str = typer.Option("warning", help="uvicorn log level."),
) -> None:
    """Serve the REST API /api/v2 (docs at /api/v2/docs); every call needs an API key."""
    import uvicorn

    if not _is_loopback(host):
        err_console.print(
            f"[yellow]exposed mode[/]: listening on {host}; people log in "
            "(create the first SUPER_ADMIN with `optionsintel users create NAME "
            "--role SUPER_ADMIN --password`)"
        )
    console.print(
        f"API on http://{host}:{port}/api/v2 (docs /api/v2/docs); "
        "create a key with `optionsintel keys create`"
    )
    # Named by string so the CLI does not import the API package (entry points stay apart).
    uvicorn.run(
        "optionsintel.api:create_app",
        factory=True,
        host=host,
        port=port,
        workers=1,
        log_level=log_level,
        access_log=False,  # a log line per request costs more than a cached answer
    )  # loop and http "auto": uvloop and httptools (dependencies), else asyncio and h11
