"""Parquet, ours vs plain pandas, interleaved on the same 1M chain rows (frame -> file).

    python benchmarks/bench_exchange_parquet_pair.py [--rounds 7] [--rows 1000000]

The Parquet case of ``bench_exchange.py`` runs once, right after pandas wrote a large CSV;
this interleaves the writers round by round, so both see the same machine, and reports
medians. Cases: ours (``export_frame``, default codec), ours with ``compression="zstd"``,
plain pandas ``DataFrame.to_parquet`` (pyarrow, snappy), and where our time goes: kinds,
frame -> Arrow, and the bare pyarrow write of the converted table per codec.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from bench_exchange import chain_rows
from optionsintel.exchange import export_frame
from optionsintel.exchange.columns import infer_kinds, to_arrow


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    chain = chain_rows(args.rows)
    kinds = infer_kinds(chain)
    table = to_arrow(chain, kinds)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)

        def ours(name: str, **kw: object) -> Callable[[], object]:
            return lambda: export_frame(chain, d / name, **kw)  # type: ignore[arg-type]

        cases: dict[str, tuple[Callable[[], object], Path | None]] = {
            "ours (export_frame, default)": (ours("o.parquet"), d / "o.parquet"),
            "plain pandas to_parquet": (
                lambda: chain.to_parquet(d / "p.parquet", index=False),
                d / "p.parquet",
            ),
            "ours, compression=zstd": (ours("z.parquet", compression="zstd"), d / "z.parquet"),
            "  part: infer kinds": (lambda: infer_kinds(chain), None),
            "  part: frame -> Arrow": (lambda: to_arrow(chain, kinds), None),
        }
        for codec in ("snappy", "zstd", "lz4", "none"):
            out = d / f"w-{codec}.parquet"
            cases[f"  part: pyarrow write, {codec}"] = (
                lambda c=codec, o=out: pq.write_table(table, o, compression=c),
                out,
            )
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, (fn, _path) in cases.items():
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
        print(f"{args.rows:,} chain rows, {args.rounds} interleaved rounds")
        print("| case | median | min | max | file |\n|---|---|---|---|---|")
        for name, (_fn, path) in cases.items():
            ts = sorted(times[name])
            size = f"{os.path.getsize(path) / 1e6:.1f} MB" if path else ""
            mid = ts[len(ts) // 2]
            print(f"| {name} | {mid:.3f} s | {ts[0]:.3f} s | {ts[-1]:.3f} s | {size} |")


if __name__ == "__main__":
    main()
