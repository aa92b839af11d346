"""Build the evaluation panel of a rule from the store, point in time, one provider.

Only the datasets the compiled rule needs are read, all from one provider (rows of two
providers never meet in one panel). The bars are daily (``daily_ohlc``); the other
datasets are aligned to them:

* ``chain_summary.<column>.e<k>``: the stored end-of-day chain summary
  (``daily_option_oi_summary``) of the k-th nearest expiry on or after the bar's date;
* ``chain.atm_oi.e<k>``: calls + puts OI of ``eod_option_chain`` at the summary's ATM
  strike and the two listed strikes each side;
* ``fundamentals.<field>``: the latest report known at each bar (report date
  ``as_of`` of ``equity_fundamentals``), growth and margin as percent;
* ``signals.<TYPE>``: the day's highest confidence of that signal, 0-1;
* ``anomaly``: 1 where a DBSCAN label of one of the symbol's expiries flags that day.

Point in time. ``as_of`` (an instant) keeps only what the market had published by then:
a daily bar, chain summary or label of day D counts once D's session has closed
(15:30 IST), a report from its report date, a signal from its snapshot instant.
``known_at`` additionally drops every row the store ingested after that instant (what a
scan run then could have seen), for audits of past runs.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optionsintel._typing import Provider
from optionsintel.calendar import session_times
from optionsintel.rules import Panel, Plan, align_reports
from optionsintel.store import Store, reads
from optionsintel.store.reads.fundamentals import read_fundamentals
from optionsintel.store.reads.stream import iter_dataset
from optionsintel.tz import EXCHANGE_TZ, to_utc

Progress = Callable[[float, str], None]
BAR_FIELDS = ("open", "high", "low", "close", "volume")
#: chain_summary column -> (stored column, or key of the summary's ``extra`` JSON)
_SUMMARY_SOURCE: dict[str, tuple[str, str | None]] = {
    "pcr_oi": ("pcr_oi", None),
    "pcr_volume": ("pcr_volume", None),
    "max_pain": ("max_pain", None),
    "atm_iv": ("atm_iv", None),
    "expected_move": ("expected_move", None),
    "gamma_flip_level": ("gex_flip", None),
    "max_pain_distance_pct": ("extra", "max_pain_distance_pct"),
    "days_to_expiry": ("extra", "days_to_expiry"),
    "expected_move_pct": ("extra", "expected_move_pct"),
    "support": ("extra", "support"),
    "resistance": ("extra", "resistance"),
    "total_gex": ("extra", "total_gex"),
}
#: fundamentals field -> (stored column, scale): stored as fractions, the catalogue in %
_FUNDAMENTALS = {
    "eps_growth": ("eps_growth", 100.0),
    "revenue_growth": ("revenue_growth", 100.0),
    "margin": ("profit_margin", 100.0),
    "debt_equity": ("debt_to_equity", 1.0),
}
_WINDOW_KEYS = {"window", "span", "slow", "signal", "fast", "bars", "within"}


@dataclass
class PanelData:
    """A point-in-time panel with what it was built from.

    ``provider`` is the one provider of every row; ``empty`` lists the datasets the rule
    needs of which the store held nothing (their cells are missing, so conditions on
    them are unknown, never silently false).
    """

    panel: Panel
    provider: Provider
    as_of: pd.Timestamp | None
    known_at: pd.Timestamp | None
    datasets: list[str]
    empty: list[str] = field(default_factory=list)


def bar_cutoff(as_of: Any) -> dt.date | None:
    """The last trade date whose daily figures were published at instant ``as_of``."""
    if as_of is None:
        return None
    t = pd.Timestamp(to_utc(as_of)).tz_convert(EXCHANGE_TZ)
    day = t.date()
    return day if t.time() >= session_times()["close"] else day - dt.timedelta(days=1)


def history_days(plan: Plan) -> int:
    """Calendar days of history the rule's longest window needs (with margin)."""
    bars = 1
    for _, params in plan.kernels.values():
        bars = max([bars, *(int(v) for k, v in params.items() if k in _WINDOW_KEYS)])
    deep = [getattr(c.node, k, 0) or 0 for c in plan.conditions for k in ("within", "bars")]
    deep += [getattr(o.node, "offset", 0) or 0 for o in plan.operands.values()]
    deep += [getattr(o.node, "bars", 0) or 0 for o in plan.operands.values()]
    bars += 2 * max([0, *deep]) + 1  # MACD's signal needs the slow window first
    return math.ceil(bars * 7 / 5 * 1.1) + 20  # weekends and holidays


