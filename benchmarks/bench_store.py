"""Store benchmarks (foundation issue).

1. Write one full snapshot of NIFTY, BANKNIFTY and FINNIFTY chains (all expiries, ~10k rows)
   through ``Store.write`` (COPY + merge) vs raw binary COPY (into the partitioned table and
   into the day's partition), interleaved. Target < 60 ms (issue 21). ``--only-snapshot``
   runs this alone; the stored rows of both ways are compared (count + checksum).
   ``--phases N`` times N such writes before / during / after the server's COPY instead.
2. 1,000,000 option rows: COPY+merge vs psycopg ``executemany`` (INSERT ... ON CONFLICT) vs
   ``pandas.DataFrame.to_sql``, side by side in one run; rows/second for each.
3. Layout: the same day of 15-second snapshots in the partitioned table vs an identical
   unpartitioned table: as-of query latency and retention (DROP partition vs DELETE).

Run: ``.venv/bin/python benchmarks/bench_store.py [--rows 1000000]`` (embedded database unless
DATABASE_URL is set; it uses a scratch database and drops it afterwards).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from optionsintel.settings import get_settings
from optionsintel.store import Store, _pgbinary, bulk, migrate, resolve_database_url
from optionsintel.store.admin import scratch_database
from optionsintel.store.api import _table
from optionsintel.store.engine import get_engine, raw_connection
from optionsintel.store.partitions import partition_name

COLS = [
    "underlying",
    "snapshot_ts",
    "expiry",
    "strike",
    "option_type",
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
    "exchange_ts",
    "ingested_at",
    "provider",
]
SPECS = {"NIFTY": (25000.0, 50.0), "BANKNIFTY": (56000.0, 100.0), "FINNIFTY": (26500.0, 50.0)}


def chain_rows(snapshots: list[pd.Timestamp], n_expiries: int, n_strikes: int, seed: int = 0):
    """Random rows shaped like full chains of the three indices at each snapshot."""
    rng = np.random.default_rng(seed)
    parts = []
    for und, (spot, step) in SPECS.items():
        strikes = spot + step * (np.arange(n_strikes) - n_strikes // 2)
        expiries = pd.Timestamp("2025-07-17") + pd.to_timedelta(7 * np.arange(n_expiries), "D")
        idx = pd.MultiIndex.from_product(
            [snapshots, expiries, strikes, ["CE", "PE"]],
            names=["snapshot_ts", "expiry", "strike", "option_type"],
        )
        df = idx.to_frame(index=False)
        df.insert(0, "underlying", und)
        parts.append(df)
    df = pd.concat(parts, ignore_index=True)
    n = len(df)
    for c in ["ltp", "bid", "ask", "iv", "delta", "gamma", "theta", "vega", "underlying_price"]:
        df[c] = rng.uniform(0.05, 500, n).round(2)
    for c in ["bid_qty", "ask_qty", "volume", "oi", "oi_change"]:
        df[c] = rng.integers(0, 1_000_000, n).astype(float)
    df["exchange_ts"] = df["snapshot_ts"]
    df["ingested_at"] = pd.Timestamp.now(tz="UTC")
    df["provider"] = "synthetic"
    return df[COLS]


def _truncate(store: Store, table: str = "option_chain_snapshots") -> None:
    with store.engine.begin() as c:
        c.exec_driver_sql(f"TRUNCATE {table}")


def _raw_copy(
    store: Store,
    df: pd.DataFrame,
    payload: bytes | None = None,
    target: str = "option_chain_snapshots",
) -> None:
    """The peer: binary COPY of the frame straight into the table, one transaction.

    With ``payload`` the encoding is done beforehand (COPY alone); without, the frame is
    encoded inside the timing (what any writer of a frame must at least do). ``target``
    may name the day's partition instead of the partitioned table (no routing, and no
    statement trigger of the parent: not a way to write, a measure of the routing).
    """
    table = _table("option_chain_snapshots")
    data = payload if payload is not None else _pgbinary.encode(table, df)
    with store.engine.begin() as c, raw_connection(c).cursor() as cur:
        stmt = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT binary)").format(
            sql.Identifier(target), sql.SQL(", ").join(map(sql.Identifier, df.columns))
        )
        with cur.copy(stmt) as cp:
            cp.write(data)


def _contents(store: Store) -> tuple[int, int]:
    """(rows, order-free checksum of every stored value) of the chain table."""
    with store.engine.connect() as c:
        q = (
            "SELECT count(*), coalesce(sum(hashtext(t::text)::bigint), 0) "
            "FROM option_chain_snapshots t"
        )
        n, h = c.exec_driver_sql(q).one()
    return int(n), int(h)


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_snapshot(store: Store, rounds: int = 9) -> None:
    """One 3-index snapshot at a new instant: Store.write vs raw COPY, interleaved.

    Peers: COPY of the frame into the partitioned table with the encoding timed
    (``copy+encode``) and pre-encoded (``copy``), and pre-encoded into the day's partition
    itself (``copy->part``: what partition routing and the parent's trigger cost).
    """
    t0 = pd.Timestamp("2025-07-16 10:00:00+05:30").tz_convert("UTC")
    table = _table("option_chain_snapshots")
    part = partition_name("option_chain_snapshots", t0.tz_convert("Asia/Kolkata").date())
    times: dict[str, list[float]] = {"write": [], "copy+encode": [], "copy": [], "copy->part": []}
    store.write("option_chain_snapshots", chain_rows([t0 - pd.Timedelta(minutes=1)], 14, 120))
    for k in range(rounds):
        base = t0 + pd.Timedelta(minutes=k)  # every write is a new instant of a used day
        frames = {
            m: chain_rows([base + pd.Timedelta(seconds=10 * i)], 14, 120)
            for i, m in enumerate(times)
        }
        payloads = {m: _pgbinary.encode(table, frames[m]) for m in ("copy", "copy->part")}
        runs = {
            "write": lambda f=frames: store.write("option_chain_snapshots", f["write"]),
            "copy+encode": lambda f=frames: _raw_copy(store, f["copy+encode"]),
            "copy": lambda f=frames, p=payloads: _raw_copy(store, f["copy"], p["copy"]),
            "copy->part": lambda f=frames, p=payloads: _raw_copy(
                store, f["copy->part"], p["copy->part"], part
            ),
        }
        order = list(runs) if k % 2 else list(reversed(runs))
        for m in order:
            times[m].append(_timed(runs[m]))
    med = {m: statistics.median(v[1:]) * 1e3 for m, v in times.items()}
    print(
        f"[1] one full 3-index snapshot, {len(frames['write']):,} rows, "
        f"{rounds} rounds interleaved (first round left out):"
    )
    for m, v in med.items():
        runs_ms = ", ".join(f"{x * 1e3:.1f}" for x in times[m])
        print(
            f"    {m:<12} median {v:6.1f} ms   (Store.write / this = {med['write'] / v:.2f})"
            f"  runs: {runs_ms}"
        )
    _same_snapshot_contents(store, chain_rows([t0 + pd.Timedelta(hours=1)], 14, 120))


def bench_phases(store: Store, writes: int = 25) -> None:
    """Store.write of new snapshots split around the server's COPY (before / COPY / after).

    The COPY's own time moves by tens of ms between runs on a busy machine; the time
    before it starts (frame preparation, encoding, round trips) is ours alone.
    """
    marks: dict[str, float] = {}
    real_copy = bulk._copy

    def traced(*args, **kwargs):  # type: ignore[no-untyped-def]
        marks["start"] = time.perf_counter()
        real_copy(*args, **kwargs)
        marks["end"] = time.perf_counter()

    t0 = pd.Timestamp("2025-07-16 12:00:00+05:30").tz_convert("UTC")
    parts: dict[str, list[float]] = {"before COPY": [], "COPY": [], "after (RELEASE+COMMIT)": []}
    bulk._copy = traced
    try:
        for k in range(writes + 1):
            frame = chain_rows([t0 + pd.Timedelta(seconds=15 * k)], 14, 120)
            start = time.perf_counter()
            store.write("option_chain_snapshots", frame)
            done = time.perf_counter()
            if k:  # the first is left out (a new partition's first write)
                parts["before COPY"].append(marks["start"] - start)
                parts["COPY"].append(marks["end"] - marks["start"])
                parts["after (RELEASE+COMMIT)"].append(done - marks["end"])
    finally:
        bulk._copy = real_copy
    print(f"[1b] Store.write of {writes} new snapshots around the COPY (medians):")
    print("    " + "   ".join(f"{m} {statistics.median(v) * 1e3:.2f} ms" for m, v in parts.items()))


def _same_snapshot_contents(store: Store, frame: pd.DataFrame) -> None:
    """Store.write and the raw COPY of one snapshot store the same rows (count + checksum)."""
    contents = {}
    for m, write in {
        "Store.write": lambda: store.write("option_chain_snapshots", frame),
        "raw COPY": lambda: _raw_copy(store, frame),
    }.items():
        _truncate(store)
        write()
        contents[m] = _contents(store)
    assert len(set(contents.values())) == 1, contents
    print(f"    stored contents identical (row count + checksum): {contents['raw COPY']}")


def bench_million(store: Store, rows: int, rounds: int) -> None:
    """1M new rows: Store.write vs raw binary COPY, interleaved; then an unchanged re-run."""
    t0 = pd.Timestamp("2025-07-16 09:15:00+05:30").tz_convert("UTC")
    per = 3 * 14 * 120 * 2
    snaps = [t0 + pd.Timedelta(seconds=15 * k) for k in range(max(1, rows // per))]
    df = chain_rows(snaps, n_expiries=14, n_strikes=120).head(rows)
    payload = _pgbinary.encode(_table("option_chain_snapshots"), df)
    print(
        f"[2] {len(df):,} new option rows, {rounds} rounds interleaved (table emptied before each):"
    )
    runs = {
        "raw COPY (pre-encoded)": lambda: _raw_copy(store, df, payload),
        "raw COPY + encode": lambda: _raw_copy(store, df),
        "Store.write (new rows)": lambda: store.write("option_chain_snapshots", df),
    }
    times: dict[str, list[float]] = {m: [] for m in [*runs, "Store.write (re-run)"]}
    contents: dict[str, tuple[int, int]] = {}
    for r in range(rounds):
        for m in runs if r % 2 == 0 else list(reversed(runs)):
            _truncate(store)
            times[m].append(_timed(runs[m]))
            contents.setdefault(m, _contents(store))
            if m.startswith("Store.write"):
                again = lambda: store.write("option_chain_snapshots", df)  # noqa: E731
                times["Store.write (re-run)"].append(_timed(again))
                contents.setdefault("Store.write (re-run)", _contents(store))
    assert len(set(contents.values())) == 1, contents  # same stored rows, every method
    peer = statistics.median(times["raw COPY (pre-encoded)"])
    for m, v in times.items():
        med = statistics.median(v)
        print(
            f"    {m:<24} median {med:6.2f} s {len(df) / med:>11,.0f} rows/s  "
            f"rate vs raw COPY {peer / med:.2f}x  (runs: {', '.join(f'{x:.2f}' for x in v)})"
        )
    print("    stored contents identical (row count + checksum) for every method")


def _executemany(url: str, df: pd.DataFrame) -> None:
    cols = list(df.columns)
    stmt = sql.SQL(
        "INSERT INTO option_chain_snapshots ({}) VALUES ({}) ON CONFLICT DO NOTHING"
    ).format(
        sql.SQL(", ").join(map(sql.Identifier, cols)),
        sql.SQL(", ").join(sql.Placeholder() * len(cols)),
    )
    rows = list(df.astype(object).where(df.notna(), None).itertuples(index=False, name=None))
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as c, c.cursor() as cur:
        cur.executemany(stmt, rows)


def bench_slow_peers(store: Store, url: str, rows: int) -> None:
    t0 = pd.Timestamp("2025-07-16 09:15:00+05:30").tz_convert("UTC")
    per = 3 * 14 * 120 * 2
    snaps = [t0 + pd.Timedelta(seconds=15 * k) for k in range(max(1, rows // per))]
    df = chain_rows(snaps, n_expiries=14, n_strikes=120).head(rows)
    print(f"[2] {len(df):,} option rows, side by side:")
    # partitions exist after the first COPY; every method then sees the same table state
    for name, fn in [
        ("COPY + merge (Store.write)", lambda: store.write("option_chain_snapshots", df)),
        ("psycopg executemany", lambda: _executemany(url, df)),
        (
            "pandas.to_sql (method=None)",
            lambda: df.to_sql(
                "option_chain_snapshots",
                store.engine,
                if_exists="append",
                index=False,
                chunksize=10_000,
            ),
        ),
    ]:
        _truncate(store)
        start = time.perf_counter()
        fn()
        dt_ = time.perf_counter() - start
        assert store.count("option_chain_snapshots") == len(df)
        print(f"    {name:<30} {dt_:8.2f} s  {len(df) / dt_:>12,.0f} rows/s")


def bench_layout(store: Store) -> None:
    t0 = pd.Timestamp("2025-07-16 09:15:00+05:30").tz_convert("UTC")
    snaps = [t0 + pd.Timedelta(seconds=15 * k) for k in range(0, 1500, 4)]  # 1-minute grid, one day
    df = chain_rows(snaps, n_expiries=4, n_strikes=60)
    _truncate(store)
    store.write("option_chain_snapshots", df)
    with store.engine.begin() as c:
        c.exec_driver_sql("DROP TABLE IF EXISTS flat_chain")
        c.exec_driver_sql("CREATE TABLE flat_chain (LIKE option_chain_snapshots INCLUDING ALL)")
        c.exec_driver_sql("INSERT INTO flat_chain SELECT * FROM option_chain_snapshots")
        c.exec_driver_sql("ANALYZE flat_chain; ANALYZE option_chain_snapshots")
    q = (
        "SELECT DISTINCT ON (expiry, strike, option_type) * FROM {t} WHERE underlying='NIFTY' "
        "AND provider='synthetic' AND snapshot_ts <= '2025-07-16 11:03:15+05:30' AND "
        "snapshot_ts > '2025-07-15 11:03:15+05:30' "
        "ORDER BY expiry, strike, option_type, snapshot_ts DESC"
    )
    print(f"[3] layout, {len(df):,} rows (one day, 1-minute snapshots):")
    for t in ("option_chain_snapshots", "flat_chain"):
        times = []
        with store.engine.connect() as c:
            for _ in range(15):
                s = time.perf_counter()
                c.exec_driver_sql(q.format(t=t)).fetchall()
                times.append(time.perf_counter() - s)
        print(f"    as-of query on {t:<24} median {statistics.median(times) * 1e3:7.2f} ms")
    times = []
    for _ in range(15):
        s = time.perf_counter()
        store.chain_as_of("NIFTY", "2025-07-16 11:03:15", provider="synthetic")
        times.append(time.perf_counter() - s)
    print(
        f"    Store.chain_as_of (latest instant + 30-min staleness window) "
        f"median {statistics.median(times) * 1e3:7.2f} ms"
    )
    with store.engine.begin() as c:
        s = time.perf_counter()
        c.exec_driver_sql("DELETE FROM flat_chain WHERE snapshot_ts < '2025-07-17 00:00+05:30'")
        d_delete = time.perf_counter() - s
    with store.engine.begin() as c:
        from optionsintel.store.partitions import drop_partitions_before

        s = time.perf_counter()
        drop_partitions_before(c, "option_chain_snapshots", pd.Timestamp("2025-07-17").date())
        d_drop = time.perf_counter() - s
    print(
        f"    retention of one day: DELETE {d_delete * 1e3:.1f} ms (+ VACUUM later) vs "
        f"DROP partition {d_drop * 1e3:.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--slow-peers", action="store_true", help="also executemany and to_sql")
    ap.add_argument("--skip-layout", action="store_true")
    ap.add_argument("--snapshot-rounds", type=int, default=9)
    ap.add_argument(
        "--only-snapshot", action="store_true", help="only [1], the 10,080-row snapshot write"
    )
    ap.add_argument(
        "--phases", type=int, default=0, metavar="N",
        help="only [1b]: N snapshot writes timed before / during / after the COPY",
    )  # fmt: skip
    args = ap.parse_args()
    with scratch_database(resolve_database_url(get_settings()), "oi_bench") as url:
        engine = get_engine(url)
        migrate.upgrade(engine)
        store = Store(engine)
        if args.phases:
            bench_phases(store, args.phases)
            return
        bench_snapshot(store, args.snapshot_rounds)
        if args.only_snapshot:
            return
        bench_million(store, args.rows, args.rounds)
        if args.slow_peers:
            bench_slow_peers(store, url, args.rows)
        if not args.skip_layout:
            bench_layout(store)


if __name__ == "__main__":
    main()
