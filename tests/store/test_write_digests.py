"""Issue 21: write digests make an unchanged re-run cheap and never skip a change.

The same sequences of writes (new frames, unchanged re-runs, one changed value, a
partial answer with NULLs, a new ``ingested_at``) and of changes made behind the
store's back (an SQL UPDATE, a DELETE) are applied once with digests on (every frame
large enough) and once through the staged merge alone (``direct=False``): the stored
tables and the reported counts must be identical. Also: the pieces COPY is fed while
encoding overlaps are the one-piece encoding, byte for byte.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optionsintel.store import Store, _pgbinary, bulk
from optionsintel.store.api import _table

TABLE = "option_chain_snapshots"
ORDER = ["underlying", "snapshot_ts", "strike", "option_type"]


def _chain(n_ts: int, t0: str = "2025-07-16 09:15:00+05:30", seed: int = 0) -> pd.DataFrame:
    """Two underlyings x ``n_ts`` snapshots x 3 strikes x CE/PE, with NULLs (as test_bulk_paths)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(t0).tz_convert("UTC")
    idx = pd.MultiIndex.from_product(
        [
            ["NIFTY", "BANKNIFTY"],
            [start + pd.Timedelta(seconds=15 * k) for k in range(n_ts)],
            [25000.0, 25050.0, 25100.0],
            ["CE", "PE"],
        ],
        names=ORDER,
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


def _stored(store: Store) -> pd.DataFrame:
    return store.read(TABLE, order_by=ORDER)


def _reset(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {TABLE}, write_digests")


def _apply(store: Store, op: str, direct: bool) -> tuple[int, int, int] | None:
    base = _chain(3)
    frames = {
        "write": base,
        "write_changed": base.assign(ltp=np.where(base.index == 5, 999.5, base["ltp"])),
        "write_partial": base.assign(oi=np.nan),  # NULL never overwrites a stored oi
        "write_new_ingested": base.assign(ingested_at=pd.Timestamp("2025-07-20", tz="UTC")),
        "write_other_day": _chain(2, t0="2025-07-17 09:15:00+05:30", seed=3),
    }
    if op in frames:
        with store.engine.begin() as conn:
            r = bulk.copy_merge(conn, _table(TABLE), frames[op], direct=direct)
        return r.rows, r.inserted, r.updated
    sql = {
        "sql_update": f"UPDATE {TABLE} SET ltp = ltp + 1 WHERE strike = 25050 "
        "AND option_type = 'CE'",
        "sql_delete": f"DELETE FROM {TABLE} WHERE strike = 25100 AND option_type = 'PE'",
        "sql_same_value": f"UPDATE {TABLE} SET ltp = ltp WHERE strike = 25000",
    }[op]
    with store.engine.begin() as conn:
        conn.exec_driver_sql(sql)
    return None


OPS = st.lists(
    st.sampled_from(
        [
            "write",
            "write",
            "write_changed",
            "write_partial",
            "write_new_ingested",
            "write_other_day",
            "sql_update",
            "sql_delete",
            "sql_same_value",
        ]
    ),
    min_size=1,
    max_size=7,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(OPS)
def test_digests_store_what_the_staged_merge_stores(
    clean_store: Store, monkeypatch: pytest.MonkeyPatch, ops: list[str]
) -> None:
    monkeypatch.setattr(bulk, "DIGEST_MIN_ROWS", 1)  # every frame gets a digest
    _reset(clean_store)
    fast = [_apply(clean_store, op, direct=True) for op in ["write", *ops]]
    fast_rows = _stored(clean_store)
    _reset(clean_store)
    slow = [_apply(clean_store, op, direct=False) for op in ["write", *ops]]
    assert fast == slow
    pd.testing.assert_frame_equal(fast_rows, _stored(clean_store))


def test_unchanged_rerun_uses_the_digest_and_a_change_is_still_written(
    clean_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "DIGEST_MIN_ROWS", 1)
    staged: list[int] = []
    real = bulk._stage_payload
    monkeypatch.setattr(bulk, "_stage_payload", lambda *a: staged.append(1) or real(*a))
    n = len(_chain(3))
    assert _apply(clean_store, "write", True) == (n, n, 0)  # direct COPY, digest recorded
    assert _apply(clean_store, "write", True) == (n, 0, 0)
    assert _apply(clean_store, "write_new_ingested", True) == (n, 0, 0)  # not compared
    assert staged == []  # neither re-run staged a row
    before = _stored(clean_store)
    _apply(clean_store, "sql_update", True)  # a change behind the store's back
    assert _apply(clean_store, "write", True) == (n, 0, 6)  # digest refused: merged, restored
    assert staged == [1]
    pd.testing.assert_frame_equal(_stored(clean_store), before)
    assert _apply(clean_store, "write_changed", True) == (n, 0, 1)  # one value differs


def test_digest_ignored_when_the_range_holds_other_rows(
    clean_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "DIGEST_MIN_ROWS", 1)
    df = _chain(3)
    _apply(clean_store, "write", True)
    extra = _chain(1, t0="2025-07-16 09:15:15+05:30", seed=9)
    extra["strike"] += 1000.0
    clean_store.write(TABLE, extra)  # a new key inside the frame's time range
    assert _apply(clean_store, "write", True) == (len(df), 0, 0)  # merged: nothing differs
    assert clean_store.count(TABLE) == len(df) + len(extra)


def test_pieces_equal_the_one_piece_encoding() -> None:
    df = _chain(5)
    fin = df[df["underlying"] == "NIFTY"].assign(underlying="FINNIFTY")
    df = pd.concat([df, fin], ignore_index=True)  # three text lengths: three layouts
    table = _table(TABLE)
    prepared = bulk.prepare_frame(table, df)
    whole = _pgbinary.encode(table, prepared, conformed=True)
    enc = _pgbinary.Encoded(table, prepared)
    for chunk in (1, 7, 50, 10_000):
        assert b"".join(bytes(p) for p in enc.parts(chunk_rows=chunk)) == whole
    nifty = prepared[prepared["underlying"] == "NIFTY"].drop(columns=["oi", "iv"])
    one = _pgbinary.Encoded(table, nifty)
    assert len(one.groups) == 1  # one layout: the pieces are slices, no gather
    assert b"".join(bytes(p) for p in one.parts(chunk_rows=4)) == _pgbinary.encode(
        table, nifty, conformed=True
    )


def test_digest_covers_values_not_bookkeeping() -> None:
    table, df = _table(TABLE), _chain(2)
    d = lambda f: bulk._Payload(table, bulk.prepare_frame(table, f)).digest()  # noqa: E731
    assert d(df) == d(df.copy())
    assert d(df) == d(df.assign(ingested_at=pd.Timestamp("2030-01-01", tz="UTC")))
    changed = df.copy()
    changed.loc[3, "ltp"] += 0.01
    assert d(changed) != d(df)
    nulled = df.copy()
    nulled.loc[0, "oi"] = np.nan
    assert d(nulled) != d(df.assign(oi=df["oi"].fillna(0.0)))
    assert d(df.drop(columns="iv")) != d(df)
