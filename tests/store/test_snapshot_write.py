"""The snapshot write's shortcuts (issue 21) give what the longer ways gave.

* A key repeated in the frame is refused by the direct COPY's primary key instead of a
  ``duplicated()`` pass beforehand: the same :class:`FrameValidationError`, nothing
  stored, the transaction still usable; the staged path still checks first.
* ``conform`` takes values that are already UTC instants or naive IST days as they are:
  the same frame as the generic conversion, the same refusals.
* A snapshot written by the direct COPY stores what the staged merge stores and still
  announces itself (migration 0014's NOTIFY trigger); kept from a tried COPY into the
  day's partition, which measured no faster inside ``Store.write`` (RESULTS.md).
* The COPY encoder's NumPy layout grouping gives the groups (order, rows) that
  ``DataFrame.groupby(sort=False)`` gave, and its float NULL masks equal ``isna()``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
import pytest
from psycopg import sql

from optionsintel.errors import FrameValidationError
from optionsintel.store import Store, _coerce, _pgbinary, bulk
from optionsintel.store.api import _table
from optionsintel.store.engine import raw_connection
from optionsintel.store.notify import CHAINS_CHANNEL, Listener
from optionsintel.store.partitions import list_partitions, partition_day
from optionsintel.tz import EXCHANGE_TZ

TABLE = "option_chain_snapshots"


def _chain(t0: str = "2025-07-16 09:15:00+05:30", underlyings=("NIFTY", "BANKNIFTY")):
    start = pd.Timestamp(t0).tz_convert("UTC")
    idx = pd.MultiIndex.from_product(
        [list(underlyings), [start], [25000.0, 25050.0], ["CE", "PE"]],
        names=["underlying", "snapshot_ts", "strike", "option_type"],
    )
    df = idx.to_frame(index=False)
    df["expiry"] = pd.Timestamp("2025-07-17")
    df["ltp"] = np.arange(len(df), dtype=float) + 0.5
    df["provider"] = "replay"
    return df


def test_a_repeated_key_in_a_new_snapshot_is_refused_and_nothing_is_stored(
    clean_store: Store,
) -> None:
    frame = _chain()
    dup = pd.concat([frame, frame.iloc[[3]].assign(ltp=9.0)], ignore_index=True)
    with pytest.raises(FrameValidationError, match="1 rows repeat a natural key"):
        clean_store.write(TABLE, dup)  # a new instant: the direct COPY path
    assert clean_store.count(TABLE) == 0


def test_a_refused_repeat_leaves_the_transaction_usable(clean_store: Store) -> None:
    good = _chain()
    later = _chain("2025-07-16 09:15:15+05:30")
    dup = pd.concat([later, later.iloc[[0]]], ignore_index=True)
    with clean_store.transaction() as tx:
        tx.write(TABLE, good)
        with pytest.raises(FrameValidationError, match="repeat a natural key"):
            tx.write(TABLE, dup)
        tx.write(TABLE, later)
    assert clean_store.count(TABLE) == len(good) + len(later)


def test_any_error_while_encoding_leaves_no_savepoint_open(
    clean_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = _chain()
    later = _chain("2025-07-16 09:15:15+05:30")

    def broken(*args: object) -> None:
        raise OverflowError("a cast the encoder did not expect")

    with clean_store.transaction() as tx:
        tx.write(TABLE, good)
        with monkeypatch.context() as m:
            m.setattr(bulk, "_Payload", broken)
            with pytest.raises(OverflowError):
                tx.write(TABLE, later)
        raw = raw_connection(tx.conn)
        raw.execute("SAVEPOINT t_probe")
        with pytest.raises(psycopg.errors.InvalidSavepointSpecification):
            raw.execute("RELEASE SAVEPOINT _oi_direct_copy")  # none was left open
        raw.execute("ROLLBACK TO SAVEPOINT t_probe")
        tx.write(TABLE, later)  # the transaction goes on
    assert clean_store.count(TABLE) == len(good) + len(later)


def test_a_repeated_key_is_refused_on_the_staged_path_too(clean_store: Store) -> None:
    frame = _chain()
    clean_store.write(TABLE, frame)  # the probe now finds rows: the staged merge
    dup = pd.concat([frame, frame.iloc[[0]].assign(ltp=7.0)], ignore_index=True)
    with pytest.raises(FrameValidationError, match="repeat a natural key"):
        clean_store.write(TABLE, dup)
    stored = clean_store.read(TABLE, order_by=["underlying", "strike", "option_type"])
    assert sorted(stored["ltp"]) == sorted(frame["ltp"])  # unchanged


# -- conform's fast paths ------------------------------------------------------------------


def _generic_instants(values: pd.Series) -> pd.Series:
    return values.dt.tz_convert("UTC")


def _generic_days(values: pd.Series) -> pd.Series:
    """The generic path for naive days: localise to IST, check in UTC, back to IST."""
    ts = values.dt.tz_localize(EXCHANGE_TZ).dt.tz_convert("UTC")
    return ts.dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None).dt.normalize()


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_conform_keeps_utc_instants_and_naive_days_as_the_generic_path_gives_them(
    unit: str,
) -> None:
    rng = np.random.default_rng(3)
    base = pd.Timestamp("2025-07-16 09:15", tz="UTC")
    instants = base + pd.to_timedelta(rng.integers(-(10**6), 10**6, 200), unit="s")
    frame = pd.DataFrame(
        {
            "underlying": "NIFTY",
            "snapshot_ts": pd.Series(instants).astype(f"datetime64[{unit}, UTC]"),
            "expiry": pd.Series(instants.tz_localize(None)).astype(f"datetime64[{unit}]"),
            "exchange_ts": pd.Series(instants).astype(f"datetime64[{unit}, UTC]"),
        }
    )
    frame.loc[[5, 17], ["exchange_ts", "expiry"]] = pd.NaT
    got = _coerce.conform(_table(TABLE), frame)
    want = frame.assign(
        snapshot_ts=_generic_instants(frame["snapshot_ts"]),
        exchange_ts=_generic_instants(frame["exchange_ts"]),
        expiry=_generic_days(frame["expiry"]),
    )
    pd.testing.assert_frame_equal(got, want)
    assert list(got.dtypes) == list(want.dtypes)


@pytest.mark.parametrize(
    "day", ["1901-01-01", "1944-06-01 23:00", "2150-01-01", "1969-12-31 20:00"]
)
def test_conform_refuses_naive_days_outside_the_horizon_as_before(day: str) -> None:
    frame = _chain().head(2)
    frame["expiry"] = pd.Series([pd.Timestamp("2025-07-17"), pd.Timestamp(day)])
    with pytest.raises(FrameValidationError, match=r"'expiry' holds instants outside .* \[1\]"):
        _coerce.conform(_table(TABLE), frame)


def test_conform_still_converts_other_time_zones_and_aware_days() -> None:
    frame = _chain().head(2)
    frame["snapshot_ts"] = frame["snapshot_ts"].dt.tz_convert(EXCHANGE_TZ)
    frame["expiry"] = pd.Timestamp("2025-07-17 00:00", tz=EXCHANGE_TZ)
    got = _coerce.conform(_table(TABLE), frame)
    assert str(got["snapshot_ts"].dt.tz) == "UTC"
    assert (got["expiry"] == pd.Timestamp("2025-07-17")).all()


# -- the encoder's layout grouping ----------------------------------------------------------


def _groupby_reference(signature: list[np.ndarray], n_rows: int):
    if not signature:
        return [()], [np.arange(n_rows)]
    frame = pd.DataFrame({f"s{i}": v for i, v in enumerate(signature)})
    groups = frame.groupby(list(frame.columns), sort=False).indices
    keys = [k if isinstance(k, tuple) else (k,) for k in groups]
    return [tuple(int(x) for x in k) for k in keys], list(groups.values())


@pytest.mark.parametrize("seed", range(12))
def test_layout_groups_are_those_groupby_gave(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    signature = []
    for _ in range(int(rng.integers(0, 4))):
        if rng.random() < 0.5:
            signature.append(rng.random(n) < rng.random())  # a NULL mask
        else:
            signature.append(rng.choice([0, 3, 5, 9, 40], n))  # text lengths
    keys, rows = _pgbinary._group_rows(signature, n, max_groups=n + 1)
    want_keys, want_rows = _groupby_reference(signature, n)
    assert keys == want_keys
    assert [r.tolist() for r in rows] == [r.tolist() for r in want_rows]


def test_float_null_masks_are_isna() -> None:
    values = pd.Series([1.5, np.nan, -0.0, np.inf, None], dtype="float64")
    isnull, encoded, _ = _pgbinary._encode_column(_table(TABLE).c["ltp"], values)
    assert isnull.tolist() == values.isna().tolist()
    assert encoded.dtype == np.dtype(">f8")


def _generic_us(values: pd.Series) -> np.ndarray:  # the encoder's conversion before the shortcut
    ts = pd.to_datetime(values, utc=True)
    return ts.astype("datetime64[us, UTC]").to_numpy(dtype="datetime64[us]").astype("int64")


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("tz", [None, "UTC", "Asia/Kolkata"])
def test_instants_encode_as_the_generic_conversion_gave(unit: str, tz: str | None) -> None:
    """Aware microsecond instants are taken as stored; every other dtype converts as before."""
    naive = pd.Series(
        pd.to_datetime(["2025-07-16 09:15:00.123456", None, "1999-12-31 23:59:59.999999"])
    ).astype(f"datetime64[{unit}]")
    values = naive if tz is None else naive.dt.tz_localize(tz)
    col = _table(TABLE).c["snapshot_ts"]
    isnull, encoded, _ = _pgbinary._encode_column(col, values)
    want = (_generic_us(values) - _pgbinary._PG_EPOCH_US).astype(">i8")
    assert isnull.tolist() == [False, True, False]
    assert encoded.tolist() == want.tolist()  # NULL's unused slot too: the digests stay equal


@pytest.mark.parametrize("unit", ["s", "us", "ns"])
def test_days_encode_as_the_generic_conversion_gave(unit: str) -> None:
    values = pd.Series(pd.to_datetime(["2025-07-17", None, "1969-12-31"])).astype(
        f"datetime64[{unit}]"
    )
    _, encoded, _ = _pgbinary._encode_column(_table(TABLE).c["expiry"], values)
    generic = pd.to_datetime(values).to_numpy(dtype="datetime64[D]").astype("int64")
    assert encoded.tolist() == (generic - _pgbinary._PG_EPOCH_DAYS).astype(">i4").tolist()


def test_too_many_layouts_are_refused_by_the_grouping() -> None:
    lengths = np.arange(10)
    with pytest.raises(_pgbinary.TooManyLayoutsError, match="10 row layouts"):
        _pgbinary._group_rows([lengths], 10, max_groups=9)


# -- the direct COPY -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(_chain(), id="one day"),
        pytest.param(
            pd.concat([_chain(), _chain("2025-07-17 09:15:00+05:30")], ignore_index=True),
            id="two days",
        ),
    ],
)
def test_a_direct_copy_stores_the_rows_and_announces_them(
    clean_store: Store, frame: pd.DataFrame
) -> None:
    with Listener(clean_store, CHAINS_CHANNEL) as listener:
        assert clean_store.write(TABLE, frame).inserted == len(frame)
        assert listener.wait(5.0) >= 1  # migration 0014's statement trigger, as before
    stored = clean_store.read(
        TABLE, order_by=["snapshot_ts", "underlying", "strike", "option_type"]
    )
    want = frame.sort_values(
        ["snapshot_ts", "underlying", "strike", "option_type"], ignore_index=True
    )
    assert stored["ltp"].tolist() == want["ltp"].tolist()
    with clean_store.engine.connect() as conn:
        for name in list_partitions(conn, TABLE):
            day = partition_day(name)
            in_day = (want["snapshot_ts"].dt.tz_convert(EXCHANGE_TZ).dt.date == day).sum()
            stmt = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))
            assert raw_connection(conn).execute(stmt).fetchone()[0] == in_day


def test_a_snapshot_copied_directly_stores_what_the_staged_merge_stores(
    clean_store: Store,
) -> None:
    ingested = pd.Timestamp("2025-07-16 09:16", tz="UTC")  # else now(): differs per write
    frame = _chain().assign(oi=[np.nan, 5.0] * 4, ingested_at=ingested)
    stored = []
    for direct in (True, False):
        with clean_store.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {TABLE}")
        with clean_store.engine.begin() as conn:
            assert bulk.copy_merge(conn, _table(TABLE), frame, direct=direct).inserted == 8
        with clean_store.engine.connect() as conn:
            stored.append(
                conn.exec_driver_sql(
                    f"SELECT count(*), sum(hashtext((t.*)::text)::bigint) FROM {TABLE} t"
                ).one()
            )
    assert stored[0] == stored[1]


def test_a_frame_over_a_stored_day_and_a_new_day_merges_and_makes_the_partition(
    clean_store: Store,
) -> None:
    """The probe finds rows and a partition is missing: the staged merge, the day made."""
    day1 = _chain()
    clean_store.write(TABLE, day1)
    with clean_store.engine.begin() as conn:  # other tests may have left the day's partition
        for name in list_partitions(conn, TABLE):
            if partition_day(name).isoformat() == "2025-07-17":
                conn.exec_driver_sql(f'DROP TABLE "{name}"')
    day2 = _chain("2025-07-17 09:15:00+05:30")
    both = pd.concat([day1.assign(ltp=day1["ltp"] + 1.0), day2], ignore_index=True)
    result = clean_store.write(TABLE, both)
    assert (result.inserted, result.updated) == (len(day2), len(day1))
    assert clean_store.count(TABLE) == len(both)
    with clean_store.engine.connect() as conn:
        days = [partition_day(n) for n in list_partitions(conn, TABLE)]
    assert {"2025-07-16", "2025-07-17"} <= {d.isoformat() for d in days}
    with clean_store.transaction() as tx:  # the transaction goes on after the merge
        assert tx.write(TABLE, _chain("2025-07-17 09:15:15+05:30")).inserted == len(day2)
