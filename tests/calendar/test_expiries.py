import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optionsintel.calendar import (
    expiries_between,
    is_trading_day,
    listed_expiries,
    next_expiry,
    redated_expiries,
)
from optionsintel.errors import CalendarError

D = dt.date


@pytest.mark.parametrize(
    ("underlying", "on", "kind", "expected"),
    [
        ("NIFTY", D(2024, 7, 1), "weekly", D(2024, 7, 4)),  # Thursday weekly
        ("NIFTY", D(2024, 7, 19), "monthly", D(2024, 7, 25)),  # last Thursday
        ("NIFTY", D(2019, 1, 2), "all", D(2019, 1, 31)),  # before weeklies existed
        ("NIFTY", D(2019, 2, 11), "weekly", D(2019, 2, 14)),  # first weekly
        ("NIFTY", D(2025, 9, 1), "weekly", D(2025, 9, 2)),  # Tuesday from Sep 2025
        ("NIFTY", D(2025, 9, 1), "monthly", D(2025, 9, 30)),  # last Tuesday
        ("NIFTY", D(2025, 8, 25), "monthly", D(2025, 8, 28)),  # last Thursday regime
        ("NIFTY", D(2025, 9, 29), "weekly", D(2025, 10, 7)),  # Sep 30 is the monthly
        ("NIFTY", D(2023, 6, 26), "monthly", D(2023, 6, 28)),  # 29th Bakri Id
        ("NIFTY", D(2022, 4, 11), "weekly", D(2022, 4, 13)),  # 14th Ambedkar Jayanti
        ("BANKNIFTY", D(2023, 9, 4), "weekly", D(2023, 9, 6)),  # first Wednesday weekly
        ("BANKNIFTY", D(2023, 9, 25), "all", D(2023, 9, 28)),  # monthly still Thursday
        ("BANKNIFTY", D(2024, 3, 1), "monthly", D(2024, 3, 27)),  # last Wednesday
        ("BANKNIFTY", D(2024, 11, 11), "weekly", D(2024, 11, 13)),  # last weekly
        ("BANKNIFTY", D(2024, 12, 2), "monthly", D(2024, 12, 24)),  # Dec 25 Christmas
        ("BANKNIFTY", D(2025, 1, 2), "monthly", D(2025, 1, 30)),  # back to Thursday
        ("FINNIFTY", D(2024, 7, 1), "weekly", D(2024, 7, 2)),  # Tuesday weekly
        ("FINNIFTY", D(2024, 11, 18), "weekly", D(2024, 11, 19)),  # last weekly
        ("MIDCPNIFTY", D(2023, 8, 17), "weekly", D(2023, 8, 21)),  # first Monday
        ("RELIANCE", D(2024, 7, 1), "all", D(2024, 7, 25)),  # stock: monthly
        ("RELIANCE", D(2025, 10, 1), "all", D(2025, 10, 28)),  # stock: last Tuesday
    ],
)
def test_next_expiry_regimes(underlying, on, kind, expected):
    assert next_expiry(underlying, on, kind) == expected


def test_banknifty_weekly_skips_monthly_week():
    weekly = expiries_between("BANKNIFTY", "2023-09-18", "2023-10-06", "weekly").date.tolist()
    assert weekly == [D(2023, 9, 20), D(2023, 10, 4)]


def test_weeklies_discontinued_raise():
    with pytest.raises(CalendarError, match="no weekly expiry of BANKNIFTY"):
        next_expiry("BANKNIFTY", D(2024, 11, 14), "weekly")
    assert len(expiries_between("FINNIFTY", "2024-11-20", "2025-12-31", "weekly")) == 0


def test_not_listed_before_launch():
    with pytest.raises(CalendarError, match="FINNIFTY derivatives are not in the calendar"):
        listed_expiries("FINNIFTY", "2020-12-01")


def test_bad_kind_and_symbol():
    with pytest.raises(CalendarError, match="kind must be one of"):
        next_expiry("NIFTY", D(2024, 7, 1), "quarterly")
    with pytest.raises(CalendarError, match="non-empty"):
        next_expiry("  ", D(2024, 7, 1))