def build_panel(
    store: Store,
    plan: Plan,
    *,
    provider: Provider,
    symbols: Iterable[str] | None = None,
    as_of: Any = None,
    known_at: Any = None,
    progress: Progress | None = None,
    flag_anomalies: bool = False,
    history_from: Any = None,
) -> PanelData:
    """Read what ``plan`` needs for ``symbols`` from ``provider`` and align it.

    Parameters
    ----------
    store
        The store.
    plan
        The compiled rule (:func:`optionsintel.rules.compile_rule`).
    provider
        The one provider of every row read.
    symbols
        The universe; None takes every symbol with daily bars of ``provider``.
    as_of, known_at
        Point in time (see the module docstring); None reads everything stored.
    progress
        Called with (fraction done, what is being read).
    flag_anomalies
        Also read the DBSCAN ``anomaly`` labels when the rule does not need them, so the
        explanations flag the matches that are anomalies among their peers.
    history_from
        Read bars from this date (less the rule's warm-up) instead of only the warm-up
        before the last bar: a backtest evaluates the rule on every bar of its period.

    Returns
    -------
    PanelData

    Raises
    ------
    RuleDataError
        When ``provider`` has no daily bars for the universe up to ``as_of``.
    """
    say = progress or (lambda _f, _m: None)
    universe = (
        sorted(symbols) if symbols is not None else reads.list_symbols(store, provider=provider)
    )
    end = bar_cutoff(as_of)
    if end is None:  # the newest stored bar, not today: the history may end in the past
        newest = reads.latest_time(store, "daily_ohlc", universe, provider=provider)
        end = dt.date.today() if newest is None else newest.date()
    start = end - dt.timedelta(days=history_days(plan))
    if history_from is not None:
        first = pd.Timestamp(history_from).date() - dt.timedelta(days=history_days(plan))
        start = min(start, first)
    seen = _known_filter(known_at)
    say(0.1, f"daily bars of {len(universe)} symbols ({provider})")
    bars = seen(_read_bars(store, provider, universe, start, end))
    frames = _bar_frames(bars, universe)
    index, cols = frames["close"].index, frames["close"].columns
    wanted = set(plan.datasets) | ({"anomaly"} if flag_anomalies else set())
    needed = sorted(wanted - set(BAR_FIELDS))
    loaders = _loaders(store, provider, universe, start, end, as_of, seen)
    for i, name in enumerate(needed):
        say(0.2 + 0.6 * i / max(len(needed), 1), f"{name} ({provider})")
        family = name.split(".")[0]
        frames[name] = loaders[family](name, index, cols)
    empty = [n for n in needed if n in plan.datasets and frames[n].isna().all().all()]
    at = None if as_of is None else pd.Timestamp(to_utc(as_of))
    panel = Panel(frames)
    return PanelData(
        panel,
        provider,
        at,
        None if known_at is None else pd.Timestamp(to_utc(known_at)),
        sorted(frames),
        empty,
    )


def _read_bars(
    store: Store, provider: Provider, universe: list[str], start: dt.date, end: dt.date
) -> pd.DataFrame:
    """Daily bars through COPY + Arrow (``iter_dataset``): the frame of ``read_daily_ohlc``.

    Several times faster than the row-by-row read for a thousand symbols
    (benchmarks/bench_scans.py: a 1,000-symbol scan read went from ~17 s to ~4.5 s under load).
    """
    chunks = list(iter_dataset(store, "daily_ohlc", provider=provider, subject=universe,
                               start=start, end=end, chunk_rows=2_000_000))  # fmt: skip
    if not chunks:
        return reads.read_daily_ohlc(store, provider=provider, symbols=[], start=start, end=end)
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]


