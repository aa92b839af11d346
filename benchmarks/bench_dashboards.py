"""Dashboards: time to first full render of the market monitor, and a live refresh.

Runs against a throw-away embedded PostgreSQL seeded through the Dagster asset graph by
the command ``optionsintel demo`` runs (``python -m dagster_project.materialise``, in a
child process, so the measuring process never imports Dagster, like a Voila kernel) with
one synthetic NIFTY day (5-minute snapshots, 11 expiries, ~2,100 contracts per snapshot)
and the two recorded real NIFTY days. Server-side times only (Python, queries and widget
state), medians.

    .venv/bin/python benchmarks/bench_dashboards.py
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

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


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="oi_bench_ui_"))
    try:
        url = embedded_url(root / "pgdata", database="bench_ui")
        migrate.upgrade(get_engine(url))
        store = Store(get_engine(url))
        _seed(url, root)
        start = time.perf_counter()
        app = build_market_monitor(store, autostart=False)
        cold = (time.perf_counter() - start) * 1e3
        print(f"first full render, cold process (imports, JIT): {cold:8.1f} ms")
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
    finally:
        dispose_engines()
        stop_embedded(root / "pgdata")
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
