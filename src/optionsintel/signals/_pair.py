"""Two snapshots aligned strike by strike: the inputs every detector reads.

The current snapshot's :class:`~optionsintel.chain._grid.StrikeGrid` fixes the rows;
the previous snapshot's values are looked up by (underlying, expiry, strike). A
strike listed now but not before counts from zero OI; an expiry absent from the
previous snapshot is not analysed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.chain._grid import (
    FloatArray,
    IntArray,
    StrikeGrid,
    align_rows,
    build_grid,
    check_chain,
    group_ids,
    key_values,
    object_values,
)
from optionsintel.chain._kernels import factorize_runs, spread
from optionsintel.chain._market import window_mask, years_to_expiry, years_to_expiry_pairs
from optionsintel.errors import FrameValidationError
from optionsintel.signals.config import MixedProvidersError, SignalConfig
from optionsintel.tz import EXCHANGE_TZ

_IST = EXCHANGE_TZ
#: Contract fields the detectors read from each snapshot (the grids carry only these).
_CUR_FIELDS = ("oi", "volume", "iv", "ltp", "bid", "ask")
_PREV_FIELDS = ("oi", "volume", "ltp")


class _NothingToCompareError(Exception):
    """No (underlying, expiry) is live in ``current`` and present in ``previous``."""


@dataclass
class Pair:
    """Current grid plus the previous snapshot's values on the same strike rows.

    ``cur`` carries the fields ``_CUR_FIELDS`` and ``prev`` only ``_PREV_FIELDS``.
    """

    cur: StrikeGrid
    prev: StrikeGrid
    rows: IntArray  # previous strike row of each current strike row (-1: not listed)
    prev_group: IntArray  # previous group of each current group (-1: expiry not seen)
    active: np.ndarray  # current groups analysed (matched, unexpired, nearest N)
    window: np.ndarray  # strike rows in the near-the-money window
    t: FloatArray  # years to expiry per current group
    # arrays several detectors share; treat them as read-only
    cache: dict[object, Any] = field(default_factory=dict, compare=False, repr=False)

    def prev_side(self, field: str, fill: float = np.nan) -> tuple[FloatArray, FloatArray]:
        """Previous CE and PE values of ``field`` on the current rows (``fill`` if absent)."""
        key = ("prev_side", field, fill)
        if key not in self.cache:
            out = []
            for arr in self.prev.side(field):
                vals = arr[np.maximum(self.rows, 0)]
                out.append(np.where(self.rows >= 0, vals, fill))
            self.cache[key] = (out[0], out[1])
        return self.cache[key]

    @property
    def spot(self) -> FloatArray:
        """Current spot per group."""
        return self.cur.spot

    @property
    def spot_prev(self) -> FloatArray:
        """Previous spot per current group (NaN where the expiry was not seen)."""
        pg = self.prev_group
        return np.where(pg >= 0, self.prev.spot[np.maximum(pg, 0)], np.nan)

    @property
    def same_day(self) -> np.ndarray:
        """Whether each group's previous snapshot is from the same India trading date."""
        now = _ist_days(self.cur.keys["snapshot_ts"])
        before = _ist_days(self.prev.keys["snapshot_ts"])[np.maximum(self.prev_group, 0)]
        return (self.prev_group >= 0) & (now == before)


def _ist_days(ts: pd.Series) -> np.ndarray:
    local = pd.DatetimeIndex(ts).tz_convert(_IST).tz_localize(None)
    return local.to_numpy().astype("datetime64[D]")


def check_providers(*frames: pd.DataFrame | None) -> str:
    """Return the single provider of all frames; raise :class:`MixedProvidersError` if mixed."""
    names: set[str] = set()
    for frame in frames:
        if frame is not None and len(frame):
            codes, uniques = factorize_runs(object_values(frame["provider"]), sort=False)
            names.update(str(u) for u in uniques)
            if (codes < 0).any():
                names.add("nan")
    if len(names) > 1:
        raise MixedProvidersError(
            f"snapshots come from several providers {sorted(names)}; signals compare like "
            "with like, so pass snapshots of one provider (filter on the 'provider' column)"
        )
    return names.pop() if names else ""


def _check_single_snapshot(grid: StrikeGrid, what: str) -> None:
    u = pd.factorize(object_values(grid.keys["underlying"]))[0].astype(np.int64)
    e = pd.factorize(key_values(grid.keys["expiry"]))[0].astype(np.int64)
    pairs = u * (e.max() + 1) + e
    if len(np.unique(pairs)) < len(pairs):
        raise FrameValidationError(
            f"the {what} frame holds several snapshots of one (underlying, expiry); "
            "pass one snapshot per underlying (the history goes in `history`)"
        )


def _active_groups(cur: StrikeGrid, matched: np.ndarray, t: FloatArray, n: int) -> np.ndarray:
    """Nearest ``n`` unexpired, matched expiries of every (underlying, snapshot)."""
    live = matched & (t > 0)
    snap = cur.snapshot_starts()
    csum = np.cumsum(live)
    before = np.concatenate(([0], csum))[snap]
    owner = np.searchsorted(snap, np.arange(cur.n_groups), side="right") - 1
    rank: IntArray = csum - before[owner]
    return live & (rank <= n)


