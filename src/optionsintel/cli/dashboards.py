"""``optionsintel dashboards``: serve the Voila apps on 127.0.0.1 and print their URLs.

``optionsintel up`` starts the same server next to the Dagster UI through
:func:`dashboard_server_commands` and prints :func:`dashboard_urls`.
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from pathlib import Path

import typer

from optionsintel.apps import APPS  # the catalogue; re-exported for the CLI's callers
from optionsintel.cli._common import console, friendly_errors
from optionsintel.cli._servers import run_servers
from optionsintel.errors import OptionsIntelError

DEFAULT_PORT = 8866


class DashboardsNotFoundError(OptionsIntelError):
    """The notebooks folder with the Voila apps cannot be found."""


def notebooks_dir() -> Path:
    """Return the folder holding the Voila app notebooks (``OPTIONSINTEL_NOTEBOOKS`` overrides)."""
    env = os.environ.get("OPTIONSINTEL_NOTEBOOKS")
    candidates = [Path(env)] if env else []
    candidates += [Path(__file__).resolve().parents[3] / "notebooks", Path.cwd() / "notebooks"]
    for folder in candidates:
        if all((folder / nb).is_file() for nb in APPS.values()):
            return folder
    raise DashboardsNotFoundError(
        f"no notebooks folder with {sorted(APPS.values())} in {[str(c) for c in candidates]}; "
        "run from the repository root or set OPTIONSINTEL_NOTEBOOKS"
    )


def dashboard_urls(port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> dict[str, str]:
    """Return the URL of each Voila app by title."""
    return {title: f"http://{host}:{port}/voila/render/{nb}" for title, nb in APPS.items()}


#: Voila flags of exposed mode (kept in sync with optionsintel.ui.identity.EXPOSED_VOILA_FLAGS,
#: named here so the CLI does not import the ui package).
EXPOSED_FLAGS = (
    "--Voila.identity_provider_class=optionsintel.ui.identity.PlatformIdentityProvider",
    "--VoilaConfiguration.http_header_envs=X-OptionsIntel-Viewer",
)


#: A page closed without its unload handler (a crashed or killed browser, a dropped
#: network) leaves its kernel running (~350 MB each): shut kernels down after an hour idle
#: with no page connected; an open page keeps its kernel whatever its age.
KERNEL_CULLING = (
    "--MappingKernelManager.cull_idle_timeout=3600",
    "--MappingKernelManager.cull_interval=300",
    "--MappingKernelManager.cull_connected=False",
)


#: Apps whose kernel Voila keeps pre-heated on loopback, one each: the two slowest to
#: open (the market monitor's first chart; the backtests' vectorbt and compiled kernels).
#: A page takes the waiting kernel (:mod:`optionsintel.ui.preheat`) and Voila starts the
#: next one a second later (its default: a longer delay would make the next page wait
#: for it, as Voila hands a page the pool's pending kernel). Each waiting kernel holds
#: ~350 MB.
PREHEATED_APPS: tuple[str, ...] = ("market_monitor.ipynb", "backtests.ipynb")


def preheat_flags(apps: tuple[str, ...]) -> list[str]:
    """Voila's flags for one pre-heated kernel per app in ``apps`` (none for the rest)."""
    if not apps:
        return []
    # Voila pre-heats every notebook but those its deny-list matches: one pattern that
    # matches any path not ending in one of ``apps``.
    names = "|".join(re.escape(nb) for nb in apps)
    deny = f"^(?!(?:.*/)?(?:{names})$)"
    return ["--VoilaConfiguration.preheat_kernel=True",
            "--VoilaConfiguration.default_pool_size=1",
            f"--VoilaKernelManager.preheat_denylist={deny}"]  # fmt: skip


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (local mode)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def dashboard_server_commands(
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    folder: Path | None = None,
    preheat: tuple[str, ...] = PREHEATED_APPS,
) -> list[list[str]]:
    """Return the command lines that serve the dashboards (one Voila server, all apps).

    Voila serves every notebook of :func:`notebooks_dir` without opening a browser;
    each app gets its own kernel per page view. On loopback (local mode) there is no
    login; on any other interface (exposed mode) Voila runs behind the platform's users
    (:mod:`optionsintel.ui.identity`). Run with the environment of the caller so
    ``DATABASE_URL`` reaches the kernels. On loopback the ``preheat`` apps keep a kernel
    waiting (:data:`PREHEATED_APPS`); exposed mode never pre-heats (the viewer's identity
    is a request header, which a kernel started before the request must not depend on).
    """
    folder = folder or notebooks_dir()
    command = [sys.executable, "-m", "voila", str(folder), f"--port={port}", "--no-browser",
               f"--Voila.ip={host}", *KERNEL_CULLING]  # fmt: skip
    if not is_loopback(host):
        command += list(EXPOSED_FLAGS)
    else:
        command += preheat_flags(preheat)
    return [command]


@friendly_errors
def dashboards(
    port: int = typer.Option(DEFAULT_PORT, help="Port of the Voila server."),
    host: str = typer.Option(
        "127.0.0.1", help="Interface; beyond loopback people sign in with their platform account."
    ),
    preheat: bool = typer.Option(
        True, help="Keep a kernel pre-heated for the slowest apps (loopback only; ~350 MB each)."
    ),
) -> None:
    """Serve the Voila dashboards (every app listed in APPS)."""
    commands = dashboard_server_commands(port, host, preheat=PREHEATED_APPS if preheat else ())
    if not is_loopback(host):
        os.environ["OPTIONSINTEL_EXPOSED"] = "1"  # kernels inherit it: no local SUPER_ADMIN
        console.print(f"[yellow]exposed mode[/]: sign in at http://{host}:{port}/login "
                      "with a platform account (`optionsintel users create`)")  # fmt: skip
    for title, url in dashboard_urls(port, host).items():
        console.print(f"[bold]{title}[/]: {url}")
    console.print("Press Ctrl+C to stop.")
    raise typer.Exit(code=run_servers(commands))
