"""Point-in-time expiry dates: what NSE listed on a day, with the dates as known that day.

A contract is identified by its period (the month of a monthly, the Monday of a weekly's
week) and its date is a function of what was known on the day asked:

- the weekday comes from the regime of the contract's period. A regime with
  ``announced``/``redated`` in ``expiries.yaml`` applies to contracts listed on or after
  ``announced`` and to every contract from ``redated`` on; otherwise the previous regime's
  weekday stands (NIFTY's Sep-2025 contract read 25-Sep until NSE re-dated it to 30-Sep
  at EOD 2025-08-28);
- a date on a holiday moves to the previous trading day, counting only holidays known
  that day: those whose circular was out (``announced`` in ``holidays.yaml``, default
  15 December of the previous year) and the fixed-date national holidays, known for every
  year (26 Jan, 1 May, 15 Aug, 2 Oct, 25 Dec). Dates after the holiday coverage (NIFTY's
  long-dated contracts run to 2030) are therefore the dates NSE itself showed.

:func:`redated_expiries` lists every change of a listed contract's date with its source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache

import numpy as np
import pandas as pd

from optionsintel.calendar._data import (
    WEEKDAY_INDEX,
    ExpiryRules,
    MonthlyRegime,
    WeeklyRegime,
    coverage_bounds,
    holiday_file,
)
from optionsintel.calendar._dates import DateLike, Day64, to_days
from optionsintel.calendar.expiries import (
    _WEEK,
    ExpiryKind,
    _adjust,
    _check_kind,
    _listed_on,
    _monthly_nominal,
    _week_start,
    _weekly_nominal,
    rules_for,
)
from optionsintel.errors import CalendarError

_FIXED = ("01-26", "05-01", "08-15", "10-02", "12-25")
_FIXED_YEARS = range(2015, 2041)
_DAY = np.timedelta64(1, "D")
#: The contracts (their periods) listed on a day.
Cycle = Callable[[np.datetime64], np.ndarray]


@cache
def _holiday_table() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """All covered holidays sorted by the day they became known: (known_from, date, why)."""
    rows = []
    for year, entry in holiday_file().years.items():
        default = dt.date(year - 1, 12, 15)
        for h in entry.holidays:
            rows.append((h.announced or default, h.date, f"{h.name}: {entry.source}"))
    rows.sort()
    known = np.array([r[0] for r in rows], dtype="datetime64[D]")
    days = np.array([r[1] for r in rows], dtype="datetime64[D]")
    return known, days, tuple(" ".join(r[2].split()) for r in rows)


@cache
def _fixed_holidays() -> np.ndarray:
    days = np.array([f"{y}-{md}" for y in _FIXED_YEARS for md in _FIXED], dtype="datetime64[D]")
    return days[np.is_busday(days)]


@cache
def _calendar_known(n_known: int) -> np.busdaycalendar:
    _, days, _ = _holiday_table()
    hols = np.union1d(days[:n_known], _fixed_holidays())
    return np.busdaycalendar(weekmask="1111100", holidays=hols)


def known_busdaycalendar(on: np.datetime64) -> np.busdaycalendar:
    """Business-day calendar with the holidays known on ``on`` (plus fixed-date ones)."""
    known, _, _ = _holiday_table()
    return _calendar_known(int(np.searchsorted(known, on, side="right")))


def _applies(regime: MonthlyRegime | WeeklyRegime, on: np.datetime64, listed_before: bool) -> bool:
    announced = np.datetime64(regime.announced or regime.from_)
    redated = np.datetime64(regime.redated or regime.from_)
    return bool(on >= redated or (on >= announced and not listed_before))


def _weekday_known(
    regimes: tuple[MonthlyRegime, ...] | tuple[WeeklyRegime, ...],
    idx: int,
    on: np.datetime64,
    listed_before: Callable[[np.datetime64], bool],
) -> int:
    """Weekday of a contract whose final regime is ``regimes[idx]``, as known on ``on``."""
    while idx > 0:
        r = regimes[idx]
        announced = np.datetime64(r.announced or r.from_)
        if _applies(r, on, listed_before(announced - _DAY)) or regimes[idx - 1].weekday is None:
            break
        idx -= 1
    weekday = regimes[idx].weekday
    if weekday is None:  # weekly periods come only from live regimes
        raise CalendarError("a weekly contract fell in a regime without weeklies")
    return WEEKDAY_INDEX[weekday]


def roll_known(nominal: Day64, on: np.datetime64) -> Day64:
    """Move nominal dates off weekends and the holidays known on ``on`` (backwards)."""
    return np.busday_offset(nominal, 0, roll="backward", busdaycal=known_busdaycalendar(on))


def _weekday_of(days: Day64) -> np.ndarray:
    return (days.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday


def monthly_dates_known(
    rules: ExpiryRules, months: np.ndarray, on: np.datetime64, cycle_on: Cycle
) -> Day64:
    """Dates of monthly contracts ``months`` (``datetime64[M]``) as known on ``on``.

    ``cycle_on(day)`` returns the months listed on ``day`` (to tell contracts listed before
    an announcement from later ones).
    """
    starts = np.array([r.from_ for r in rules.monthly], dtype="datetime64[D]")
    idx = np.searchsorted(starts.astype("datetime64[M]"), months, side="right") - 1
    out = np.empty(len(months), dtype="datetime64[D]")
    for i, (m, r) in enumerate(zip(months, idx, strict=True)):
        wd = _weekday_known(
            rules.monthly,
            int(r),
            on,
            lambda d, m=m: m in set(cycle_on(d)),  # type: ignore[misc,operator]
        )
        last = (m + 1).astype("datetime64[D]") - _DAY
        out[i] = last - np.timedelta64(int((_weekday_of(last) - wd) % 7), "D")
    return roll_known(out, on)


def weekly_dates_known(
    rules: ExpiryRules, weeks: Day64, on: np.datetime64, cycle_on: Cycle
) -> Day64:
    """Dates of weekly contracts (Mondays of their weeks) as known on ``on``."""
    starts = np.array([r.from_ for r in rules.weekly], dtype="datetime64[D]")
    out = np.empty(len(weeks), dtype="datetime64[D]")
    for i, week in enumerate(weeks):
        final_wd = rules.weekly[int(np.searchsorted(starts, week, side="right")) - 1].weekday
        nominal = week + np.timedelta64(WEEKDAY_INDEX[final_wd or "THU"], "D")
        r = int(np.searchsorted(starts, nominal, side="right")) - 1
        wd = _weekday_known(
            rules.weekly,
            r,
            on,
            lambda d, w=week: w in set(cycle_on(d)),  # type: ignore[misc,operator]
        )
        out[i] = week + np.timedelta64(wd, "D")
    return roll_known(out, on)


def coverage_last() -> np.datetime64:
    """Last day whose holidays are fully known."""
    return coverage_bounds()[1]


def holiday_events() -> list[tuple[np.datetime64, str]]:
    """Days on which holidays became known, with their source (for the re-dating table)."""
    known, _, why = _holiday_table()
    return [(k, w) for k, w in zip(known, why, strict=True)]


# ---------------------------------------------------------------- contract cycle on a day


def _final(rules: ExpiryRules, nominal: Day64) -> Day64:
    """Final dates where the holidays are covered, nominal dates beyond."""
    last = coverage_last()
    inside = np.minimum(nominal, last)
    return np.where(nominal <= last, _adjust(inside), nominal)


def cycle_months(rules: ExpiryRules, on: np.datetime64) -> np.ndarray:
    """Months (``datetime64[M]``) of the monthly, quarterly, half-yearly contracts on ``on``."""
    n = rules.listed
    months = np.arange(on.astype("datetime64[M]"), on.astype("datetime64[M]") + 12 * 6)
    nominal = _monthly_nominal(rules, months)
    month_of = nominal.astype("datetime64[M]")
    month_no = month_of.astype("int64") % 12 + 1
    alive = _final(rules, nominal) >= on
    serial = month_of[alive][: n.monthly]
    if serial.size == 0:
        return serial
    after = month_of > serial[-1]
    quarterly = month_of[alive & after & np.isin(month_no, (3, 6, 9, 12))][: n.quarterly]
    tail = quarterly[-1] if quarterly.size else serial[-1]
    half = month_of[alive & (month_of > tail) & np.isin(month_no, (6, 12))][: n.half_yearly]
    return np.concatenate([serial, quarterly, half])


def cycle_weeks(rules: ExpiryRules, on: np.datetime64) -> Day64:
    """Mondays of the weeks of the weekly contracts listed on ``on``."""
    starts = [np.datetime64(r.from_) for r in rules.weekly]
    regime = rules.weekly[int(np.searchsorted(starts, on, side="right")) - 1]
    if regime.weekday is None or regime.listed == 0:
        return np.array([], dtype="datetime64[D]")
    hi = min(on + 3 * _WEEK * (regime.listed + 2), coverage_last())
    nominal = _weekly_nominal(rules, on - _WEEK, hi)
    alive = nominal[_adjust(nominal) >= on][: regime.listed]
    return _week_start(alive)


def _dates_on(rules: ExpiryRules, on: np.datetime64, kind: str) -> Day64:
    parts = []
    if kind in ("weekly", "all"):
        weeks = cycle_weeks(rules, on)
        parts.append(weekly_dates_known(rules, weeks, on, lambda d: cycle_weeks(rules, d)))
    if kind in ("monthly", "all"):
        months = cycle_months(rules, on)
        parts.append(monthly_dates_known(rules, months, on, lambda d: cycle_months(rules, d)))
    return np.unique(np.concatenate(parts)) if parts else np.array([], "datetime64[D]")


def listed_expiries(
    underlying: str, on_date: DateLike, kind: ExpiryKind = "all"
) -> pd.DatetimeIndex:
    """Expiries listed (tradable) on ``on_date``, dated as NSE showed them that day.

    The contract cycle follows the counts in ``expiries.yaml``: the next ``weekly`` weekly
    expiries (excluding monthly weeks), the next ``monthly`` monthly expiries, then
    ``quarterly`` Mar/Jun/Sep/Dec and ``half_yearly`` Jun/Dec expiries, long-dated ones
    included (beyond the holiday coverage they are moved only off weekends and fixed-date
    holidays, as NSE lists them). An expiry on ``on_date`` itself is included (it trades
    until 15:30). Dates are point in time (see the module docstring): a contract NSE later
    re-dated shows its date of that day; :func:`redated_expiries` maps it to the final one.

    Returns
    -------
    pandas.DatetimeIndex
        Sorted unique naive dates.

    Raises
    ------
    CalendarError
        If ``on_date`` is outside the coverage or before the underlying was listed.

    Examples
    --------
    >>> listed_expiries("BANKNIFTY", "2023-05-03").strftime("%d%b%y").tolist()[-4:]
    ['27Jul23', '28Sep23', '28Dec23', '28Mar24']
    """
    _check_kind(kind)
    key, rules = rules_for(underlying)
    on = to_days(on_date)[0]
    _listed_on(key, rules, on)
    return pd.DatetimeIndex(_dates_on(rules, on, kind).astype("datetime64[ns]"))


REDATED_COLUMNS = ("underlying", "listed_as", "redated_to", "redated_on", "final", "source")


def _events(rules: ExpiryRules) -> dict[np.datetime64, list[str]]:
    out: dict[np.datetime64, list[str]] = {}
    for regimes in (rules.weekly, rules.monthly):
        for r in regimes:
            for when in (r.announced, r.redated):
                if when is not None:
                    out.setdefault(np.datetime64(when), []).append(" ".join(r.source.split()))
    for day, why in holiday_events():
        out.setdefault(day, []).append(why)
    return out


def redated_expiries(underlying: str) -> pd.DataFrame:
    """Every listed contract whose expiry date NSE changed, within the calendar coverage.

    Returns
    -------
    pandas.DataFrame
        One row per change, columns ``underlying``, ``listed_as`` (the date shown the
        day before), ``redated_to`` (the date shown from ``redated_on``), ``redated_on``,
        ``final`` (the realised date, as known at the end of the coverage) and
        ``source`` (the circular(s) or holiday list behind the change).

    Examples
    --------
    >>> r = redated_expiries("NIFTY")
    >>> r[r["listed_as"] == "2025-09-25"][["redated_to", "redated_on"]].astype(str).values.tolist()
    [['2025-09-30', '2025-08-29']]
    """
    key, rules = rules_for(underlying)
    lo, hi = np.datetime64(rules.listed_from), coverage_last()
    rows = []
    for day, sources in sorted(_events(rules).items()):
        if not lo < day <= hi:
            continue
        before = _dates_on_ids(rules, day - _DAY, day - _DAY)
        after = _dates_on_ids(rules, day - _DAY, day)
        final = _dates_on_ids(rules, day - _DAY, hi)
        moved = before != after
        for old, new, end in zip(before[moved], after[moved], final[moved], strict=True):
            rows.append((key, old, new, day, end, "; ".join(dict.fromkeys(sources))))
    frame = pd.DataFrame(rows, columns=list(REDATED_COLUMNS))
    for col in ("listed_as", "redated_to", "redated_on", "final"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def _dates_on_ids(rules: ExpiryRules, listed_on: np.datetime64, known_on: np.datetime64) -> Day64:
    """Dates, as known on ``known_on``, of the contracts listed on ``listed_on`` (cycle order)."""
    weeks, months = cycle_weeks(rules, listed_on), cycle_months(rules, listed_on)
    w = weekly_dates_known(rules, weeks, known_on, lambda d: cycle_weeks(rules, d))
    m = monthly_dates_known(rules, months, known_on, lambda d: cycle_months(rules, d))
    return np.concatenate([w, m])
