"""Pre-heated app kernels: Voila's flags, the wait, and warm-ups that leave nothing behind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from optionsintel.cli.dashboards import APPS, PREHEATED_APPS, dashboard_server_commands
from optionsintel.ui import preheat


def _deny_pattern(cmd: list[str]) -> str:
    [flag] = [a for a in cmd if a.startswith("--VoilaKernelManager.preheat_denylist=")]
    return flag.split("=", 1)[1]


def test_loopback_pre_heats_exactly_the_listed_apps() -> None:
    [cmd] = dashboard_server_commands(8866, "127.0.0.1", folder=Path("."))
    assert "--VoilaConfiguration.preheat_kernel=True" in cmd
    assert "--VoilaConfiguration.default_pool_size=1" in cmd
    deny = re.compile(_deny_pattern(cmd))
    for nb in APPS.values():
        # Voila skips a notebook when its pattern matches (re.match) or is a substring
        for name in (nb, f"sub/{nb}"):
            denied = bool(deny.match(name)) or _deny_pattern(cmd) in name
            assert denied is (nb not in PREHEATED_APPS), name
    assert set(PREHEATED_APPS) <= set(APPS.values())


def test_no_pre_heating_when_exposed_or_turned_off() -> None:
    for host, apps in (("0.0.0.0", PREHEATED_APPS), ("127.0.0.1", ())):
        [cmd] = dashboard_server_commands(8866, host, folder=Path("."), preheat=apps)
        assert not [a for a in cmd if "preheat" in a or "pool_size" in a], cmd


def test_wait_for_viewer_does_nothing_outside_a_pre_heated_kernel(monkeypatch) -> None:
    calls: list[str] = []
    for env in ({}, {"VOILA_PREHEAT": "False", "VOILA_KERNEL_ID": "k"}, {"VOILA_PREHEAT": "True"}):
        monkeypatch.delenv("VOILA_PREHEAT", raising=False)
        monkeypatch.delenv("VOILA_KERNEL_ID", raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        assert preheat.is_preheating() is False
        preheat.wait_for_viewer(lambda: calls.append("warm"))
    assert calls == []


def test_warm_market_monitor_closes_what_it_built_and_the_next_build_is_whole(demo_store) -> None:
    from ipywidgets import Widget

    from optionsintel.ui import build_market_monitor

    build_market_monitor(demo_store, autostart=False).close()  # module-level widgets exist now
    before = set(Widget.widgets)
    preheat.warm_market_monitor(demo_store)
    assert set(Widget.widgets) <= before  # every widget of the throw-away build is closed
    app = build_market_monitor(demo_store, autostart=False)

    def walk(widget: Widget) -> None:  # every widget the page will render is open
        assert widget.comm is not None, widget
        widget.get_state()  # refers to closed widgets -> AttributeError
        for child in getattr(widget, "children", ()):
            walk(child)

    walk(app)
    assert "chain-row" in app.chain_table.value


@pytest.mark.parametrize("nb", PREHEATED_APPS)
def test_pre_heated_notebooks_wait_before_building(nb: str) -> None:
    import nbformat

    folder = Path(__file__).parents[2] / "notebooks"
    cells = [
        c.source for c in nbformat.read(folder / nb, as_version=4).cells if c.cell_type == "code"
    ]
    wait = next(i for i, src in enumerate(cells) if "wait_for_viewer(" in src)
    build = next(i for i, src in enumerate(cells) if "app = build_" in src)
    assert wait < build  # the page's data is read after a page takes the kernel


def test_a_failing_warm_up_still_waits_for_the_page(monkeypatch) -> None:
    """Voila's wait itself is exercised by the Chromium tests; here the order around it."""
    import voila.utils

    calls: list[str] = []

    def broken() -> None:
        calls.append("broken")
        raise RuntimeError("database not ready")

    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("VOILA_KERNEL_ID", "k-1")
    monkeypatch.setattr(voila.utils, "wait_for_request", lambda: calls.append("wait"))
    preheat.wait_for_viewer(broken, lambda: calls.append("ok"))
    assert calls == ["broken", "ok", "wait"]
    assert preheat.is_preheating() is False  # the page has the kernel: a second call is a no-op
    preheat.wait_for_viewer(lambda: calls.append("again"))
    assert calls == ["broken", "ok", "wait"]
