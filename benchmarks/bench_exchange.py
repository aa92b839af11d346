"""Export/import speed, side by side with plain pandas in one run.

    python benchmarks/bench_exchange.py [--rows 1000000] [--xlsx-rows 100000] [--bars 1000000]

Cases: 1,000,000 option-chain rows to CSV, Parquet and JSON Lines (ours vs
``DataFrame.to_csv``/``to_parquet``/``to_json``); 100,000 rows to .xlsx (ours vs
``DataFrame.to_excel``); 10,000 records in every format; import + validate of 1,000,000
daily bars and their commit into PostgreSQL (a scratch database on ``DATABASE_URL``'s server
or the embedded one), then the streamed export of them back out.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from optionsintel.exchange import export_frame
from optionsintel.services.exports import export_dataset
from optionsintel.services.imports import commit_import, plan_import
from optionsintel.settings import get_settings
from optionsintel.store import Store, migrate, resolve_database_url
from optionsintel.store.admin import scratch_database
from optionsintel.store.engine import get_engine

# 1,000 symbols a day; every value derived from the row number (no Python per row).
_FILL_BARS = """
INSERT INTO daily_ohlc (symbol, trade_date, open, high, low, close, volume, oi, provider)
SELECT 'SYM' || lpad((g % 1000)::text, 4, '0'), date '2000-01-03' + (g / 1000)::int,
       100 + (g % 997) * 0.25, 101 + (g % 997) * 0.25, 99 + (g % 997) * 0.25,
       100.5 + (g % 997) * 0.25, (g % 10007) * 100.0, NULL, 'rss'
