"""Dashboards: first render in a fresh process, first chart in Chromium, live refresh.

Runs against a throw-away embedded PostgreSQL seeded through the Dagster asset graph by
the command ``optionsintel demo`` runs (``python -m dagster_project.materialise``, in a
child process, so the measuring process never imports Dagster, like a Voila kernel) with
one synthetic NIFTY day (5-minute snapshots, 11 expiries, ~2,100 contracts per snapshot)
and the two recorded real NIFTY days.

1. Cold first render: a new interpreter (what a Voila kernel is) imports the library,
   opens the store and builds the market monitor; timed inside the child from its
   first line, plus the child's whole wall time. Server-side, medians of fresh processes.
2. Warm render, live refresh and time-slider moves in this process.
3. In the browser: Voila serving the apps, headless Chromium (``/usr/bin/chromium``,
   playwright from the ``dev`` extra) opens the page; time from ``page.goto`` to the first
   chart drawn (a Plotly SVG with bars) and to the chain table; also to the page shell
   (``domcontentloaded``), Voila's share before the kernel runs the notebook. Twice in
   one run: every view starting its own kernel, and (what ``optionsintel up`` serves on
   loopback) a view taking the kernel Voila keeps pre-heated for the app.

    python benchmarks/bench_dashboards.py [--browser-rounds 3] [--no-browser]
        [--cold-rounds 3] [--peer-src /path/to/other/checkout/src]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from optionsintel.cli.dashboards import APPS, PREHEATED_APPS, dashboard_server_commands
from optionsintel.cli.up import materialise_command
from optionsintel.services.demo import REPLAY_PAIR_DAYS, DemoPlan
from optionsintel.store import Store, migrate
from optionsintel.store.embedded import embedded_url, stop_embedded
from optionsintel.store.engine import dispose_engines, get_engine
from optionsintel.ui import build_market_monitor


def _ms(fn, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def _seed(url: str, root: Path) -> None:
    """Materialise the demo days into ``url`` as ``optionsintel demo`` does (runs recorded)."""
    home = root / "dagster"
    home.mkdir()
    shutil.copyfile(Path(__file__).resolve().parents[1] / "dagster.yaml", home / "dagster.yaml")
    plan = DemoPlan({"synthetic": [dt.date(2025, 7, 15)], "replay": list(REPLAY_PAIR_DAYS)},
                    interval_seconds=300, underlyings=("NIFTY",))  # fmt: skip
    env = {**os.environ, "DATABASE_URL": url, "DAGSTER_HOME": str(home)}
    subprocess.run(materialise_command(plan), env=env, check=True)


_COLD = """
import time
t0 = time.perf_counter()
import json, sys
from optionsintel.store import Store
from optionsintel.store.engine import get_engine
from optionsintel.ui import build_market_monitor
t1 = time.perf_counter()
app = build_market_monitor(Store(get_engine(sys.argv[1])), autostart=False)
t2 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "render": t2 - t1}))
"""


def _cold_child(url: str, src: str | None) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": src} if src else None
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _COLD, url], capture_output=True,
                         text=True, check=True, env=env)  # fmt: skip
    wall = time.perf_counter() - start
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "wall": wall}


def bench_cold(url: str, rounds: int = 3, peer_src: str | None = None) -> None:
    """First full render in fresh interpreters (nothing imported, numba cache on disk).

    With ``peer_src`` (another checkout's ``src``, e.g. the code before a change) its
    children run interleaved with ours (A, B, B, A...), so both see the same load.
    """
    runs: dict[str, str | None] = {"this checkout": None}
    if peer_src:
        runs[f"peer {peer_src}"] = peer_src
    rows: dict[str, list[dict[str, float]]] = {k: [] for k in runs}
    for i in range(rounds):
        for name in runs if i % 2 == 0 else list(reversed(runs)):
            rows[name].append(_cold_child(url, runs[name]))
    print(f"load average {os.getloadavg()[0]:.1f}")
    for name, r in rows.items():
        med = {k: statistics.median(x[k] for x in r) * 1e3 for k in r[0]}
        print(f"first full render, fresh process, {name} ({rounds} processes, medians): imports "
              f"{med['imports']:.0f} ms + build {med['render']:.0f} ms; whole child incl. "
              f"interpreter start {med['wall']:.0f} ms")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _local_only(route) -> None:  # type: ignore[no-untyped-def]
    """Answer external requests (the template's CDN icon fonts) locally: no internet."""
    if "127.0.0.1" in route.request.url:
        route.continue_()
    else:
        route.fulfill(status=200, body="", content_type="text/css")


def _pool_fills(log_path: Path, app: str) -> int:
    """How often Voila has reported ``app``'s pre-heated kernel pool full (its log)."""
    return log_path.read_text(errors="replace").count(f"Kernel pool of {app} is filled")


def _wait_idle(max_s: float = 60.0) -> None:
    """Wait until the 1-minute load is below the core count or ``max_s`` passed (a kernel
    being pre-heated has finished its imports and waits for its page)."""
    deadline = time.monotonic() + max_s
    time.sleep(5)
    while time.monotonic() < deadline and os.getloadavg()[0] > (os.cpu_count() or 1) * 0.6:
        time.sleep(1)


def bench_browser(url: str, root: Path, rounds: int, preheat: bool) -> None:
    """Page open to first chart in headless Chromium.

    Without pre-heating each page view starts a kernel that imports, builds and renders.
    With it (what ``optionsintel up`` runs on loopback) the page takes the kernel Voila
    keeps waiting for the market monitor; each round waits until Voila has re-filled the
    pool (it starts the next kernel a second after a page takes one) and the
    new kernel has done its imports: a user opening the app on a running platform.
    """
    from playwright.sync_api import sync_playwright

    app = APPS["Market monitor"]
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url}
    log_path = root / f"voila_{'preheated' if preheat else 'cold'}.log"
    log = log_path.open("w")
    command = dashboard_server_commands(port, preheat=PREHEATED_APPS if preheat else ())[0]
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/voila/render"
    try:
        for _ in range(240):
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        times: dict[str, list[float]] = {"page": [], "chart": [], "table": []}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update"])  # fmt: skip
            for i in range(rounds + 1):  # round 0 warms Voila's templates and the OS cache
                if preheat:
                    deadline = time.monotonic() + 180
                    while _pool_fills(log_path, app) < i + 1 and time.monotonic() < deadline:
                        time.sleep(0.5)
                    _wait_idle()
                page = browser.new_page(viewport={"width": 1366, "height": 800})
                page.route("**/*", _local_only)
                start = time.perf_counter()
                page.goto(f"{base}/{app}", timeout=180_000, wait_until="domcontentloaded")
                got = {"page": time.perf_counter() - start}
                page.wait_for_selector(".js-plotly-plot .bars .point", timeout=180_000)
                got["chart"] = time.perf_counter() - start
                page.wait_for_selector("table.oi-chain tr.chain-row", timeout=180_000)
                got["table"] = time.perf_counter() - start
                page.close()
                if i:
                    for k, v in got.items():
                        times[k].append(v)
            browser.close()
        med = {k: statistics.median(v) for k, v in times.items()}
        how = ("a pre-heated kernel waiting for each view" if preheat
               else "each page view starts a new kernel")  # fmt: skip
        print(f"Chromium, market monitor, {how} ({rounds} views, load {os.getloadavg()}):")
        print(f"  page open -> first chart drawn   median {med['chart']:.2f} s "
              f"(runs {', '.join(f'{x:.2f}' for x in times['chart'])})")  # fmt: skip
        print(f"  page open -> chain table         median {med['table']:.2f} s")
        print(
            f"  page open -> page HTML complete median {med['page']:.2f} s "
            "(Voila executes the notebook while streaming it)"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--browser-rounds", type=int, default=3)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--cold-rounds", type=int, default=3)
    ap.add_argument("--peer-src", help="another checkout's src/ to time cold renders against")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="oi_bench_ui_"))
    try:
        url = embedded_url(root / "pgdata", database="bench_ui")
        migrate.upgrade(get_engine(url))
        store = Store(get_engine(url))
        _seed(url, root)
        bench_cold(url, args.cold_rounds, args.peer_src)
        app = build_market_monitor(store, autostart=False)
        warm = _ms(lambda: build_market_monitor(store, autostart=False), 5)
        print(f"first full render, warm process:               {warm:8.1f} ms")
        app.day_select.value = "2025-07-15"  # the 11-expiry synthetic NIFTY day, last tick
        n = app.chain_table.value.count("chain-row")

        def refresh() -> None:
            app._chain = None  # a live tick always brings a new snapshot: no chain cache
            app.refresh()

        refresh = _ms(refresh)
        print(
            f"live refresh, full NIFTY chain (2,130 contracts, {n} rows shown): {refresh:6.1f} ms"
        )
        slider = [v for _, v in app.time_slider.options]
        moves = iter(slider[::5] * 4)
        scrub = _ms(lambda: setattr(app.time_slider, "value", next(moves)), 10)
        print(f"time-slider move (as-of chain + incremental series): {scrub:6.1f} ms")
        print(f"render_ms of the last update (widget-reported):  {app.render_ms:6.1f} ms")
        if not args.no_browser:
            for preheat in (False, True):
                bench_browser(url, root, args.browser_rounds, preheat)
    finally:
        dispose_engines()
        stop_embedded(root / "pgdata")
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