def _known_filter(known_at: Any) -> Callable[[pd.DataFrame], pd.DataFrame]:
    if known_at is None:
        return lambda f: f
    limit = pd.Timestamp(to_utc(known_at))
    return lambda f: f.loc[pd.to_datetime(f["ingested_at"], utc=True) <= limit] if len(f) else f


def _bar_frames(bars: pd.DataFrame, universe: list[str]) -> dict[str, pd.DataFrame]:
    from optionsintel.errors import RuleDataError

    if bars.empty:
        raise RuleDataError(
            "no daily bars for this universe and provider up to the chosen instant; "
            "pick another provider or load daily history (`optionsintel up`)"
        )
    bars = bars.assign(trade_date=pd.to_datetime(bars["trade_date"]))
    out = {}
    for f in BAR_FIELDS:
        wide = bars.pivot_table(
            index="trade_date", columns="symbol", values=f, aggfunc="last", dropna=False
        )
        out[f] = wide.reindex(columns=universe).sort_index().astype(np.float64)
    return out


def _loaders(
    store: Store,
    provider: Provider,
    universe: list[str],
    start: dt.date,
    end: dt.date,
    as_of: Any,
    seen: Callable[[pd.DataFrame], pd.DataFrame],
) -> dict[str, Callable[[str, pd.Index, pd.Index], pd.DataFrame]]:
    """One loader per dataset family; each reads once and caches its frame."""
    memo: dict[str, pd.DataFrame] = {}

    def once(key: str, read: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        if key not in memo:
            memo[key] = seen(read())
        return memo[key]

    def summaries() -> pd.DataFrame:
        rows = once(
            "summary",
            lambda: reads.read_oi_summaries(
                store, provider=provider, underlying=universe, start=start, end=end
            ),
        )
        return _with_expiry_rank(rows)

    def chain_summary(name: str, index: pd.Index, cols: pd.Index) -> pd.DataFrame:
        _, column, ek = name.split(".")
        rows = summaries()
        return _wide(
            rows.loc[rows["rank"] == int(ek[1:])],
            _summary_values(rows, column).loc[rows["rank"] == int(ek[1:])],
            "underlying",
            index,
            cols,
        )

    def chain(name: str, index: pd.Index, cols: pd.Index) -> pd.DataFrame:
        k = int(name.split(".")[2][1:])
        eod = once(
            "eod",
            lambda: reads.read_eod_chain(
                store, provider=provider, underlying=universe, start=start, end=end
            ),
        )
        oi = atm_open_interest(eod, summaries())
        oi = oi.loc[oi["rank"] == k]
        return _wide(oi, oi["atm_oi"], "underlying", index, cols)

    def fundamentals(name: str, index: pd.Index, cols: pd.Index) -> pd.DataFrame:
        column, scale = _FUNDAMENTALS[name.split(".")[1]]
        rep = once(
            "fund", lambda: read_fundamentals(store, provider=provider, symbols=universe, end=end)
        )
        rep = rep.assign(report_date=pd.to_datetime(rep["as_of"]), value=rep[column] * scale)
        return align_reports(rep, "value", index, cols)

    def signals(name: str, index: pd.Index, cols: pd.Index) -> pd.DataFrame:
        sig = once(
            "signals",
            lambda: reads.read_signals(
                store,
                provider=provider,
                underlying=universe,
                start=start,
                end=None if as_of is None else to_utc(as_of),
            ),
        )
        sig = sig.loc[sig["signal_type"] == name.split(".")[1]]
        day = pd.to_datetime(sig["snapshot_ts"], utc=True).dt.tz_convert(EXCHANGE_TZ)
        sig = sig.assign(trade_date=day.dt.tz_localize(None).dt.normalize())
        return _wide(sig, sig["confidence"] / 100.0, "underlying", index, cols, agg="max")

    def anomaly(name: str, index: pd.Index, cols: pd.Index) -> pd.DataFrame:
        lab = once(
            "labels", lambda: reads.read_cluster_labels(store, provider=provider, start=start)
        )
        return anomaly_flags(lab, index, cols)

    return {
        "chain_summary": chain_summary,
        "chain": chain,
        "fundamentals": fundamentals,
        "signals": signals,
        "anomaly": anomaly,
    }


def _with_expiry_rank(rows: pd.DataFrame) -> pd.DataFrame:
    """Add ``rank``: 0 for the nearest expiry on or after the trade date, 1 the next..."""
    if rows.empty:
        return rows.assign(rank=pd.Series(dtype="int64"))
    rows = rows.loc[pd.to_datetime(rows["expiry"]) >= pd.to_datetime(rows["trade_date"])]
    rank = rows.groupby(["underlying", "trade_date"])["expiry"].rank(method="dense") - 1
    return rows.assign(rank=rank.astype("int64"))


def _summary_values(rows: pd.DataFrame, column: str) -> pd.Series:
    source, key = _SUMMARY_SOURCE[column]
    if key is None:
        return pd.to_numeric(rows[source], errors="coerce")
    return pd.to_numeric(rows[source].map(lambda e: (e or {}).get(key)), errors="coerce")


def _wide(
    rows: pd.DataFrame,
    values: pd.Series,
    subject: str,
    index: pd.Index,
    cols: pd.Index,
    agg: str = "last",
) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame(np.nan, index=index, columns=cols)
    long = pd.DataFrame(
        {
            "t": pd.to_datetime(rows["trade_date"]).to_numpy(),
            "s": rows[subject].to_numpy(),
            "v": values.to_numpy(np.float64),
        }
    )
    wide = long.pivot_table(index="t", columns="s", values="v", aggfunc=agg)
    return wide.reindex(index=index, columns=cols).astype(np.float64)


def atm_open_interest(eod: pd.DataFrame, summaries: pd.DataFrame) -> pd.DataFrame:
    """Calls + puts OI at the ATM strike and the two listed strikes each side.

    Parameters
    ----------
    eod
        ``eod_option_chain`` rows (``underlying, trade_date, expiry, strike, option_type, oi``).
    summaries
        Chain summaries with ``atm_strike`` and the expiry ``rank``.

    Returns
    -------
    pandas.DataFrame
        ``underlying, trade_date, expiry, rank, atm_oi``.
    """
    keys = ["underlying", "trade_date", "expiry"]
    if eod.empty or summaries.empty:
        return pd.DataFrame(columns=[*keys, "rank", "atm_oi"])
    per_strike = eod.groupby([*keys, "strike"], as_index=False)["oi"].sum(min_count=1)
    per_strike = per_strike.merge(summaries[[*keys, "atm_strike", "rank"]], on=keys)
    per_strike["pos"] = per_strike.groupby(keys)["strike"].rank(method="dense")
    dist = (per_strike["strike"] - per_strike["atm_strike"]).abs()
    atm_pos = per_strike.assign(d=dist).sort_values("d").groupby(keys)["pos"].first()
    per_strike = per_strike.join(atm_pos.rename("atm_pos"), on=keys)
    near = per_strike.loc[(per_strike["pos"] - per_strike["atm_pos"]).abs() <= 2]
    out = near.groupby([*keys, "rank"], as_index=False)["oi"].sum(min_count=1)
    return out.rename(columns={"oi": "atm_oi"})


def anomaly_flags(labels: pd.DataFrame, index: pd.Index, cols: pd.Index) -> pd.DataFrame:
    """Daily anomaly flags per symbol from the DBSCAN labels of its expiries.

    1 where a label of one of the symbol's expiries (entity ``"<symbol> <expiry>"``)
    flags the day, 0 where the day is labelled and none flags it, NaN where unlabelled.
    """
    if labels.empty:
        return pd.DataFrame(np.nan, index=index, columns=cols)
    day = pd.to_datetime(labels["ts"], utc=True).dt.tz_convert(EXCHANGE_TZ)
    lab = pd.DataFrame(
        {
            "trade_date": day.dt.tz_localize(None).dt.normalize(),
            "symbol": labels["entity"].astype(str).str.split(" ").str[0],
            "flag": labels["is_anomaly"].astype(np.float64),
        }
    )
    return _wide(lab, lab["flag"], "symbol", index, cols, agg="max")