FROM generate_series(0, :n - 1) AS g
"""

_NUMERIC = (
    "ltp",
    "bid",
    "ask",
    "bid_qty",
    "ask_qty",
    "volume",
    "oi",
    "oi_change",
    "iv",
    "delta",
    "gamma",
    "theta",
    "vega",
    "underlying_price",
)


def chain_rows(n: int) -> pd.DataFrame:
    """``n`` chain rows shaped like stored snapshots (2 x 120 strikes per 15-second instant)."""
    rng = np.random.default_rng(1)
    i = np.arange(n)
    frame = pd.DataFrame(
        {
            "underlying": "NIFTY",
            "snapshot_ts": pd.Timestamp("2025-07-16 03:45", tz="UTC")
            + pd.to_timedelta(i // 240 * 15, unit="s"),
            "expiry": pd.Timestamp("2025-07-31"),
            "strike": 22000.0 + 50.0 * (i % 120),
            "option_type": np.where(i % 240 < 120, "CE", "PE"),
        }
    )
    for col in _NUMERIC:
        frame[col] = np.round(rng.random(n) * 500, 2)
    frame["exchange_ts"] = frame["snapshot_ts"]
    frame["provider"] = "synthetic"
    return frame


def daily_bar_rows(n: int) -> pd.DataFrame:
    """``n`` daily bars: 1,000 symbols over ``n / 1000`` days."""
    rng = np.random.default_rng(2)
    i = np.arange(n)
    close = np.round(100 + rng.random(n) * 900, 2)
    return pd.DataFrame(
        {
            "symbol": [f"SYM{k:04d}" for k in i % 1000],
            "trade_date": pd.Timestamp("2000-01-03") + pd.to_timedelta(i // 1000, unit="D"),
            "open": close,
            "high": close + 1.5,
            "low": close - 1.5,
            "close": close,
            "volume": rng.integers(0, 10**7, n).astype(float),
            "oi": np.nan,
        }
    )


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def row(case: str, ours: float, pandas_s: float | None = None, target: str = "") -> None:
    base = f"{pandas_s:8.2f} s  ({pandas_s / ours:4.1f}x)" if pandas_s else " " * 19
    print(f"| {case:<44} | {ours:7.2f} s | {base} | {target} |", flush=True)


def bench_exports(tmp: Path, n: int, xlsx_rows: int) -> None:
    chain = chain_rows(n)
    print(f"\n{n:,} chain rows ({chain.shape[1]} columns)")
    row(
        "CSV",
        timed(lambda: export_frame(chain, tmp / "c.csv")),
        timed(lambda: chain.to_csv(tmp / "p.csv", index=False)),
        "<= 3 s",
    )
    row(
        "Parquet",
        timed(lambda: export_frame(chain, tmp / "c.parquet")),
        timed(lambda: chain.to_parquet(tmp / "p.parquet", index=False)),
        "<= 0.6 s",
    )
    row(
        "JSON Lines",
        timed(lambda: export_frame(chain, tmp / "c.jsonl")),
        timed(
            lambda: chain.to_json(tmp / "p.jsonl", orient="records", lines=True, date_format="iso")
        ),
    )
    row("CSV + gzip", timed(lambda: export_frame(chain, tmp / "c.csv.gz")))
    part = chain.iloc[:xlsx_rows]
    naive = part.assign(
        snapshot_ts=part["snapshot_ts"].dt.tz_localize(None),
        exchange_ts=part["exchange_ts"].dt.tz_localize(None),
    )
    row(
        f"{xlsx_rows:,} rows to .xlsx",
        timed(lambda: export_frame(part, tmp / "c.xlsx")),
        timed(lambda: naive.to_excel(tmp / "p.xlsx", index=False)),
        "<= 12 s",
    )
    small = chain.iloc[:10_000]
    for fmt in ("csv", "json", "jsonl", "xlsx", "parquet"):
        row(
            f"10,000 records to {fmt}",
            timed(lambda f=fmt: export_frame(small, tmp / f"s.{f}")),
            None,
            "< 1 s",
        )


def bench_import(tmp: Path, n: int) -> None:
    bars = daily_bar_rows(n)
    path = tmp / "bars.csv"
    export_frame(bars, path)
    print(f"\nimport of {n:,} daily bars from CSV ({path.stat().st_size / 1e6:.0f} MB)")
    with scratch_database(resolve_database_url(get_settings()), "oi_bench") as url:
        engine = get_engine(url)
        migrate.upgrade(engine)
        store = Store(engine)
        plans = []
        t_plan = timed(
            lambda: plans.append(plan_import(store, path, "daily_bars", provider="bench"))
        )
        assert plans[0].report.ok, plans[0].report.summary()
        row("read + map + validate (dry run)", t_plan)
        t_commit = timed(lambda: commit_import(store, plans[0]))
        row(f"commit ({n / t_commit:,.0f} rows/s into the store)", t_commit)
        row(f"total ({n / (t_plan + t_commit):,.0f} rows/s)", t_plan + t_commit)
        again = timed(
            lambda: commit_import(store, plan_import(store, path, "daily_bars", provider="bench"))
        )
        row("re-import of the same file (changes nothing)", again)
        row(
            "streamed export of them to Parquet",
            timed(
                lambda: export_dataset(store, "daily_ohlc", tmp / "out.parquet", provider="bench")
            ),
        )
        row(
            "streamed export of them to CSV",
            timed(lambda: export_dataset(store, "daily_ohlc", tmp / "out.csv", provider="bench")),
        )


def rss_child(url: str, fmt: str, out: str) -> None:
    """Run in a fresh process: one streamed export; print its time and peak RSS as JSON."""
    store = Store(get_engine(url))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    prov = export_dataset(store, "daily_ohlc", out, fmt, provider="rss")  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": prov.row_count, "s": seconds, "before_kb": before, "peak_kb": peak}))


def bench_streamed_rss(tmp: Path, sizes: list[int], fmt: str) -> None:
    """Peak RSS of a streamed store -> file export, each in a fresh process, by row count."""
    print(f"\nstreamed export of stored daily bars (server-side cursor) to {fmt}: peak RSS")
    import sqlalchemy as sa

    with scratch_database(resolve_database_url(get_settings()), "oi_bench_rss") as url:
        engine = get_engine(url)
        migrate.upgrade(engine)
        done = 0
        for n in sorted(sizes):
            with engine.begin() as conn:  # top up to n rows (same rows as a fresh fill)
                conn.execute(
                    sa.text(_FILL_BARS.replace("generate_series(0", f"generate_series({done}")),
                    {"n": n},
                )
            done = n
            with engine.begin() as conn:
                conn.execute(sa.text("ANALYZE daily_ohlc"))
            cmd = [sys.executable, __file__, "--rss-child", url, fmt, str(tmp / f"rss.{fmt}")]
            got = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            assert got["rows"] == n, got
            row(f"{n:,} rows: peak RSS {got['peak_kb'] / 1024:,.0f} MB "
                f"(process before export {got['before_kb'] / 1024:,.0f} MB)", got["s"])  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--xlsx-rows", type=int, default=100_000)
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--only", choices=["export", "import", "rss"], default=None)
    ap.add_argument("--rss-rows", default="1000000,5000000", help="row counts, comma-separated")
    ap.add_argument("--rss-format", default="parquet")
    ap.add_argument(
        "--rss-child", nargs=3, metavar=("URL", "FORMAT", "OUT"), help=argparse.SUPPRESS
    )
    args = ap.parse_args()
    if args.rss_child:
        rss_child(*args.rss_child)
        return
    print("| case | optionsintel | plain pandas | target |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "export"):
            bench_exports(Path(tmp), args.rows, args.xlsx_rows)
        if args.only in (None, "import"):
            bench_import(Path(tmp), args.bars)
        if args.only in (None, "rss"):
            sizes = [int(n) for n in args.rss_rows.split(",")]
            bench_streamed_rss(Path(tmp), sizes, args.rss_format)


if __name__ == "__main__":
    main()
