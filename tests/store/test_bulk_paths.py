"""The fast paths of ``copy_merge`` store exactly what the staged merge stores.

``copy_merge`` COPYs straight into the table when no stored row can share a key (a new
snapshot, a backfill into an empty day) and stops after one comparison join when a re-run
changes nothing; ``direct=False`` forces the staged ``INSERT ... ON CONFLICT`` + ``UPDATE``
merge. Both must leave the same rows and report the same counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from psycopg import sql

from optionsintel.store import Store, bulk
from optionsintel.store.api import _table

TABLE = "option_chain_snapshots"


def _chain(n_ts: int, t0: str = "2025-07-16 09:15:00+05:30", seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(t0).tz_convert("UTC")
    idx = pd.MultiIndex.from_product(
        [
            ["NIFTY", "BANKNIFTY"],
            [start + pd.Timedelta(seconds=15 * k) for k in range(n_ts)],
            [25000.0, 25050.0, 25100.0],
            ["CE", "PE"],
        ],
        names=["underlying", "snapshot_ts", "strike", "option_type"],
    )
    df = idx.to_frame(index=False)
    n = len(df)
    df["expiry"] = pd.Timestamp("2025-07-17")
    df["ltp"] = rng.uniform(0.05, 500, n).round(2)
    df["oi"] = np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 9_000, n).astype(float))
    df["iv"] = np.where(rng.random(n) < 0.2, np.nan, rng.uniform(8, 30, n))
    df["provider"] = "replay"
    df["ingested_at"] = pd.Timestamp("2025-07-16 09:16:00+05:30").tz_convert("UTC")
    return df


def _write(store: Store, frame: pd.DataFrame, direct: bool) -> tuple[int, int, int]:
    with store.engine.begin() as conn:
        r = bulk.copy_merge(conn, _table(TABLE), frame, direct=direct)
    return r.rows, r.inserted, r.updated


def _stored(store: Store) -> pd.DataFrame:
    return store.read(TABLE, order_by=["underlying", "snapshot_ts", "strike", "option_type"])


def _history(store: Store, direct: bool) -> tuple[list[tuple[int, int, int]], pd.DataFrame]:
    """A day written as new snapshots, re-run, partly changed and partly nulled."""
    first, second = _chain(4), _chain(3, t0="2025-07-16 09:16:00+05:30", seed=1)
    changed = first.copy()
    changed.loc[[0, 7], "ltp"] = 1.23
    changed.loc[[3, 9], "iv"] = np.nan  # a partial answer: the stored iv is kept
    grown = pd.concat([changed, _chain(1, t0="2025-07-16 09:30:00+05:30", seed=2)])
    counts = [_write(store, f, direct) for f in (first, second, first, changed, grown)]
    return counts, _stored(store)


def test_fast_paths_store_what_the_staged_merge_stores(
    clean_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct_copies: list[int] = []
    real = bulk._copy_direct
    monkeypatch.setattr(bulk, "_copy_direct", lambda *a: direct_copies.append(1) or real(*a))
    fast_counts, fast_rows = _history(clean_store, direct=True)
    assert len(direct_copies) == 2  # the two new snapshots; not the re-runs
    with clean_store.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {TABLE}")
    slow_counts, slow_rows = _history(clean_store, direct=False)
    assert len(direct_copies) == 2
    assert fast_counts == slow_counts
    pd.testing.assert_frame_equal(fast_rows, slow_rows)
    assert fast_counts[2] == (48, 0, 0)  # the unchanged re-run writes nothing


def test_direct_copy_falls_back_when_a_key_appears_meanwhile(
    clean_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent writer may store the keys between the probe and the COPY."""
    df = _chain(2)
    clean_store.write(TABLE, df.iloc[:5])
    real = bulk._exists_query  # the stale answer: the probe runs, says nothing is there
    stale = lambda t, near: sql.SQL("SELECT false FROM ({}) AS probe").format(real(t, near))  # noqa: E731
    monkeypatch.setattr(bulk, "_exists_query", stale)
    rows, inserted, updated = _write(clean_store, df, direct=True)
    assert (rows, inserted, updated) == (len(df), len(df) - 5, 0)
    assert clean_store.count(TABLE) == len(df)
