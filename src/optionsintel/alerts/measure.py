"""What each condition type measures on one tick, for all rows of its type at once.

Every function takes the rows of one condition type (a slice of the rule book) and the
tick's frames, and returns ``(value, fires)`` arrays aligned with those rows: ``value``
is the measured quantity (NaN when the tick has no data for the row: the rule neither
fires nor clears), ``fires`` whether the condition holds.

Frames (the contract with the collection tick; extra columns are ignored):

* ``quotes``: ``underlying, snapshot_ts, ltp[, volume]``: the tick's quotes and the
  trailing history the windows need (cumulative session ``volume``);
* ``chain``: ``underlying, expiry, strike, option_type, oi, oi_change`` of the tick;
* ``summary``: ``underlying, snapshot_ts, expiry, atm_iv, iv_rank`` (history allowed,
  the nearest expiry is used);
* ``signals``: ``underlying, signal_type, confidence, strength`` of the tick;
* ``pattern_matches``: ``symbol, pattern, version``; ``scan_matches``: ``symbol, scan_id``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optionsintel.alerts.book import NO_EXPIRY, NO_STRIKE, SIGNAL_BITS, STRENGTH_RANK, as_int

Measured = tuple[np.ndarray, np.ndarray]


class _Panel:
    """A (time x instrument) matrix of one column, forward-filled, for lagged look-ups."""

    def __init__(self, frame: pd.DataFrame, column: str, now_ns: int) -> None:
        frame = frame[frame["snapshot_ts"].to_numpy(dtype="datetime64[ns]").view("int64") <= now_ns]
        wide = frame.pivot_table(
            index="snapshot_ts", columns="underlying", values=column, aggfunc="last"
        ).sort_index()
        self.times = wide.index.to_numpy(dtype="datetime64[ns]").view("int64")
        self.columns = wide.columns
        self.raw = wide.to_numpy(dtype="float64")
        self.values = wide.ffill().to_numpy(dtype="float64")

    def col(self, instruments: pd.Series) -> np.ndarray:
        return np.asarray(self.columns.get_indexer(instruments.to_numpy()))

    def at(self, ci: np.ndarray, instants_ns: np.ndarray, offset: int = 0) -> np.ndarray:
        """Values at the last time at or before each instant (``offset`` rows earlier)."""
        if not len(self.times):
            return np.full(len(ci), np.nan)
        idx = np.searchsorted(self.times, instants_ns, side="right") - 1 - offset
        ok = (idx >= 0) & (ci >= 0)
        out = np.full(len(ci), np.nan)
        out[ok] = self.values[idx[ok], ci[ok]]
        return out


def _direction_fires(
    change: np.ndarray, threshold: np.ndarray, direction: np.ndarray
) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.where(
            direction > 0,
            change >= threshold,
            np.where(direction < 0, change <= -threshold, np.abs(change) >= threshold),
        )


def price(rows: pd.DataFrame, quotes: pd.DataFrame | None, now_ns: int) -> Measured:
    """PRICE: level above/below, a cross since the previous tick, or % change over a window."""
    n = len(rows)
    if quotes is None or quotes.empty:
        return np.full(n, np.nan), np.zeros(n, bool)
    panel = _Panel(quotes, "ltp", now_ns)
    ci = panel.col(rows["instrument"])
    now = np.full(n, now_ns, dtype="int64")
    cur = panel.at(ci, now)
    level = rows["value"].to_numpy()
    op = rows["sub"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        prev = panel.at(ci, now, offset=1)
        window = np.nan_to_num(rows["window_s"].to_numpy(), nan=0.0)
        base = panel.at(ci, now - (window * 1e9).astype("int64"))
        pct = (cur / base - 1.0) * 100.0
        crossed = ((prev < level) & (cur >= level)) | ((prev > level) & (cur <= level))
        fires = np.select(
            [op == "above", op == "below", op == "crosses"],
            [cur > level, cur < level, crossed],
            _direction_fires(pct, level, rows["direction"].to_numpy()),
        )
    value = np.where(op == "pct_change", pct, cur)
    value = np.where((op == "crosses") & np.isnan(prev), np.nan, value)
    return value, fires & ~np.isnan(value)


def volume_spike(rows: pd.DataFrame, quotes: pd.DataFrame | None, now_ns: int) -> Measured:
    """VOLUME_SPIKE: latest interval volume over the mean of the ``window`` before it."""
    n = len(rows)
    if quotes is None or quotes.empty or "volume" not in quotes:
        return np.full(n, np.nan), np.zeros(n, bool)
    panel = _Panel(quotes, "volume", now_ns)
    cum = panel.values
    step = np.diff(cum, axis=0, prepend=np.nan)
    step = np.where(step < 0, cum, step)  # a drop in cumulative volume starts a new session
    csum = np.vstack([np.zeros((1, cum.shape[1])), np.nancumsum(step, axis=0)])
    ci = panel.col(rows["instrument"])
    last = len(panel.times) - 1
    window = as_int(rows["window_n"])
    ok = (ci >= 0) & (last - window >= 1)
    value = np.full(n, np.nan)
    c, w = ci[ok], window[ok]
    latest = step[last, c]
    trailing = (csum[last, c] - csum[last - w, c]) / w
    with np.errstate(invalid="ignore", divide="ignore"):
        value[ok] = np.where(trailing > 0, latest / trailing, np.nan)
        fires = value >= rows["multiple"].to_numpy()
    return value, fires & ~np.isnan(value)


def volatility(rows: pd.DataFrame, summary: pd.DataFrame | None, now_ns: int) -> Measured:
    """VOLATILITY: ATM IV level or change (vol points), or IV rank, of the nearest expiry."""
    n = len(rows)
    if summary is None or summary.empty:
        return np.full(n, np.nan), np.zeros(n, bool)
    near = summary.sort_values("expiry").drop_duplicates(["underlying", "snapshot_ts"])
    metric = rows["sub"].to_numpy()
    now = np.full(n, now_ns, dtype="int64")
    iv = _Panel(near, "atm_iv", now_ns)
    ci = iv.col(rows["instrument"])
    cur_iv = iv.at(ci, now)
    window = np.nan_to_num(rows["window_s"].to_numpy(), nan=0.0)
    change = cur_iv - iv.at(ci, now - (window * 1e9).astype("int64"))
    if "iv_rank" in near:
        rank_panel = _Panel(near, "iv_rank", now_ns)
        rank = rank_panel.at(rank_panel.col(rows["instrument"]), now)
    else:
        rank = np.full(n, np.nan)
    value = np.select([metric == "atm_iv", metric == "atm_iv_change"], [cur_iv, change], rank)
    threshold, op = rows["value"].to_numpy(), rows["op"].to_numpy()
    with np.errstate(invalid="ignore"):
        fires = np.where(op > 0, value > threshold, value < threshold)
    return value, fires & ~np.isnan(value)


def oi_change(rows: pd.DataFrame, chain: pd.DataFrame | None) -> Measured:
    """OI_CHANGE: summed OI change of one strike, one expiry or the chain, one side or both."""
    n = len(rows)
    if chain is None or chain.empty:
        return np.full(n, np.nan), np.zeros(n, bool)
    agg = _oi_aggregates(chain)
    keys = ["instrument", "scope", "expiry", "strike", "side"]
    found = rows[keys].merge(agg, how="left", on=keys, validate="many_to_one")
    change = found["oi_change"].to_numpy(dtype="float64")
    prev = found["oi"].to_numpy(dtype="float64") - change
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(prev > 0, change / prev * 100.0, np.nan)
    value = np.where(rows["measure"].to_numpy() == "pct", pct, change)
    fires = _direction_fires(value, rows["value"].to_numpy(), rows["direction"].to_numpy())
    return value, fires & ~np.isnan(value)


def _oi_aggregates(chain: pd.DataFrame) -> pd.DataFrame:
    legs = chain[["underlying", "expiry", "strike", "option_type", "oi", "oi_change"]].copy()
    legs["expiry"] = pd.to_datetime(legs["expiry"])
    both = legs.assign(option_type="both")
    legs = pd.concat([legs, both], ignore_index=True).rename(
        columns={"underlying": "instrument", "option_type": "side"}
    )
    parts = []
    for scope, by in (
        ("strike", ["instrument", "expiry", "strike", "side"]),
        ("expiry", ["instrument", "expiry", "side"]),
        ("total", ["instrument", "side"]),
    ):
        part = legs.groupby(by, as_index=False)[["oi", "oi_change"]].sum(min_count=1)
        part["scope"] = scope
        parts.append(part)
    agg = pd.concat(parts, ignore_index=True)
    agg["expiry"] = agg["expiry"].fillna(NO_EXPIRY)
    agg["strike"] = agg["strike"].fillna(NO_STRIKE).astype("float64")
    return agg


def signal(rows: pd.DataFrame, signals: pd.DataFrame | None) -> Measured:
    """SIGNAL: the strongest matching signal's confidence (type, confidence, strength bars)."""
    n = len(rows)
    value = np.full(n, np.nan)
    if signals is None or signals.empty:
        return value, np.zeros(n, bool)
    sig = pd.DataFrame(
        {
            "instrument": signals["underlying"].to_numpy(),
            "bit": signals["signal_type"].map(SIGNAL_BITS).fillna(0).astype("int64").to_numpy(),
            "rank": signals["strength"].map(STRENGTH_RANK).fillna(-1).to_numpy(),
            "confidence": signals["confidence"].to_numpy(dtype="float64"),
        }
    )
    left = pd.DataFrame(
        {
            "row": np.arange(n),
            "instrument": rows["instrument"].to_numpy(),
            "mask": as_int(rows["signal_mask"]),
            "min_conf": rows["min_confidence"].to_numpy(),
            "min_rank": rows["min_strength"].to_numpy(),
        }
    )
    pairs = left.merge(sig, on="instrument")
    keep = (
        ((pairs["mask"].to_numpy() & pairs["bit"].to_numpy()) != 0)
        & (pairs["confidence"].to_numpy() >= pairs["min_conf"].to_numpy())
        & (pairs["rank"].to_numpy() >= pairs["min_rank"].to_numpy())
    )
    best = pairs[keep].groupby("row")["confidence"].max()
    value[best.index.to_numpy()] = best.to_numpy()
    return value, ~np.isnan(value)


def matches(rows: pd.DataFrame, found: pd.DataFrame | None, keys: dict[str, str]) -> Measured:
    """PATTERN / SCAN: 1.0 where a match row names the instrument and the pinned id."""
    n = len(rows)
    if found is None:  # no evaluation ran this tick: neither fires nor clears
        return np.full(n, np.nan), np.zeros(n, bool)
    left = rows[list(keys)].rename(columns=keys).reset_index(drop=True)
    right = found[list(keys.values())].drop_duplicates().assign(_hit=1.0)
    if "version" in right:
        right["version"] = right["version"].astype("float64")
    hit = left.merge(right, how="left", on=list(keys.values()))["_hit"].to_numpy()
    return np.nan_to_num(hit, nan=0.0), ~np.isnan(hit)
