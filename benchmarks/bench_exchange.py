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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--xlsx-rows", type=int, default=100_000)
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--only", choices=["export", "import"], default=None)
    args = ap.parse_args()
    print("| case | optionsintel | plain pandas | target |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "import":
            bench_exports(Path(tmp), args.rows, args.xlsx_rows)
        if args.only != "export":
            bench_import(Path(tmp), args.bars)


if __name__ == "__main__":
    main()
