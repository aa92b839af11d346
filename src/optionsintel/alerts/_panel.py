"""NumPy kernels of the evaluator: time x instrument panels and keyed sums.

pandas' ``pivot_table``, ``merge`` and ``groupby`` cost milliseconds each in overhead; a
tick evaluates a handful of them for every condition type, so the evaluator builds its
look-up structures with ``np.unique``/``np.bincount``/``np.searchsorted`` instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def instants_ns(values: pd.Series | pd.Index) -> np.ndarray:
    """UTC nanoseconds of timestamps (aware, or naive read as UTC)."""
    return np.asarray(pd.DatetimeIndex(values).as_unit("ns").asi8)


class Panel:
    """Columns of a long frame laid out as forward-filled (time x instrument) matrices.

    Parameters
    ----------
    frame
        Rows with ``underlying`` and ``snapshot_ts`` plus ``columns``.
    columns
        The value columns to lay out.
    now_ns
        Rows after this instant are ignored (the evaluator never looks ahead).
    prefer
        When several rows share a (time, instrument) cell, the one with the smallest
        ``prefer`` value wins (e.g. the nearest expiry); by default the last row.
    """

    def __init__(
        self, frame: pd.DataFrame, columns: Sequence[str], now_ns: int, prefer: str | None = None
    ) -> None:
        ts = instants_ns(frame["snapshot_ts"])
        keep = ts <= now_ns
        self.times, t_idx = np.unique(ts[keep], return_inverse=True)
        codes, uniques = pd.factorize(frame["underlying"].to_numpy()[keep])
        self.columns = pd.Index(uniques)
        n_t, n_c = len(self.times), len(uniques)
        cell = t_idx.astype("int64") * max(n_c, 1) + codes
        rank = (
            np.arange(len(cell))[::-1]
            if prefer is None
            else instants_ns(frame[prefer][keep])
            if np.issubdtype(frame[prefer].dtype, np.datetime64)
            else np.asarray(frame[prefer][keep], dtype="float64")
        )
        order = np.lexsort((rank, cell))
        first = order[np.unique(cell[order], return_index=True)[1]]
        self.values: dict[str, np.ndarray] = {}
        filled_rows = None
        for col in columns:
            raw = np.full((n_t, n_c), np.nan)
            if col in frame:
                vals = np.asarray(frame[col].to_numpy()[keep], dtype="float64")
                raw[t_idx[first], codes[first]] = vals[first]
            if filled_rows is None:
                filled_rows = np.arange(n_t)[:, None]
            idx = np.where(~np.isnan(raw), filled_rows, 0)
            np.maximum.accumulate(idx, axis=0, out=idx)
            self.values[col] = raw[idx, np.arange(n_c)[None, :]]

    def col(self, instruments: np.ndarray) -> np.ndarray:
        """Column index of each instrument (-1 when absent)."""
        return np.asarray(self.columns.get_indexer(instruments))

    def at(self, column: str, ci: np.ndarray, instants: np.ndarray, offset: int = 0) -> np.ndarray:
        """Values at the last time at or before each instant (``offset`` rows earlier)."""
        out = np.full(len(ci), np.nan)
        if not len(self.times):
            return out
        idx = np.searchsorted(self.times, instants, side="right") - 1 - offset
        ok = (idx >= 0) & (ci >= 0)
        out[ok] = self.values[column][idx[ok], ci[ok]]
        return out


def keyed_sums(
    keys: np.ndarray, values: Sequence[np.ndarray], lookup: np.ndarray
) -> list[np.ndarray]:
    """Sum each value array over equal ``keys`` and read the sums at ``lookup`` keys.

    Keys absent from ``keys`` read NaN; a group whose values are all NaN sums to NaN.
    """
    uniq, inverse = np.unique(keys, return_inverse=True)
    pos = np.searchsorted(uniq, lookup)
    pos = np.clip(pos, 0, max(len(uniq) - 1, 0))
    found = (len(uniq) > 0) & (uniq[pos] == lookup) if len(uniq) else np.zeros(len(lookup), bool)
    out = []
    for v in values:
        total = np.bincount(inverse, weights=np.nan_to_num(v), minlength=len(uniq))
        seen = np.bincount(inverse, weights=~np.isnan(v), minlength=len(uniq)) > 0
        res = np.full(len(lookup), np.nan)
        hit = found & seen[pos] if len(uniq) else found
        res[hit] = total[pos[hit]]
        out.append(res)
    return out