def test_2024_nifty_monthlies():
    monthly = expiries_between("NIFTY", "2024-01-01", "2024-12-31", "monthly").date.tolist()
    assert monthly == [
        D(2024, 1, 25), D(2024, 2, 29), D(2024, 3, 28), D(2024, 4, 25), D(2024, 5, 30),
        D(2024, 6, 27), D(2024, 7, 25), D(2024, 8, 29), D(2024, 9, 26), D(2024, 10, 31),
        D(2024, 11, 28), D(2024, 12, 26),
    ]  # fmt: skip


def _parse(dates):
    return [dt.datetime.strptime(d, "%d-%b-%Y").date() for d in dates]


_CHAINS = [
    ("NIFTY", "2019-08-23_aadityatamrakar"), ("NIFTY", "2020-04-20_aadityatamrakar"),
    ("NIFTY", "2020-05-14_aadityatamrakar"), ("NIFTY", "2022-03-24_lakk1"),
    ("NIFTY", "2025-07-16_ethanelliott50"), ("NIFTY", "2025-07-17_ethanelliott50"),
    ("BANKNIFTY", "2020-04-20_aadityatamrakar"), ("BANKNIFTY", "2020-05-14_aadityatamrakar"),
    ("BANKNIFTY", "2022-03-28_lakk1"), ("BANKNIFTY", "2022-04-27_lakk1"),
    ("BANKNIFTY", "2023-05-03_lamba-manish"),
]  # fmt: skip
#: The 2020 files (aadityatamrakar/option_chain_php, wwwroot/*.json) hold a truncated
#: payload: the author kept `records` for the five nearest expiries only (no `filtered`
#: key, see replay_data/PROVENANCE.md), so they are compared with the first five.
_TRUNCATED = {"2020-04-20_aadityatamrakar": 5, "2020-05-14_aadityatamrakar": 5}


@pytest.mark.parametrize(("underlying", "tag"), _CHAINS)
def test_listed_expiries_equal_every_recorded_chain(chain_expiries, underlying, tag):
    """Point in time: the calendar's list of that day is NSE's own list, date for date.

    Includes the contracts NSE re-dated later (NIFTY 29-Jun-2023 listed in 2019,
    Thursday 25-Sep-2025 .. 25-Jun-2026 listed before the Tuesday switch, BANKNIFTY
    28-Mar-2024 before the Wednesday monthlies) and NIFTY's long-dated contracts to 2030.
    """
    name = f"nse_option_chain_indices_{underlying}_{tag}.json.gz"
    recorded = _parse(chain_expiries(name))
    on = D.fromisoformat(tag[:10])
    listed = listed_expiries(underlying, on).date.tolist()
    if tag in _TRUNCATED:
        assert len(recorded) == _TRUNCATED[tag] < len(listed)
        listed = listed[: len(recorded)]
    assert listed == recorded


def _final(underlying, day, after):
    """Follow the re-dating table from ``day`` (as listed on ``after``) to the final date."""
    table = redated_expiries(underlying)
    for row in table.sort_values("redated_on").itertuples():
        if row.redated_on.date() > after and row.listed_as.date() == day:
            day = row.redated_to.date()
    return day


@pytest.mark.parametrize(
    ("underlying", "on", "redated"),
    [
        ("NIFTY", D(2019, 8, 23), {D(2023, 6, 29): D(2023, 6, 28)}),
        ("NIFTY", D(2022, 3, 24),
         {D(2023, 6, 29): D(2023, 6, 28), D(2025, 12, 24): D(2025, 12, 30),
          D(2026, 6, 25): D(2026, 6, 30), D(2026, 12, 31): D(2026, 12, 29)}),
        ("NIFTY", D(2025, 7, 16),
         {D(2025, 9, 25): D(2025, 9, 30), D(2025, 12, 24): D(2025, 12, 30),
          D(2026, 3, 26): D(2026, 3, 30), D(2026, 6, 25): D(2026, 6, 30),
          D(2026, 12, 31): D(2026, 12, 29)}),
        ("BANKNIFTY", D(2022, 4, 27), {D(2023, 3, 30): D(2023, 3, 29)}),
        ("BANKNIFTY", D(2023, 5, 3),
         {D(2023, 6, 29): D(2023, 6, 28), D(2024, 3, 28): D(2024, 3, 27)}),
    ],
)  # fmt: skip
def test_redated_expiries_lead_to_the_realised_dates(underlying, on, redated):
    """Listed dates of a recorded day, followed through the re-dating table, end on the
    final dates (expiries_between); the changes named are exactly the known ones."""
    listed = [d for d in listed_expiries(underlying, on).date if d <= D(2026, 12, 31)]
    finals = [_final(underlying, d, on) for d in listed]
    assert {d: f for d, f in zip(listed, finals, strict=True) if d != f} == redated
    realised = expiries_between(underlying, on, D(2026, 12, 31)).date
    assert set(finals) <= set(realised)


