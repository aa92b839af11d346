"""Small appends (one multi-row INSERT) store exactly what the staged COPY path stores.

``records.append_frame`` sends frames of up to ``SMALL_APPEND_VALUES`` values as one
``INSERT ... VALUES ... ON CONFLICT DO NOTHING`` instead of staging table + binary COPY.
Each case appends the same rows twice under two key prefixes, once through each path, and
compares every stored value (read back as psycopg's Python values) for equality.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from optionsintel.errors import DuplicateRecordError
from optionsintel.store import Store, records
from optionsintel.store.schema import metadata

T0 = pd.Timestamp("2025-07-16 09:15:00.123456789+05:30")


def _labels(p: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "entity": [f"{p}NIFTY", f"{p}BANK", f"{p}Ünï", f"{p}X"],
            "ts": [T0, T0 + pd.Timedelta(seconds=1), pd.Timestamp("2025-07-16 10:00"), T0],
            "model_name": "km",
            "model_version": ["1", "1", "2", "3"],
            "label": pd.array([1, 0, -7, 2**31 - 1], dtype="Int64"),
            "is_anomaly": [True, False, False, True],
            "anomaly_score": [0.1, np.nan, math.inf, -0.0],
            "explanation": [{"a": [1, 2.5, None]}, None, {"ü": "naïve 'quote'"}, {}],
            "params": [{"k": 3}, {"k": 4}, {"nested": {"x": True}}, {"s": 'a,b\n"c"'}],
            "provider": "replay",
        }
    )


def _calendar(p: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "exchange": f"{p}NSE",
            "day": [pd.Timestamp("2025-07-16"), pd.Timestamp("2025-07-17")],
            "is_trading_day": [True, False],
            "session_open": [pd.Timestamp("2025-07-16 09:15", tz="Asia/Kolkata"), pd.NaT],
            "session_close": [pd.Timestamp("2025-07-16 15:30", tz="Asia/Kolkata"), pd.NaT],
            "note": [None, 'holiday, "quoted"\ttab'],
        }
    )


def _levels(p: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "underlying": f"{p}NIFTY",
            "trade_date": pd.Timestamp("2025-07-16"),
            "method": "pivot",
            "level_type": ["SUPPORT", "RESISTANCE"],
            "rank": [1, 2],
            "level": [24850.55, 25150.05],
            "strength": [np.nan, 0.75],
            "details": [{"touches": 3}, None],
            "provider": "replay",
        }
    )


def _quotes(p: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "underlying": f"{p}NIFTY",
            "snapshot_ts": [T0 + pd.Timedelta(seconds=15 * k) for k in range(3)],
            "ltp": [25000.05, np.nan, 1e-9],
            "provider": "replay",
        }
    )


CASES = {
    "ml_cluster_labels": (_labels, "entity"),
    "trading_calendar": (_calendar, "exchange"),
    "support_resistance_levels": (_levels, "underlying"),
    "underlying_quotes": (_quotes, "underlying"),
}


def _stored(store: Store, table: str, col: str, prefix: str) -> list[tuple]:
    t = metadata.tables[table]
    cols = [c for c in t.c if c.name not in (col, "ingested_at")]
    stmt = sa.select(*cols).where(t.c[col].startswith(prefix)).order_by(*cols)
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]


@pytest.mark.parametrize("table", sorted(CASES))
def test_small_insert_stores_what_copy_stores(clean_store, monkeypatch, table) -> None:
    make, col = CASES[table]
    assert records._small(metadata.tables[table], make("b-"))  # the frames take the new path
    with monkeypatch.context() as m:
        m.setattr(records, "SMALL_APPEND_VALUES", 0)  # force the staged COPY path
        copied = clean_store.append(table, make("a-"))
    inserted = clean_store.append(table, make("b-"))
    assert (copied.inserted, inserted.inserted) == (len(make("")), len(make("")))
    via_copy = _stored(clean_store, table, col, "a-")
    via_insert = _stored(clean_store, table, col, "b-")
    assert len(via_copy) == len(make(""))
    for a, b in zip(via_copy, via_insert, strict=True):  # NaN != NaN: compare by repr
        assert repr(a) == repr(b)


def test_small_insert_skips_and_refuses_stored_keys_like_copy(clean_store) -> None:
    first = clean_store.append("underlying_quotes", _quotes("d-"))
    again = clean_store.append("underlying_quotes", _quotes("d-"), on_duplicate="skip")
    assert (first.inserted, again.inserted, again.unchanged) == (3, 0, 3)
    with pytest.raises(DuplicateRecordError, match="3 of 3 records already exist") as err:
        clean_store.append("underlying_quotes", _quotes("d-"))
    assert len(err.value.keys) == 3
    with clean_store.transaction() as writer:  # a refused append leaves the transaction usable
        with pytest.raises(DuplicateRecordError):
            writer.append("underlying_quotes", _quotes("d-").iloc[:1])
        assert writer.append("underlying_quotes", _quotes("e-")).inserted == 3
    assert len(_stored(clean_store, "underlying_quotes", "underlying", "e-")) == 3


def test_a_rejected_small_insert_leaves_the_transaction_usable(clean_store) -> None:
    """The pipelined SAVEPOINT + INSERT + RELEASE rolls back to the savepoint on rejection."""
    from optionsintel.errors import StoreWriteError

    orphan = pd.DataFrame({"dedupe_key": ["k"], "owner": ["bob"], "rule_name": ["none"],
                           "channel": ["webhook"], "payload": [{}]})  # fmt: skip
    with clean_store.transaction() as writer:
        for mode in ("skip", "raise"):
            with pytest.raises(StoreWriteError, match="foreign key"):
                writer.append("alert_notifications", orphan, on_duplicate=mode)
        assert writer.append("underlying_quotes", _quotes("u-")).inserted == 3
    assert len(_stored(clean_store, "underlying_quotes", "underlying", "u-")) == 3
    assert clean_store.count("alert_notifications") == 0