def _group_firsts(gkey: IntArray) -> tuple[IntArray, IntArray]:
    """First row of every group in order of appearance, and each row's index into it."""
    head = np.ones(len(gkey), dtype=bool)
    head[1:] = gkey[1:] != gkey[:-1]
    heads = np.flatnonzero(head)
    uniq, inv = np.unique(gkey[heads], return_inverse=True)
    first = np.full(len(uniq), len(gkey))
    np.minimum.at(first, inv, heads)
    appearance = np.argsort(first, kind="stable")
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[appearance] = np.arange(len(uniq))
    return first[appearance], spread(rank[inv], heads, len(gkey))


def _pair_codes(frames: list[pd.DataFrame], firsts: list[IntArray]) -> list[IntArray]:
    """Joint (underlying, expiry) code of every group of every frame."""
    parts = {}
    for col in ("underlying", "expiry"):
        vals = [key_values(f[col])[r] for f, r in zip(frames, firsts, strict=True)]
        parts[col] = pd.factorize(np.concatenate(vals))[0].astype(np.int64)
    joint = parts["underlying"] * (parts["expiry"].max() + 1) + parts["expiry"]
    return np.split(joint, np.cumsum([len(r) for r in firsts])[:-1])


def _nearest_groups(current: pd.DataFrame, firsts: IntArray, n: int) -> np.ndarray:
    """Whether each group is among the ``n`` nearest unexpired expiries of its underlying."""
    ts = pd.DatetimeIndex(current["snapshot_ts"].array.take(firsts))
    expiry = pd.DatetimeIndex(current["expiry"].array.take(firsts))
    live = years_to_expiry_pairs(ts, expiry.to_numpy().astype("datetime64[D]")) > 0
    u_codes = factorize_runs(object_values(current["underlying"])[firsts])[0]
    idx = np.flatnonzero(live)
    idx = idx[np.lexsort((expiry.asi8[idx], u_codes[idx]))]  # stable, as sort_values
    u = u_codes[idx]
    first = np.ones(len(idx), dtype=bool)
    first[1:] = u[1:] != u[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(len(idx)), 0))
    keep = np.zeros(len(firsts), dtype=bool)
    keep[idx[np.arange(len(idx)) - start < n]] = True
    return keep


def _restricted_rows(
    previous: pd.DataFrame, current: pd.DataFrame, n: int
) -> tuple[tuple[IntArray, IntArray], tuple[IntArray, IntArray]]:
    """Rows (and group ids) of both frames on the ``n`` nearest live expiries of ``current``.

    Matching is by (underlying, expiry), as for the whole frames, but computed once
    per group instead of per contract.
    """
    out = []
    gkeys = [group_ids(previous), group_ids(current)]
    located = [_group_firsts(g) for g in gkeys]
    firsts = [f for f, _ in located]
    codes = _pair_codes([previous, current], firsts)
    kept = codes[1][_nearest_groups(current, firsts[1], n)]
    for gkey, (_, group_of_row), code in zip(gkeys, located, codes, strict=True):
        rows = np.flatnonzero(np.isin(code, kept)[group_of_row])
        out.append((rows, gkey))
    return out[0], out[1]


def build_pair(previous: pd.DataFrame, current: pd.DataFrame, config: SignalConfig) -> Pair:
    """Align ``previous`` on ``current`` (see the module docstring).

    Only the ``config.max_expiries`` nearest unexpired expiries of each underlying are
    kept, before any reshaping.
    """
    check_chain(previous)
    check_chain(current)
    (p_rows, p_key), (c_rows, c_key) = _restricted_rows(previous, current, config.max_expiries)
    if len(c_rows) == 0 or len(p_rows) == 0:
        raise _NothingToCompareError
    cur = build_grid(current, _CUR_FIELDS, rows=c_rows, gkey=c_key)
    prev = build_grid(previous, _PREV_FIELDS, rows=p_rows, gkey=p_key)
    _check_single_snapshot(cur, "current")
    _check_single_snapshot(prev, "previous")
    rows = align_rows(cur, prev)
    prev_group_of_row = np.where(rows >= 0, prev.group[np.maximum(rows, 0)], -1)
    prev_group = np.maximum.reduceat(prev_group_of_row, cur.starts)
    t = years_to_expiry(cur)
    active = _active_groups(cur, prev_group >= 0, t, config.max_expiries)
    window = window_mask(cur, config.window_strikes, None)
    return Pair(cur, prev, rows, prev_group, active, window, t)


def top_rows(pair: Pair, score: FloatArray, mask: np.ndarray, k: int) -> list[list[float]]:
    """Per group, the strikes of the ``k`` rows with the largest ``score`` under ``mask``."""
    grid = pair.cur
    s = np.where(mask & np.isfinite(score), score, -np.inf)
    picks = grid.top_k(s, k)
    ok = (picks >= 0) & np.isfinite(s[np.maximum(picks, 0)])
    strikes = np.where(ok, grid.strike[np.maximum(picks, 0)], np.nan).tolist()
    # scores descend along a row, so the usable picks come first
    return [row[:n] for row, n in zip(strikes, ok.sum(axis=1).tolist(), strict=True)]
