"""The data a rule is evaluated over: a panel of wide frames, and the indicator cache.

A panel maps dataset names (see :mod:`optionsintel.rules.catalogue`) to wide
frames, index = bars (ascending), columns = symbols. ``close`` fixes the bar index
and the universe; every other frame is aligned to it (missing cells are NaN, never
filled forward here: point-in-time alignment is the reader's job, e.g.
:func:`align_reports` for fundamentals).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.errors import FrameValidationError, RuleDataError


class Panel:
    """Aligned wide frames of one universe over one bar index, cut at ``as_of``.

    Parameters
    ----------
    frames
        Dataset name -> wide frame; must contain ``close``.
    as_of
        Keep only bars at or before this label (point-in-time evaluation); None keeps all.
    """

    def __init__(self, frames: Mapping[str, pd.DataFrame], as_of: Any = None) -> None:
        if "close" not in frames:
            raise RuleDataError("the panel needs a 'close' frame (index = bars, columns = symbols)")
        close = frames["close"]
        if not isinstance(close, pd.DataFrame) or not close.index.is_monotonic_increasing:
            raise FrameValidationError("panel frames must be wide DataFrames with ascending bars")
        if not (close.index.is_unique and close.columns.is_unique):
            raise FrameValidationError("panel bars and symbols must be unique (drop duplicates)")
        if as_of is not None:
            close = close.loc[:as_of]
        if close.empty:
            raise FrameValidationError("the panel has no bars at or before as_of")
        self.index, self.columns = close.index, close.columns
        self._raw = dict(frames)
        self._aligned: dict[str, pd.DataFrame] = {"close": close.astype(np.float64)}
        self._arrays: dict[str, np.ndarray] = {}
        self.as_of = self.index[-1]
        self.fingerprint = _fingerprint(close)

    def cut(self, as_of: Any) -> Panel:
        """Return the same datasets cut at ``as_of`` (bars after it are dropped)."""
        return Panel(self._raw, as_of=as_of)

    def has(self, name: str) -> bool:
        """Return True when the panel holds dataset ``name``."""
        return name in self._raw

    def names(self) -> list[str]:
        """Return the dataset names held."""
        return sorted(self._raw)

    def frame(self, name: str, needed_by: str = "") -> pd.DataFrame:
        """Return dataset ``name`` aligned to the panel's bars and symbols (float).

        Raises
        ------
        RuleDataError
            The dataset is absent; the message names it and the operand needing it.
        """
        if name in self._aligned:
            return self._aligned[name]
        if name not in self._raw:
            who = f" for {needed_by}" if needed_by else ""
            raise RuleDataError(
                f"the rule needs dataset '{name}'{who}, which the panel does not hold; "
                f"add it (held: {', '.join(self.names())})"
            )
        df = self._raw[name]
        if not (df.index.equals(self.index) and df.columns.equals(self.columns)):
            df = df.reindex(index=self.index, columns=self.columns)
        out = df.astype(np.float64)
        self._aligned[name] = out
        return out

    def array(self, name: str, needed_by: str = "") -> np.ndarray:
        """Return dataset ``name`` as a float array (bars x symbols); see :meth:`frame`."""
        if name not in self._arrays:
            # C order: pandas often hands back column-major blocks, and mixing layouts
            # makes every element-wise comparison strided (several times slower)
            self._arrays[name] = np.ascontiguousarray(
                self.frame(name, needed_by).to_numpy(np.float64)
            )
        return self._arrays[name]


def _fingerprint(close: pd.DataFrame) -> str:
    """Universe and bar range, plus the first and last rows as a content check."""
    h = hashlib.blake2b(digest_size=12)
    h.update("\x1f".join(map(str, close.columns)).encode())
    h.update(f"{len(close)}|{close.index[0]}|{close.index[-1]}".encode())
    h.update(np.ascontiguousarray(close.to_numpy(np.float64)[[0, -1]]).tobytes())
    return h.hexdigest()


@dataclass
class IndicatorCache:
    """LRU cache of computed indicators keyed by (kernel, params, universe, as-of).

    Entries assume that history up to ``as_of`` does not change (point-in-time data);
    call :meth:`clear` when corrected data lands. ``hits`` and ``misses`` count the
    indicator-kernel lookups; ``derived_hits``/``derived_misses`` count the derived
    operand entries (an indicator shifted by an offset, a percent change, with its
    missing-value mask) that make a warm evaluation pure comparison.
    """

    max_entries: int = 1024
    hits: int = 0
    misses: int = 0
    derived_hits: int = 0
    derived_misses: int = 0
    _store: OrderedDict[Hashable, Any] = field(default_factory=OrderedDict)

    def get(self, key: Hashable, derived: bool = False) -> Any:
        """Return the cached value or None (counting a hit or a miss)."""
        found = key in self._store
        if derived:
            self.derived_hits += found
            self.derived_misses += not found
        else:
            self.hits += found
            self.misses += not found
        if not found:
            return None
        self._store.move_to_end(key)
        return self._store[key]

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value``, evicting the least recently used entries beyond the bound."""
        self._store[key] = value
        self._store.move_to_end(key)
        while len(self._store) > self.max_entries:
            self._store.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry and reset the counters."""
        self._store.clear()
        self.hits = self.misses = self.derived_hits = self.derived_misses = 0

    def __len__(self) -> int:
        return len(self._store)


def align_reports(
    reports: pd.DataFrame, value: str, bars: pd.Index, symbols: pd.Index
) -> pd.DataFrame:
    """Wide frame of the latest reported ``value`` known at each bar (no look-ahead).

    Parameters
    ----------
    reports
        Long frame with ``symbol``, ``report_date`` (when the figure became public)
        and the ``value`` column.
    value
        The figure to align, e.g. ``"eps_growth"``.
    bars, symbols
        The panel's bar index and universe.

    Returns
    -------
    pandas.DataFrame
        A report counts from its ``report_date`` bar onwards; NaN before the first.
    """
    missing = {"symbol", "report_date", value} - set(reports.columns)
    if missing:
        raise FrameValidationError(f"reports lack column(s) {sorted(missing)}")
    wide = reports.pivot_table(index="report_date", columns="symbol", values=value, aggfunc="last")
    wide = wide.sort_index().ffill()  # a symbol's last report stays known until its next
    if wide.empty:
        return pd.DataFrame(np.nan, index=bars, columns=symbols)
    pos = np.searchsorted(wide.index.to_numpy(), np.asarray(bars), side="right") - 1
    out = wide.reindex(columns=symbols).to_numpy(np.float64)
    vals = np.where(pos[:, None] >= 0, out[np.clip(pos, 0, None)], np.nan)
    return pd.DataFrame(vals, index=bars, columns=symbols)
