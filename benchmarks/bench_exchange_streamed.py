"""Streamed export, store -> file, each run in a fresh process; optionally against a baseline tree.

    python benchmarks/bench_exchange_streamed.py [--rows 1000000] [--rounds 3]
        [--format parquet] [--baseline-src /path/to/other/checkout]

Fills a scratch database (on ``DATABASE_URL``'s server) with ``--rows`` daily bars once, then
runs ``export_dataset(store, "daily_ohlc", ...)`` (server-side reads, default chunk size) in a
fresh process per run, alternating this tree and the baseline tree round by round, and prints
each run's time and peak RSS with the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from bench_exchange import _FILL_BARS
from optionsintel.settings import get_settings
from optionsintel.store import migrate, resolve_database_url
from optionsintel.store.admin import scratch_database
from optionsintel.store.engine import get_engine

HERE = Path(__file__).resolve().parent.parent


def _run(tree: Path, url: str, fmt: str, out: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=f"{tree / 'src'}:{tree}")
    cmd = [sys.executable, str(tree / "benchmarks" / "bench_exchange.py"), "--rss-child", url,
           fmt, str(out)]  # fmt: skip
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--format", default="parquet")
    ap.add_argument("--baseline-src", type=Path, default=None)
    args = ap.parse_args()
    trees = {"this tree": HERE}
    if args.baseline_src is not None:
        trees["baseline"] = args.baseline_src.resolve()
    with (
        scratch_database(resolve_database_url(get_settings()), "oi_bench_stream") as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        engine = get_engine(url)
        migrate.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text(_FILL_BARS), {"n": args.rows})
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE daily_ohlc"))
        engine.dispose()
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for r in range(args.rounds):
            for name, tree in trees.items():
                got = _run(tree, url, args.format, Path(tmp) / f"x.{args.format}")
                assert got["rows"] == args.rows, got
                runs[name].append(got)
                print(f"round {r + 1} {name:9s} {got['s']:.2f} s, peak RSS "
                      f"{got['peak_kb'] / 1024:,.0f} MB", flush=True)  # fmt: skip
        for name, got in runs.items():
            secs = sorted(g["s"] for g in got)
            peak = sorted(g["peak_kb"] / 1024 for g in got)
            mid, peak_mid = secs[len(secs) // 2], peak[len(peak) // 2]
            print(f"{name}: {args.rows:,} rows -> {args.format}: median {mid:.2f} s "
                  f"(min {secs[0]:.2f}), peak RSS median {peak_mid:,.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
