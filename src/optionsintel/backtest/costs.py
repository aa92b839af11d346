"""Indian trading costs as dated data, applied per fill by the fill's trade date.

The statutory rates live in ``data/costs.yaml`` (every rate with its effective date and
its circular or act); brokerage is the user's (:class:`Brokerage`). A fill pays

* brokerage (flat per order, a percentage, or a percentage capped per order),
* STT (side and base by segment; exercised options on settlement or intrinsic value),
* exchange transaction charges and the NSE IPFT contribution,
* the SEBI turnover fee,
* stamp duty (buyer only),
* GST at 18 % on brokerage + exchange charges + IPFT + SEBI fee.

Every component is ``rate x value`` with ``value = price x quantity`` (the premium for
options), so a fill's statutory cost is linear in its value; that is what lets the
simulation hand vectorbt exact per-order fee rates (:func:`order_fee_rates`). Amounts are
not rounded to the rupee as contract notes are (differences of under one rupee a fill).

Glossary: ``T`` table, ``v`` fill value, ``q`` quantity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeAlias, cast, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from optionsintel.errors import CostTableError
from optionsintel.tz import EXCHANGE_TZ

CostSegment: TypeAlias = Literal["equity_delivery", "equity_intraday", "futures", "options"]
Side: TypeAlias = Literal["buy", "sell"]
BrokerageKind: TypeAlias = Literal["zero", "flat", "percent", "percent_capped"]
FloatArray: TypeAlias = npt.NDArray[np.float64]

SEGMENTS: tuple[str, ...] = get_args(CostSegment)
STATUTORY = ("stt", "stt_exercise", "exchange", "ipft", "sebi", "stamp")
COMPONENTS = ("brokerage", "stt", "exchange", "ipft", "sebi", "stamp", "gst")
_CRORE = 1e7

__all__ = [
    "COMPONENTS",
    "SEGMENTS",
    "Brokerage",
    "CostBreakdown",
    "CostModel",
    "CostTable",
    "RatePeriod",
    "cost_breakdown",
    "fill_cost_breakdown",
    "load_cost_table",
    "order_fee_rates",
    "trade_dates",
]


@dataclass(frozen=True)
class RatePeriod:
    """One rate from its effective date until the next period starts.

    ``rate`` is a fraction (0.001 = 0.1 %) or ``None`` (not modelled: needs an override);
    ``base`` is ``"value"`` or, for exercised options, ``"settlement"``/``"intrinsic"``.
    """

    start: dt.date
    rate: float | None
    base: str
    source: str


@dataclass(frozen=True)
class CostTable:
    """The dated statutory rates, keyed by ``(component, segment, side)``."""

    version: str
    coverage_start: dt.date
    exchange: str
    gst_on: tuple[str, ...]
    rules: Mapping[tuple[str, str, str], tuple[RatePeriod, ...]]

    def periods(self, component: str, segment: str, side: Side) -> tuple[RatePeriod, ...]:
        """Periods of a component for one side (``both`` rules apply to either side)."""
        for key in ((component, segment, side), (component, segment, "both")):
            if key in self.rules:
                return self.rules[key]
        return ()

    def lookup(
        self, component: str, segment: str, side: Side, dates: npt.NDArray[np.datetime64]
    ) -> tuple[FloatArray, npt.NDArray[np.int64]]:
        """Rate (NaN where not modelled) and period number of each date (-1: no rule)."""
        periods = self.periods(component, segment, side)
        if not periods:
            return np.zeros(len(dates)), np.full(len(dates), -1, dtype=np.int64)
        starts = np.array([p.start for p in periods], dtype="datetime64[D]")
        which = np.searchsorted(starts, dates, side="right") - 1
        rates = np.array([np.nan if p.rate is None else p.rate for p in periods])
        return rates[np.maximum(which, 0)], which


def _rate(entry: Mapping[str, Any]) -> float | None:
    if "per_crore" in entry:
        return None if entry["per_crore"] is None else float(entry["per_crore"]) / _CRORE
    return None if entry.get("pct") is None else float(entry["pct"]) / 100.0


def _parse_rules(
    components: Mapping[str, Any],
) -> dict[tuple[str, str, str], tuple[RatePeriod, ...]]:
    rules: dict[tuple[str, str, str], tuple[RatePeriod, ...]] = {}
    for component, groups in components.items():
        for group in groups:
            segs = group["segment"] if isinstance(group["segment"], list) else [group["segment"]]
            periods = tuple(
                RatePeriod(
                    start=p["from"],
                    rate=_rate(p),
                    base=p.get("base", "value"),
                    source=p["source"],
                )
                for p in group["periods"]
            )
            starts = [p.start for p in periods]
            if starts != sorted(starts) or len(set(starts)) != len(starts):
                raise CostTableError(f"{component}: periods must have increasing dates")
            for seg in segs:
                if seg not in SEGMENTS:
                    raise CostTableError(f"{component}: unknown segment {seg!r}; use {SEGMENTS}")
                rules[(component, seg, group["side"])] = periods
    return rules


def load_cost_table(path: str | Path | None = None) -> CostTable:
    """Read a cost table (the shipped ``data/costs.yaml`` unless ``path`` is given).

    Raises
    ------
    CostTableError
        The file is missing a key, has an unknown segment or unordered periods.
    """
    if path is None:
        text = resources.files("optionsintel.backtest").joinpath("data/costs.yaml").read_text()
    else:
        text = Path(path).read_text()
    raw = yaml.safe_load(text)
    try:
        return CostTable(
            version=str(raw["version"]),
            coverage_start=raw["coverage_start"],
            exchange=str(raw["exchange"]),
            gst_on=tuple(raw["gst_on"]),
            rules=_parse_rules(raw["components"]),
        )
    except (KeyError, TypeError) as exc:
        raise CostTableError(f"cost table is malformed ({exc!r}); see data/costs.yaml") from exc


@dataclass(frozen=True)
class Brokerage:
    """The broker's fee per executed order.

    ``flat``: ``per_order`` rupees; ``percent``: ``rate x value``; ``percent_capped``:
    ``min(per_order, rate x value)`` (the common discount-broker schedule); ``zero``.
    """

    kind: BrokerageKind = "flat"
    per_order: float = 20.0
    rate: float = 0.0003

    def amount(self, values: FloatArray) -> FloatArray:
        """Brokerage in rupees of orders of the given values (zero-value orders pay none)."""
        v = np.abs(np.asarray(values, dtype=float))
        traded = v > 0
        if self.kind == "zero":
            return np.zeros_like(v)
        if self.kind == "flat":
            return np.where(traded, self.per_order, 0.0)
        if self.kind == "percent":
            return self.rate * v
        return np.where(traded, np.minimum(self.per_order, self.rate * v), 0.0)


@dataclass(frozen=True)
class CostModel:
    """Segment, brokerage, cost table and explicit rate overrides of one backtest.

    ``overrides`` maps a statutory component (``"stamp"``, ``"stt"``...) to a fraction that
    replaces the table's rate on every date, e.g. a state's stamp duty before 2020-07-01.
    """

    segment: CostSegment = "equity_delivery"
    brokerage: Brokerage = field(default_factory=Brokerage)
    table: CostTable = field(default_factory=lambda: load_cost_table())
    overrides: Mapping[str, float] = field(default_factory=dict)

    def statutory_rates(
        self, component: str, side: Side, dates: npt.NDArray[np.datetime64]
    ) -> FloatArray:
        """Rates of one component on the given trade dates (checked against coverage)."""
        if component in self.overrides:
            return np.full(len(dates), float(self.overrides[component]))
        start = np.datetime64(self.table.coverage_start, "D")
        if len(dates) and dates.min() < start:
            raise CostTableError(
                f"a fill on {dates.min()} precedes the cost table's coverage "
                f"({self.table.coverage_start}); pass a table that covers it"
            )
        rates, _ = self.table.lookup(component, self.segment, side, dates)
        if np.isnan(rates).any():
            first = dates[np.isnan(rates)].min()
            raise CostTableError(
                f"{component} for {self.segment} on {first} is not modelled in cost table "
                f"{self.table.version} (state-wise rates); pass CostModel(overrides="
                f"{{{component!r}: rate}})"
            )
        return rates


def trade_dates(timestamps: Any) -> npt.NDArray[np.datetime64]:
    """IST trade dates of timestamps (naive values are IST) as ``datetime64[D]``."""
    idx = pd.DatetimeIndex(timestamps)
    if idx.tz is not None:
        idx = idx.tz_convert(EXCHANGE_TZ).tz_localize(None)
    return cast(npt.NDArray[np.datetime64], idx.normalize().values.astype("datetime64[D]"))


@dataclass(frozen=True)
class CostBreakdown:
    """Per-fill cost components (rupees) and their totals."""

    per_fill: pd.DataFrame
    totals: pd.Series

    @property
    def total(self) -> float:
        """All costs paid, in rupees."""
        return float(self.totals["total"])


def _exercise_stt(fills: pd.DataFrame, model: CostModel, dates: Any) -> FloatArray:
    """STT of exercised options: 0 except on ``kind == "exercise"`` sell fills."""
    out = np.zeros(len(fills))
    if "kind" not in fills:
        return out
    mask = (fills["kind"].to_numpy() == "exercise") & (fills["side"].to_numpy() == "sell")
    if not mask.any():
        return out
    d = dates[mask]
    rates = model.statutory_rates("stt_exercise", "sell", d)
    _, which = model.table.lookup("stt_exercise", "options", "sell", d)
    periods = model.table.periods("stt_exercise", "options", "sell")
    bases = np.array([periods[w].base for w in which])
    settle = fills["settlement_price"].to_numpy(float)[mask]
    strike = fills["strike"].to_numpy(float)[mask]
    q = np.abs(fills["quantity"].to_numpy(float)[mask])
    value = np.where(bases == "intrinsic", np.abs(settle - strike), settle) * q
    out[mask] = rates * value
    return out


def cost_breakdown(fills: pd.DataFrame, model: CostModel | None = None) -> CostBreakdown:
    """Every cost component of each fill, by the fill's trade date.

    Parameters
    ----------
    fills
        One row per executed order: ``timestamp``, ``side`` (``"buy"``/``"sell"``),
        ``price`` (premium for options) and ``quantity``; optionally ``kind``
        (``"trade"``/``"exercise"``) with ``strike`` and ``settlement_price`` for
        exercised options (which pay only the exercise STT).
    model
        Segment, brokerage and cost table (:class:`CostModel` defaults: delivery, Rs 20
        flat brokerage, the shipped table).

    Returns
    -------
    CostBreakdown
        ``per_fill``: the fills' index with :data:`COMPONENTS` and ``total`` columns;
        ``totals``: their sums.

    Raises
    ------
    CostTableError
        A fill is dated outside the table or where a rate is not modelled.

    Notes
    -----
    ``gst = 18 % x (brokerage + exchange + ipft + sebi)``; stamp duty on buys only; STT by
    segment (delivery both sides, intraday/F&O sell side).
    """
    m = model or CostModel()
    missing = {"timestamp", "side", "price", "quantity"} - set(fills.columns)
    if missing:
        raise CostTableError(f"fills need columns {sorted(missing)}")
    dates = trade_dates(fills["timestamp"])
    side = fills["side"].to_numpy()
    if not np.isin(side, ("buy", "sell")).all():
        raise CostTableError("fill side must be 'buy' or 'sell'")
    exercise = (
        (fills["kind"] == "exercise").to_numpy() if "kind" in fills else np.zeros(len(fills), bool)
    )
    value = np.abs(fills["price"].to_numpy(float) * fills["quantity"].to_numpy(float))
    value = np.where(exercise, 0.0, value)
    days, day = np.unique(dates, return_inverse=True)  # rates looked up once a day
    exercise_stt = lambda: _exercise_stt(fills, m, dates)  # noqa: E731 (after the others)
    return _breakdown(m, days, day, side == "buy", value, exercise, exercise_stt, fills.index)


def fill_cost_breakdown(
    model: CostModel,
    bar_dates: npt.NDArray[np.datetime64],
    bar: npt.NDArray[np.integer],
    buy: npt.NDArray[np.bool_],
    value: FloatArray,
) -> CostBreakdown:
    """:func:`cost_breakdown` of trade fills given by bar number (no options exercise).

    ``bar_dates`` are the trade dates of the bars (:func:`trade_dates`), ``bar`` each
    fill's bar, ``buy`` its side, ``value`` its ``|price x quantity|``; the per-fill frame
    has a default index. The same figures as :func:`cost_breakdown` of the fills, without
    converting every fill's timestamp to a date.
    """
    n = len(value)
    none = np.zeros(n, dtype=bool)
    return _breakdown(
        model, bar_dates, bar, buy, value, none, lambda: np.zeros(n), pd.RangeIndex(n)
    )


def _breakdown(
    m: CostModel,
    days: npt.NDArray[np.datetime64],
    day: npt.NDArray[np.integer],
    buy: npt.NDArray[np.bool_],
    value: FloatArray,
    exercise: npt.NDArray[np.bool_],
    exercise_stt: Callable[[], FloatArray],
    index: pd.Index,
) -> CostBreakdown:
    """Components of fills on ``days[day]``: each rate looked up per date, then spread.

    Rates are looked up (and checked) on the dates that fills of each side use, laid out
    as one table of buy days then sell days, and read per fill with one gather.
    """
    n_days = len(days)
    key = np.where(buy, day, day + n_days)
    used = np.zeros(2 * n_days, dtype=bool)
    used[key[~exercise]] = True
    used_buy, used_sell = used[:n_days], used[n_days:]
    out = {"brokerage": m.brokerage.amount(value)}
    for comp in ("stt", "exchange", "ipft", "sebi", "stamp"):
        table = np.zeros(2 * n_days)
        if used_buy.any():
            table[:n_days][used_buy] = m.statutory_rates(comp, "buy", days[used_buy])
        if used_sell.any():
            table[n_days:][used_sell] = m.statutory_rates(comp, "sell", days[used_sell])
        out[comp] = table[key] * value  # exercise fills: value 0, component 0
    out["stt"] = out["stt"] + exercise_stt()
    gst_rate = _rates_on(m, "gst", "buy", days, day) if len(value) else np.zeros(0)
    out["gst"] = gst_rate * sum(out[c] for c in m.table.gst_on)
    frame = pd.DataFrame({c: out[c] for c in COMPONENTS}, index=index)
    frame["total"] = frame.sum(axis=1)
    return CostBreakdown(per_fill=frame, totals=frame.sum(axis=0))


def _rates_on(
    m: CostModel, component: str, side: Side, days: np.ndarray, day: np.ndarray
) -> FloatArray:
    """Rate of each of ``days[day]``, looked up (and checked) on the dates used only."""
    used = np.zeros(len(days), dtype=bool)
    used[day] = True
    rates = np.zeros(len(days))
    rates[used] = m.statutory_rates(component, side, days[used])
    return rates[day]


def order_fee_rates(
    model: CostModel, dates: npt.NDArray[np.datetime64], side: Side
) -> tuple[FloatArray, FloatArray]:
    """Per-order ``(proportional, fixed)`` fees as vectorbt takes them, for one side.

    ``fee = proportional x value + fixed`` equals :func:`cost_breakdown`'s total of a
    fill of that value, side and date (``percent_capped`` brokerage excluded: it is not
    linear and is resolved per order by the simulation).
    """
    stat = {
        c: model.statutory_rates(c, side, dates)
        for c in ("stt", "exchange", "ipft", "sebi", "stamp")
    }
    gst = model.statutory_rates("gst", side, dates)
    b = model.brokerage
    pct = b.rate if b.kind == "percent" else 0.0
    flat = b.per_order if b.kind == "flat" else 0.0
    on_gst = sum(stat[c] for c in model.table.gst_on if c != "brokerage")
    proportional = sum(stat.values()) + gst * on_gst + pct * (1.0 + gst)
    fixed = flat * (1.0 + gst)
    return np.asarray(proportional, float), np.asarray(fixed, float)
