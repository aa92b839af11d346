import pandas as pd
import pytest

from optionsintel.synthetic import generate_day
from optionsintel.transforms import quality


@pytest.fixture(scope="module")
def chain():
    return (
        generate_day("NIFTY", "2025-07-16", interval_seconds=900, seed=3)
        .chains["NIFTY"]
        .frame([0, 1])
    )


def test_clean_synthetic_chain_passes_every_check(chain):
    assert quality.check_oi_non_negative(chain).passed
    assert quality.check_no_crossed_quotes(chain).passed
    from optionsintel.calendar import listed_expiries

    expected = {"NIFTY": list(listed_expiries("NIFTY", "2025-07-16"))}
    out = quality.check_complete_chain(chain, expected)
    assert out.passed, out.description
    counts = chain.groupby(["underlying", "snapshot_ts"], observed=True).size()
    assert quality.check_row_counts(counts).passed


def test_negative_oi_and_crossed_quotes_fail_with_examples(chain):
    bad = chain.copy()
    bad.loc[bad.index[:3], "oi"] = -1.0
    bad.loc[bad.index[5], ["bid", "ask"]] = [10.0, 9.0]
    neg = quality.check_oi_non_negative(bad)
    assert not neg.passed and neg.metadata["negative_oi_rows"] == 3 and neg.metadata["examples"]
    crossed = quality.check_no_crossed_quotes(bad)
    assert not crossed.passed and crossed.metadata["crossed_rows"] == 1


def test_one_sided_near_money_strike_fails(chain):
    one = chain.loc[chain["snapshot_ts"] == chain["snapshot_ts"].min()]
    near_exp = one["expiry"].min()
    spot = one["underlying_price"].iloc[0]
    atm = one.loc[one["expiry"] == near_exp, "strike"].sub(spot).abs().idxmin()
    out = quality.check_complete_chain(one.drop(index=atm))
    assert not out.passed and out.metadata["one_sided_near_money"] == 1
    far = one.loc[one["strike"] == one["strike"].max()].index[:1]
    assert quality.check_complete_chain(one.drop(index=far)).passed


def test_missing_listed_expiry_fails(chain):
    expected = {"NIFTY": [pd.Timestamp("2030-01-01")]}
    out = quality.check_complete_chain(chain, expected)
    assert not out.passed and "missing" in out.description


def test_row_counts_flag_a_thin_snapshot():
    idx = pd.MultiIndex.from_product([["NIFTY", "BANKNIFTY"], range(5)])
    counts = pd.Series([2000, 2000, 2000, 2000, 300, 900, 900, 900, 900, 900], index=idx)
    out = quality.check_row_counts(counts)
    assert not out.passed and out.metadata["outliers"] == 1  # per-underlying medians
    assert not quality.check_row_counts(pd.Series(dtype=int)).passed


def test_gaps_and_freshness():
    from optionsintel.transforms.ticks import session_ticks

    ticks = session_ticks("2025-07-16", 15)
    assert quality.check_no_gaps(ticks, "2025-07-16", 15).passed
    gap = quality.check_no_gaps(ticks.delete([10]), "2025-07-16", 15)
    assert not gap.passed and gap.metadata["missing_ticks"] == 1
    assert quality.check_no_gaps([], "2025-07-16", None).passed  # sparse recorded source
    open_now = pd.Timestamp("2025-07-16 11:00", tz="Asia/Kolkata")
    assert quality.check_freshness(open_now - pd.Timedelta(seconds=30), open_now, 15).passed
    assert not quality.check_freshness(open_now - pd.Timedelta(minutes=5), open_now, 15).passed
    assert not quality.check_freshness(None, open_now, 15).passed
    closed = pd.Timestamp("2025-07-16 18:00", tz="Asia/Kolkata")
    assert quality.check_freshness(None, closed, 15).passed


def test_gap_metadata_grades_the_loss():
    from optionsintel.transforms.ticks import session_ticks

    ticks = session_ticks("2025-07-16", 15)
    few = quality.check_no_gaps(ticks.delete(range(10)), "2025-07-16", 15)
    many = quality.check_no_gaps(ticks[:700], "2025-07-16", 15)
    assert few.metadata["expected_ticks"] == 1501
    assert few.metadata["missing_fraction"] < 0.02 < many.metadata["missing_fraction"]
