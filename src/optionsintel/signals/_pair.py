"""Two snapshots aligned strike by strike: the inputs every detector reads.

The current snapshot's :class:`~optionsintel.chain._grid.StrikeGrid` fixes the rows;
the previous snapshot's values are looked up by (underlying, expiry, strike). A
strike listed now but not before counts from zero OI; an expiry absent from the
previous snapshot is not analysed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optionsintel.chain._grid import FloatArray, IntArray, StrikeGrid, align_rows, build_grid
from optionsintel.chain._market import window_mask, years_to_expiry
from optionsintel.errors import FrameValidationError
from optionsintel.signals.config import MixedProvidersError, SignalConfig

_IST = "Asia/Kolkata"


class _NothingToCompareError(Exception):
    """No (underlying, expiry) is live in ``current`` and present in ``previous``."""


@dataclass
class Pair:
    """Current grid plus the previous snapshot's values on the same strike rows."""

    cur: StrikeGrid
    prev: StrikeGrid
    rows: IntArray  # previous strike row of each current strike row (-1: not listed)
    prev_group: IntArray  # previous group of each current group (-1: expiry not seen)
    active: np.ndarray  # current groups analysed (matched, unexpired, nearest N)
    window: np.ndarray  # strike rows in the near-the-money window
    t: FloatArray  # years to expiry per current group

    def prev_side(self, field: str, fill: float = np.nan) -> tuple[FloatArray, FloatArray]:
        """Previous CE and PE values of ``field`` on the current rows (``fill`` if absent)."""
        out = []
        for arr in self.prev.side(field):
            vals = arr[np.maximum(self.rows, 0)]
            out.append(np.where(self.rows >= 0, vals, fill))
        return out[0], out[1]

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
            names.update(pd.unique(frame["provider"].astype(str)))
    if len(names) > 1:
        raise MixedProvidersError(
            f"snapshots come from several providers {sorted(names)}; signals compare like "
            "with like, so pass snapshots of one provider (filter on the 'provider' column)"
        )
    return names.pop() if names else ""


def _check_single_snapshot(grid: StrikeGrid, what: str) -> None:
    keys = grid.keys[["underlying", "expiry"]]
    if keys.duplicated().any():
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
    rank = csum - before[owner]
    return live & (rank <= n)


def _nearest_expiries(current: pd.DataFrame, n: int) -> pd.DataFrame:
    """Return the (underlying, expiry) pairs of the ``n`` nearest unexpired expiries."""
    from optionsintel.calendar import years_to_expiry as _yte

    pairs = current[["underlying", "snapshot_ts", "expiry"]].drop_duplicates()
    exp = pd.DatetimeIndex(pairs["expiry"]).to_numpy().astype("datetime64[D]")
    live = pairs[np.asarray(_yte(pd.DatetimeIndex(pairs["snapshot_ts"]), exp)) > 0]
    live = live.sort_values(["underlying", "expiry"], kind="stable")
    u = live["underlying"].to_numpy(dtype=object)
    first = np.ones(len(live), dtype=bool)
    first[1:] = u[1:] != u[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(len(live)), 0))
    return live[np.arange(len(live)) - start < n][["underlying", "expiry"]]


def _restrict(frame: pd.DataFrame, keep: pd.DataFrame) -> pd.DataFrame:
    index = pd.MultiIndex.from_frame(keep)
    mask = pd.MultiIndex.from_arrays([frame["underlying"], frame["expiry"]]).isin(index)
    return frame[mask]


def build_pair(previous: pd.DataFrame, current: pd.DataFrame, config: SignalConfig) -> Pair:
    """Align ``previous`` on ``current`` (see the module docstring).

    Only the ``config.max_expiries`` nearest unexpired expiries of each underlying are
    kept, before any reshaping.
    """
    keep = _nearest_expiries(current, config.max_expiries)
    current, previous = _restrict(current, keep), _restrict(previous, keep)
    if len(current) == 0 or len(previous) == 0:
        raise _NothingToCompareError
    cur, prev = build_grid(current), build_grid(previous)
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
    order = np.lexsort((-s, grid.group))
    rank = np.empty(len(s), dtype=np.int64)
    rank[order] = np.arange(len(s)) - grid.starts[grid.group[order]]
    pick = order[(rank[order] < k) & np.isfinite(s[order])]
    cuts = np.searchsorted(grid.group[pick], np.arange(1, grid.n_groups))
    return [part.tolist() for part in np.split(grid.strike[pick], cuts)]
