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
* ``pattern_matches``: ``symbol, pattern, version``; ``scan_matches``: ``symbol, scan_id``
  (each with an optional boolean ``matched``: see :func:`matches`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optionsintel.alerts._panel import Panel, keyed_sums
from optionsintel.alerts.book import SIGNAL_BITS, STRENGTH_RANK, as_int

Measured = tuple[np.ndarray, np.ndarray]


def _direction_fires(
    change: np.ndarray, threshold: np.ndarray, direction: np.ndarray
) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.where(
            direction > 0,
            change >= threshold,
            np.where(direction < 0, change <= -threshold, np.abs(change) >= threshold),
        )


def price(rows: pd.DataFrame, panel: Panel | None, now_ns: int) -> Measured:
    """PRICE: level above/below, a cross since the previous tick, or % change over a window."""
    n = len(rows)
    if panel is None:
        return np.full(n, np.nan), np.zeros(n, bool)
    ci = panel.col(rows["instrument"].to_numpy())
    now = np.full(n, now_ns, dtype="int64")
    cur = panel.at("ltp", ci, now)
    level = rows["value"].to_numpy()
    op = rows["sub"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        prev = panel.at("ltp", ci, now, offset=1)
        window = np.nan_to_num(rows["window_s"].to_numpy(), nan=0.0)
        base = panel.at("ltp", ci, now - (window * 1e9).astype("int64"))
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


def volume_spike(rows: pd.DataFrame, panel: Panel | None) -> Measured:
    """VOLUME_SPIKE: latest interval volume over the mean of the ``window`` before it."""
    n = len(rows)
    if panel is None or "volume" not in panel.values:
        return np.full(n, np.nan), np.zeros(n, bool)
    cum = panel.values["volume"]
    step = np.diff(cum, axis=0, prepend=np.nan)
    step = np.where(step < 0, cum, step)  # a drop in cumulative volume starts a new session
    csum = np.vstack([np.zeros((1, cum.shape[1])), np.nancumsum(step, axis=0)])
    ci = panel.col(rows["instrument"].to_numpy())
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


def volatility(rows: pd.DataFrame, panel: Panel | None, now_ns: int) -> Measured:
    """VOLATILITY: ATM IV level or change (vol points), or IV rank, of the nearest expiry."""
    n = len(rows)
    if panel is None:
        return np.full(n, np.nan), np.zeros(n, bool)
    metric = rows["sub"].to_numpy()
    now = np.full(n, now_ns, dtype="int64")
    ci = panel.col(rows["instrument"].to_numpy())
    cur_iv = panel.at("atm_iv", ci, now)
    window = np.nan_to_num(rows["window_s"].to_numpy(), nan=0.0)
    change = cur_iv - panel.at("atm_iv", ci, now - (window * 1e9).astype("int64"))
    rank = panel.at("iv_rank", ci, now)
    value = np.select([metric == "atm_iv", metric == "atm_iv_change"], [cur_iv, change], rank)
    threshold, op = rows["value"].to_numpy(), rows["op"].to_numpy()
    with np.errstate(invalid="ignore"):
        fires = np.where(op > 0, value > threshold, value < threshold)
    return value, fires & ~np.isnan(value)


def _oi_key(scope: np.ndarray, inst: np.ndarray, day: np.ndarray, strike: np.ndarray,
            side: np.ndarray) -> np.ndarray:  # fmt: skip
    """One int64 per (scope, instrument, expiry day, strike in paise, side)."""
    key = (scope.astype("int64") * 1024 + inst) * 65536 + day
    return (key * (1 << 28) + np.round(strike * 100).astype("int64")) * 4 + side


def oi_change(rows: pd.DataFrame, chain: pd.DataFrame | None) -> Measured:
    """OI_CHANGE: summed OI change of one strike, one expiry or the chain, one side or both."""
    n = len(rows)
    if chain is None or chain.empty:
        return np.full(n, np.nan), np.zeros(n, bool)
    codes, uniques = pd.factorize(chain["underlying"].to_numpy())
    day = chain["expiry"].to_numpy(dtype="datetime64[D]").astype("int64")
    strike = chain["strike"].to_numpy(dtype="float64")
    side = np.where(chain["option_type"].to_numpy(dtype=object) == "CE", 0, 1)
    zero = np.zeros(len(chain), dtype="int64")
    keys = [
        _oi_key(zero + sc, codes, d, k, s)
        for sc, d, k in ((0, day, strike), (1, day, 0.0 * strike), (2, zero, 0.0 * strike))
        for s in (side, zero + 2)
    ]
    oi, chg = chain["oi"].to_numpy(dtype="float64"), chain["oi_change"].to_numpy(dtype="float64")
    r_inst = pd.Index(uniques).get_indexer(rows["instrument"].to_numpy())
    r_key = _oi_key(
        rows["scope_code"].to_numpy(),
        r_inst,
        rows["expiry_day"].to_numpy(),
        rows["strike"].to_numpy(dtype="float64"),
        rows["side_code"].to_numpy(),
    )
    r_key = np.where(r_inst >= 0, r_key, -1)
    total_oi, change = keyed_sums(np.concatenate(keys), [np.tile(oi, 6), np.tile(chg, 6)], r_key)
    prev = total_oi - change
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(prev > 0, change / prev * 100.0, np.nan)
    value = np.where(rows["measure"].to_numpy() == "pct", pct, change)
    fires = _direction_fires(value, rows["value"].to_numpy(), rows["direction"].to_numpy())
    return value, fires & ~np.isnan(value)


def signal(rows: pd.DataFrame, signals: pd.DataFrame | None) -> Measured:
    """SIGNAL: the strongest matching signal's confidence (type, confidence, strength bars)."""
    n = len(rows)
    value = np.full(n, np.nan)
    if signals is None or signals.empty:
        return value, np.zeros(n, bool)
    s_inst = signals["underlying"].to_numpy(dtype=object)
    s_bit = signals["signal_type"].map(SIGNAL_BITS).fillna(0).to_numpy(dtype="int64")
    s_rank = signals["strength"].map(STRENGTH_RANK).fillna(-1).to_numpy(dtype="float64")
    s_conf = signals["confidence"].to_numpy(dtype="float64")
    # a tick has a few dozen signals: a (rules x signals) boolean matrix is cheap
    ok = (
        (rows["instrument"].to_numpy(dtype=object)[:, None] == s_inst[None, :])
        & ((as_int(rows["signal_mask"])[:, None] & s_bit[None, :]) != 0)
        & (s_conf[None, :] >= rows["min_confidence"].to_numpy()[:, None])
        & (s_rank[None, :] >= rows["min_strength"].to_numpy()[:, None])
    )
    best = np.where(ok, s_conf[None, :], -np.inf).max(axis=1)
    value[best > -np.inf] = best[best > -np.inf]
    return value, ~np.isnan(value)


def matches(rows: pd.DataFrame, found: pd.DataFrame | None, keys: tuple[str, ...]) -> Measured:
    """PATTERN / SCAN: 1.0 where a match row names the instrument and the pinned id.

    ``keys`` are the match frame's columns in the order of the book's ``match_key``.
    Without a ``matched`` column every row of ``found`` is a match and every other row
    of the book measured 0 (the evaluation covered everything). With a boolean
    ``matched`` column, ``found`` lists what was evaluated: its rows measure 1 or 0, and
    rows of the book it does not name stay NaN (not evaluated: neither fire nor re-arm).
    """
    n = len(rows)
    if found is None:  # no evaluation ran this tick: neither fires nor clears
        return np.full(n, np.nan), np.zeros(n, bool)
    parts = [found[k].astype("int64").astype(str) if k == "version" else found[k].astype(str)
             for k in keys]  # fmt: skip
    joined = parts[0]
    for p in parts[1:]:
        joined = joined + "\x1f" + p
    wanted = rows["match_key"].to_numpy()
    if "matched" not in found:
        known = pd.Index(joined.to_numpy(dtype=object)).drop_duplicates()
        hit = known.get_indexer(wanted) >= 0
        return hit.astype("float64"), hit
    flag = found["matched"].fillna(False).astype(bool).to_numpy()
    evaluated = pd.Index(joined.to_numpy(dtype=object)).drop_duplicates()
    matched = pd.Index(joined.to_numpy(dtype=object)[flag]).drop_duplicates()
    hit = matched.get_indexer(wanted) >= 0
    value = np.where(evaluated.get_indexer(wanted) >= 0, hit.astype("float64"), np.nan)
    return value, hit
