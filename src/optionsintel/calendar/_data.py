"""Loading and validation of the calendar's YAML data files.

The files live in ``optionsintel/calendar/data/`` and ship inside the wheel; they are read
with :mod:`importlib.resources` once per process and validated with pydantic models. A
malformed file raises :class:`~optionsintel.errors.CalendarError` naming the file.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from optionsintel.errors import CalendarError

WeekdayName = Literal["MON", "TUE", "WED", "THU", "FRI"]
WEEKDAY_INDEX: dict[str, int] = {"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4}
STOCK_KEY = "STOCK"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Holiday(_Model):
    date: dt.date
    name: str
    note: str | None = None
    announced: dt.date | None = None


class HolidayYear(_Model):
    source: str
    verified: bool
    holidays: tuple[Holiday, ...]


class SpecialSession(_Model):
    date: dt.date
    kind: Literal["muhurat", "budget", "special_live"]
    note: str


class Session(_Model):
    timezone: str
    open: dt.time
    close: dt.time
    pre_open_start: dt.time
    pre_open_end: dt.time
    source: str


class Coverage(_Model):
    first_year: int
    last_year: int


class HolidayFile(_Model):
    session: Session
    coverage: Coverage
    years: dict[int, HolidayYear]
    special_sessions: tuple[SpecialSession, ...]

    @model_validator(mode="after")
    def _check(self) -> HolidayFile:
        expected = set(range(self.coverage.first_year, self.coverage.last_year + 1))
        if set(self.years) != expected:
            raise ValueError(f"years {sorted(self.years)} do not match coverage {expected}")
        for year, entry in self.years.items():
            for h in entry.holidays:
                if h.date.year != year or h.date.weekday() >= 5:
                    raise ValueError(f"holiday {h.date} is not a weekday of {year}")
        return self


class WeeklyRegime(_Model):
    from_: dt.date
    weekday: WeekdayName | None
    listed: int = 0
    announced: dt.date | None = None
    redated: dt.date | None = None
    note: str | None = None
    verified: bool
    source: str


class MonthlyRegime(_Model):
    from_: dt.date
    weekday: WeekdayName
    announced: dt.date | None = None
    redated: dt.date | None = None
    note: str | None = None
    verified: bool
    source: str


class Listing(_Model):
    monthly: int
    quarterly: int
    half_yearly: int


class ExpiryRules(_Model):
    listed_from: dt.date
    note: str | None = None
    weekly: tuple[WeeklyRegime, ...]
    monthly: tuple[MonthlyRegime, ...]
    listed: Listing
    listed_source: str

    @model_validator(mode="after")
    def _check(self) -> ExpiryRules:
        for regimes in (self.weekly, self.monthly):
            starts = [r.from_ for r in regimes]
            if starts != sorted(starts) or len(set(starts)) != len(starts):
                raise ValueError("regimes must be in strictly increasing `from` order")
            if starts[0] > self.listed_from:
                raise ValueError("the first regime starts after listed_from")
        return self


class LotRegime(_Model):
    effective_from: dt.date
    new_contracts_from: dt.date | None = None
    lot: int
    note: str | None = None
    verified: bool
    source: str


class StrikeRegime(_Model):
    effective_from: dt.date
    step: float
    verified: bool
    source: str


class ContractData(_Model):
    segment: Literal["index", "equity"]
    lot_sizes: tuple[LotRegime, ...]
    strike_steps: tuple[StrikeRegime, ...]


class ContractFile(_Model):
    tick_size: float
    tick_size_source: str
    underlyings: dict[str, ContractData]


def _read_yaml(name: str) -> Any:
    text = resources.files("optionsintel.calendar").joinpath("data", name).read_text("utf-8")
    raw = yaml.safe_load(text)
    return _rename_from(raw)


def _rename_from(node: Any) -> Any:
    # `from` is a Python keyword, so the models call the field `from_`.
    if isinstance(node, dict):
        return {("from_" if k == "from" else k): _rename_from(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_rename_from(v) for v in node]
    return node


def _validated(model: type[_Model], name: str) -> Any:
    try:
        return model.model_validate(_read_yaml(name))
    except (ValidationError, yaml.YAMLError) as exc:
        raise CalendarError(f"calendar data file {name!r} is malformed: {exc}") from exc


@cache
def holiday_file() -> HolidayFile:
    """Return the validated ``holidays.yaml`` (cached)."""
    return _validated(HolidayFile, "holidays.yaml")


@cache
def expiry_rules() -> dict[str, ExpiryRules]:
    """Return the validated expiry regimes per underlying from ``expiries.yaml`` (cached)."""
    raw = _read_yaml("expiries.yaml")
    try:
        return {k: ExpiryRules.model_validate(v) for k, v in raw["underlyings"].items()}
    except (ValidationError, KeyError, TypeError) as exc:
        raise CalendarError(f"calendar data file 'expiries.yaml' is malformed: {exc}") from exc


@cache
def contract_file() -> ContractFile:
    """Return the validated ``contracts.yaml`` (cached)."""
    return _validated(ContractFile, "contracts.yaml")


@cache
def holiday_array() -> npt.NDArray[np.datetime64]:
    """All weekday holidays as a sorted ``datetime64[D]`` array."""
    days = [h.date for y in holiday_file().years.values() for h in y.holidays]
    return np.array(sorted(days), dtype="datetime64[D]")


@cache
def busday_calendar() -> np.busdaycalendar:
    """NumPy business-day calendar: Monday-Friday minus NSE holidays."""
    return np.busdaycalendar(weekmask="1111100", holidays=holiday_array())


def coverage_bounds() -> tuple[np.datetime64, np.datetime64]:
    """First and last covered day as ``datetime64[D]``."""
    cov = holiday_file().coverage
    return np.datetime64(f"{cov.first_year}-01-01"), np.datetime64(f"{cov.last_year}-12-31")
