"""The as-of query at its boundaries."""

from __future__ import annotations

import pandas as pd
import pytest

from optionsintel.store import Store


def _rows(ts: str, ltp: float, strikes=(25000.0, 25100.0), provider="replay"):
    t = pd.Timestamp(ts).tz_convert("UTC")
    return pd.DataFrame(
        [
            dict(
                underlying="NIFTY",
                snapshot_ts=t,
                expiry=pd.Timestamp("2025-07-17"),
                strike=k,
                option_type=o,
                ltp=ltp,
                oi=100.0,
                provider=provider,
            )
            for k in strikes
            for o in ("CE", "PE")
        ]
    )


@pytest.fixture
def history(clean_store: Store) -> Store:
    frames = [
        _rows("2025-07-16 11:03:00+05:30", 1.0),
        _rows("2025-07-16 11:03:15+05:30", 2.0, strikes=(25000.0,)),  # 25100 missing here
        _rows("2025-07-16 11:03:30+05:30", 3.0),
    ]
    clean_store.write("option_chain_snapshots", pd.concat(frames, ignore_index=True))
    return clean_store


def test_exactly_at_a_snapshot_includes_it(history: Store) -> None:
    chain = history.chain_as_of("NIFTY", "2025-07-16 11:03:15")  # naive = IST
    by = chain.set_index(["strike", "option_type"])["ltp"]
    assert by[(25000.0, "CE")] == 2.0
    # a contract absent from the latest snapshot keeps its last earlier value
    assert by[(25100.0, "PE")] == 1.0
    assert len(chain) == 4


def test_just_before_a_snapshot_excludes_it(history: Store) -> None:
    chain = history.chain_as_of("NIFTY", pd.Timestamp("2025-07-16 11:03:14.999999+05:30"))
    assert (chain["ltp"] == 1.0).all()


def test_before_any_data_is_empty(history: Store) -> None:
    assert history.chain_as_of("NIFTY", "2025-07-16 11:02:59").empty


def test_after_the_last_snapshot_returns_the_last(history: Store) -> None:
    chain = history.chain_as_of("NIFTY", "2025-07-16 15:30:00")
    assert (chain["ltp"] == 3.0).all()


def test_timezone_aware_inputs_agree(history: Store) -> None:
    a = history.chain_as_of("NIFTY", "2025-07-16 05:33:15+00:00")
    b = history.chain_as_of("NIFTY", "2025-07-16 11:03:15+05:30")
    pd.testing.assert_frame_equal(a, b)


def test_providers_are_not_mixed(history: Store) -> None:
    history.write(
        "option_chain_snapshots", _rows("2025-07-16 11:03:20+05:30", 9.0, provider="synthetic")
    )
    latest = history.chain_as_of("NIFTY", "2025-07-16 11:03:25")
    assert set(latest["provider"]) == {"synthetic"}
    real = history.chain_as_of("NIFTY", "2025-07-16 11:03:25", provider="replay")
    assert set(real["provider"]) == {"replay"}
    assert (real["ltp"] != 9.0).all()


def test_staleness_drops_contracts_missing_for_too_long(history: Store) -> None:
    chain = history.chain_as_of("NIFTY", "2025-07-16 11:03:15", staleness=pd.Timedelta(seconds=5))
    assert set(chain["strike"]) == {25000.0}


def test_an_end_of_day_snapshot_answers_the_next_morning(history: Store) -> None:
    chain = history.chain_as_of("NIFTY", "2025-07-17 10:00")
    assert len(chain) == 4 and (chain["ltp"] == 3.0).all()


def test_distinct_values(history: Store) -> None:
    assert history.distinct("option_chain_snapshots", "underlying") == ["NIFTY"]
    assert history.distinct("option_chain_snapshots", "strike", where={"ltp": 2.0}) == [25000.0]