def test_redated_expiries_cite_their_circular():
    table = redated_expiries("NIFTY")
    assert list(table.columns) == ["underlying", "listed_as", "redated_to", "redated_on",
                                   "final", "source"]  # fmt: skip
    tuesday = table[table["redated_on"] == "2025-08-29"]
    assert tuesday["source"].str.contains("2025-06-17").all()
    # all were last-Thursday dates (24-Dec-2025: Thursday the 25th is Christmas), now Tuesdays
    assert set(tuesday["listed_as"].dt.day_of_week) == {2, 3}
    assert set(tuesday["redated_to"].dt.day_of_week) <= {0, 1}  # 24-Dec-2029: Monday
    bakri = table[table["listed_as"] == "2023-06-29"].iloc[0]
    assert bakri["redated_on"] == pd.Timestamp("2023-06-27") and "Bakri Id" in bakri["source"]


def test_long_dated_expiries_beyond_the_holiday_coverage():
    # Listed after the Tuesday circular (2025-06-17): the Jun-2030 contract is a Tuesday,
    # the Dec-2029 one (listed before it) still the last Thursday.
    listed = listed_expiries("NIFTY", "2025-07-16", "monthly").date
    assert listed[-2:].tolist() == [D(2029, 12, 27), D(2030, 6, 25)]
    after = listed_expiries("NIFTY", "2025-09-01", "monthly").date
    assert D(2029, 12, 24) in after  # last Tuesday 25-Dec-2029 is Christmas


def test_listed_expiries_2025_nifty_weekly_cycle(chain_expiries):
    # Recorded 2025-07-16 chain: four weeklies, then Jul/Aug monthlies (all Thursday).
    weekly = listed_expiries("NIFTY", "2025-07-16", "weekly").date.tolist()
    assert weekly == [D(2025, 7, 17), D(2025, 7, 24), D(2025, 8, 7), D(2025, 8, 14)]
    name = "nse_option_chain_indices_NIFTY_2025-07-16_ethanelliott50.json.gz"
    recorded = _parse(chain_expiries(name))
    assert set(recorded[:6]) <= set(listed_expiries("NIFTY", "2025-07-16").date)


underlyings = st.sampled_from(["NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "TCS"])
days = st.dates(min_value=D(2023, 8, 17), max_value=D(2026, 10, 1))


@settings(max_examples=150, deadline=None)
@given(underlyings, days, st.sampled_from(["weekly", "monthly", "all"]))
def test_expiries_are_trading_days_and_sorted(underlying, start, kind):
    expiries = expiries_between(underlying, start, start + dt.timedelta(days=90), kind)
    assert expiries.is_monotonic_increasing and expiries.is_unique
    if len(expiries):
        assert is_trading_day(expiries).all()
    monthly = expiries_between(underlying, start, start + dt.timedelta(days=90), "monthly")
    assert pd.Index(monthly.to_period("M")).is_unique  # one monthly per month


@settings(max_examples=100, deadline=None)
@given(underlyings, days)
def test_listed_contains_next_expiry(underlying, on):
    listed = listed_expiries(underlying, on)
    assert listed.is_monotonic_increasing and (listed.date >= on).all()
    # point in time: the first listed contract may be re-dated later, to next_expiry
    assert _final(underlying, listed[0].date(), on) == next_expiry(underlying, on)


def test_banknifty_wednesday_weeklies_are_listed_with_their_dates():
    """Found by hypothesis: on 2023-09-01 the next BANKNIFTY weekly was already dated
    Wednesday 2023-09-06 (circular of 2023-07-12), not Thursday 2023-09-07."""
    listed = listed_expiries("BANKNIFTY", dt.date(2023, 9, 1))
    assert listed[0].date() == dt.date(2023, 9, 6) == next_expiry("BANKNIFTY", dt.date(2023, 9, 1))
    before = listed_expiries("BANKNIFTY", dt.date(2023, 7, 11))
    assert dt.date(2023, 7, 13) in set(before.date)  # Thursday weeklies before the circular
