"""``_small.small_values`` gives the pandas path's values exactly, or declines.

The small append takes a frame's values straight from its columns when
:func:`optionsintel.store._small.small_values` accepts them; otherwise
:func:`optionsintel.store.bulk.prepare_frame` (conform, key checks, JSON) and
``records._python_values`` produce them. For any frame, the first must either return
None or exactly what the second gives, and must return None whenever the second refuses
the frame. Hypothesis draws frames over every column type the small append handles, in
many dtypes (aware and naive instants in four units, NaT, nullable and unsigned integers,
out-of-range values, text in number columns, NaN, -0.0, inf, unicode, nested JSON).
Storage of those values is pinned by ``test_append_small_path.py`` (INSERT == COPY).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects.postgresql import JSONB

from optionsintel.errors import FrameValidationError
from optionsintel.store import records
from optionsintel.store._small import small_values
from optionsintel.store.bulk import prepare_frame
from optionsintel.store.schema import alert_delivery_attempts, alert_notifications

_meta = sa.MetaData()
TABLE = sa.Table(
    "small_values_probe",
    _meta,
    sa.Column("k", sa.String(40), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("t", sa.Text),
    sa.Column("j", JSONB),
    sa.Column("ts", sa.DateTime(timezone=True)),
    sa.Column("b", sa.Boolean),
    sa.Column("i", sa.Integer),
    sa.Column("si", sa.SmallInteger),
    sa.Column("bi", sa.BigInteger),
    sa.Column("f", sa.Float),
    sa.Column("d", sa.Date),
)

T0 = pd.Timestamp("2025-07-16 09:15:00.123456789+05:30")
OLD = pd.Timestamp("1980-01-01", tz="UTC")  # before the store's horizon
FAR = pd.Timestamp("2090-01-01", tz="UTC")  # after it


def _reference(table: sa.Table, frame: pd.DataFrame) -> tuple[list[str], list[list]] | None:
    try:
        prepared = prepare_frame(table, frame)
    except FrameValidationError:
        return None
    cols = list(prepared.columns)
    return cols, [records._python_values(table.c[c], prepared[c]) for c in cols]


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.copysign(1, a) == math.copysign(1, b) and (a == b or (a != a and b != b))
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a == b and a.utcoffset() == b.utcoffset() == dt.timedelta(0)
    return type(a) is type(b) and a == b


def _check(table: sa.Table, frame: pd.DataFrame) -> bool:
    """Assert equality or a decline; True when the fast path answered."""
    got = small_values(table, frame, 10_000)
    want = _reference(table, frame)
    if got is None:
        return False
    assert want is not None, "the pandas path refuses this frame but small_values took it"
    assert got[0] == want[0]
    for name, g, w in zip(got[0], got[1], want[1], strict=True):
        assert len(g) == len(w), name
        for x, y in zip(g, w, strict=True):
            assert _same(x, y), (name, x, y)
    return True


# -- strategies -------------------------------------------------------------------------------

_texts = st.text(max_size=8)
_instants = st.integers(OLD.value - 10**15, FAR.value + 10**15).map(
    lambda ns: pd.Timestamp(ns, tz="UTC")
)
_in_horizon = st.integers(pd.Timestamp("1990-01-02", tz="UTC").value, T0.value + 10**17).map(
    lambda ns: pd.Timestamp(ns, tz="UTC")
)
_json = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**40), 2**40),
        _texts,
        st.floats(allow_nan=True, allow_infinity=False),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(_texts, inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def _instant_column(draw, n: int, *, key: bool = False, clean: bool = False) -> pd.Series:
    kinds = ["aware", "naive", "nat", "zone"] + ([] if clean else ["object"])
    kind = draw(st.sampled_from(kinds))
    pool = _in_horizon if key else st.one_of(_in_horizon, _instants)
    values = [draw(pool) for _ in range(n)]
    if kind == "nat" and n:
        values[draw(st.integers(0, n - 1))] = pd.NaT
    s = pd.Series(values, dtype="datetime64[ns, UTC]")
    unit = draw(st.sampled_from(["s", "ms", "us", "ns"]))
    if kind in ("aware", "nat"):
        return s.dt.as_unit(unit)
    if kind == "zone":
        return s.dt.tz_convert("Asia/Kolkata").dt.as_unit(unit)
    if kind == "naive":
        return s.dt.tz_convert("Asia/Kolkata").dt.tz_localize(None).dt.as_unit(unit)
    return pd.Series([v.to_pydatetime() if draw(st.booleans()) else v.isoformat()
                      for v in values], dtype=object)  # fmt: skip


@st.composite
def _number_column(draw, n: int, kind: str, clean: bool = False) -> pd.Series:
    ints = st.integers(-(2**64), 2**64)
    small = st.integers(-(2**15), 2**15)
    fitting = {"bool": ["bool"], "int": ["int64", "uint64", "int32"], "float": ["float64"]}
    everything = ["int64", "uint64", "float64", "Int64", "object", "bool", "int32", "float32"]
    choice = draw(st.sampled_from(fitting[kind] if clean else everything))
    if choice in ("int64", "int32"):
        info = np.iinfo(choice)
        vals = draw(st.lists(st.one_of(small, st.integers(info.min, info.max)),
                             min_size=n, max_size=n))  # fmt: skip
        return pd.Series(vals, dtype=choice)
    if choice == "uint64":
        vals = draw(st.lists(st.integers(0, 2**64 - 1), min_size=n, max_size=n))
        return pd.Series(vals, dtype="uint64")
    if choice in ("float64", "float32"):
        floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                           small.map(float), st.just(-0.0))  # fmt: skip
        return pd.Series(draw(st.lists(floats, min_size=n, max_size=n)), dtype=choice)
    if choice == "Int64":
        vals = draw(st.lists(st.one_of(st.none(), small), min_size=n, max_size=n))
        return pd.Series(vals, dtype="Int64")
    if choice == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    mixed = st.one_of(st.none(), small, _texts, st.floats(), ints)
    return pd.Series(draw(st.lists(mixed, min_size=n, max_size=n)), dtype=object)


@st.composite
def _text_column(draw, n: int, *, key: bool = False, clean: bool = False) -> pd.Series:
    plain = st.lists(_texts, min_size=n, max_size=n, unique=key)
    dtype = draw(st.sampled_from([None, object, "string", "str"]))  # None: pandas' default
    if clean or draw(st.booleans()):
        return pd.Series(draw(plain), dtype=dtype)
    mixed = st.one_of(_texts, st.none(), st.just(float("nan")), st.integers(), st.just(pd.NA))
    if draw(st.booleans()):
        return pd.Series(draw(st.lists(mixed, min_size=n, max_size=n)), dtype=object)
    with_nulls = st.lists(st.one_of(_texts, st.none()), min_size=n, max_size=n)
    return pd.Series(draw(with_nulls), dtype=dtype)


@st.composite
def frames(draw, clean: bool = False) -> pd.DataFrame:
    """Frames over ``TABLE``; ``clean`` ones have dtypes the direct path takes (values vary)."""
    n = draw(st.integers(1, 5))
    cols: dict[str, pd.Series] = {}
    if clean or draw(st.integers(0, 9)):  # now and then a key column is missing
        cols["k"] = draw(_text_column(n, key=True, clean=clean))
    if clean or draw(st.integers(0, 9)):
        cols["at"] = draw(_instant_column(n, key=True, clean=clean))
    optional = {
        "t": lambda: _text_column(n, clean=clean),
        "j": lambda: st.lists(_json, min_size=n, max_size=n).map(
            lambda v: pd.Series(v, dtype=object)
        ),
        "ts": lambda: _instant_column(n, clean=clean),
        "b": lambda: _number_column(n, "bool", clean),
        "i": lambda: _number_column(n, "int", clean),
        "si": lambda: _number_column(n, "int", clean),
        "bi": lambda: _number_column(n, "int", clean),
        "f": lambda: _number_column(n, "float", clean),
        "d": lambda: _instant_column(n),
        "extra": lambda: st.just(pd.Series(range(n))),
    }
    names = [c for c in optional if not (clean and c == "d")]
    for name in draw(st.lists(st.sampled_from(names), unique=True, max_size=6)):
        cols[name] = draw(optional[name]())
    return pd.DataFrame({k: v.reset_index(drop=True) for k, v in cols.items()})


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:Discarding nonzero nanoseconds:UserWarning")
@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(frames(), frames(clean=True)))
def test_small_values_equal_the_pandas_path_or_decline(frame: pd.DataFrame) -> None:
    event("answered directly" if _check(TABLE, frame) else "left to pandas")


def test_the_outbox_and_attempt_frames_take_the_direct_path() -> None:
    """What producers and dispatchers append is answered without pandas, and equal."""
    outbox = pd.DataFrame(
        [
            {
                "dedupe_key": f"rule:{i}",
                "owner": "ana",
                "rule_name": "nifty-above",
                "channel": "webhook",
                "payload": {"event": {"value": 1.5, "at": T0, "n": np.int64(3)}, "target": {}},
                "trigger_key": "t1",
                "instrument": "NIFTY",
                "triggered_at": T0 + pd.Timedelta(seconds=i),
            }
            for i in range(3)
        ]
    )
    assert _check(alert_notifications, outbox)
    attempts = pd.DataFrame(
        {
            "dedupe_key": ["a", "b"],
            "attempt": [1, 2],
            "channel": "webhook",
            "dispatcher": "d",
            "started_at": [T0, T0],
            "finished_at": [T0, T0],
            "outcome": ["SENT", "RETRY"],
            "status_code": [204, 503],
            "error": [None, "HTTP 503"],
            "latency_ms": [1.25, np.nan],
        }
    )
    assert _check(alert_delivery_attempts, attempts)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"k": ["a", "a"], "at": [T0, T0]}),  # repeated key
        pd.DataFrame({"k": ["a", None], "at": [T0, T0]}),  # null key
        pd.DataFrame({"k": ["a"], "at": [OLD]}),  # outside the horizon
        pd.DataFrame({"k": ["a"], "at": [T0], "i": [2**40]}),  # does not fit
        pd.DataFrame({"k": ["a"], "at": [T0], "f": ["1.5"]}),  # text for a number
        pd.DataFrame({"k": ["a"], "at": [T0], "b": [1]}),  # 1 for a boolean: pandas decides
        pd.DataFrame({"k": ["a"], "at": [T0], "t": [7]}),  # a number for text: pandas decides
        pd.DataFrame({"at": [T0]}),  # key column missing
    ],
)
def test_doubtful_frames_are_left_to_the_pandas_path(frame: pd.DataFrame) -> None:
    assert small_values(TABLE, frame, 10_000) is None


def test_size_limit_and_partitioned_tables_are_declined() -> None:
    frame = pd.DataFrame({"k": list("abcd"), "at": [T0] * 4})
    assert small_values(TABLE, frame, 7) is None
    assert small_values(TABLE, frame, 8) is not None
    key = sa.Column("k", sa.Text, primary_key=True)
    chain = sa.Table("option_chain_snapshots", sa.MetaData(), key)
    assert small_values(chain, pd.DataFrame({"k": ["a"]}), 100) is None
