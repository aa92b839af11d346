"""Swing points (pivots), computed without look-ahead, over many symbols at once.

Two stated definitions:

- **Fractal** (``swing_points(high, low, left=k, right=r)``): bar ``i`` is a swing high when
  ``high[i] > high[j]`` for the ``k`` bars before it and ``high[i] >= high[j]`` for the ``r``
  bars after it (ties go to the earlier bar); swing lows mirror it on ``low``. A pivot at bar
  ``i`` is **known at bar** ``i + r``, when its last right-hand bar has closed, never before.
- **Zigzag** (``zigzag(high, low, pct=p)``): a running extreme becomes a swing high on the first
  bar whose low is at least ``p`` below it (a swing low: the first bar whose high is ``p``
  above it); that bar is when it is known. Highs and lows alternate.

Inputs are wide frames (index = bars, columns = symbols) or a Series for one symbol. A pivot
needs complete bars: a NaN inside its window disqualifies it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from optionsintel.errors import GeometryError
from optionsintel.geometry import _kernels

SwingMethod = Literal["fractal", "zigzag"]


@dataclass(frozen=True)
class SwingPoints:
    """Swing highs and lows of a wide frame, each with the bar at which it becomes known.

    Attributes
    ----------
    highs, lows : pandas.DataFrame
        Boolean frames (bars x symbols), True on the pivot's own bar.
    high_known, low_known : pandas.DataFrame
        Integer frames: the 0-based row at which the pivot on that bar is first known
        (-1 where there is no pivot).
    high_price, low_price : pandas.DataFrame
        The high and low frames the pivots were found on (for prices and drawing).
    definition : str
        The definition and its parameters, e.g. ``"fractal(left=3, right=3)"``.
    """

    highs: pd.DataFrame
    lows: pd.DataFrame
    high_known: pd.DataFrame
    low_known: pd.DataFrame
    high_price: pd.DataFrame
    low_price: pd.DataFrame
    definition: str

    def table(self) -> pd.DataFrame:
        """One row per pivot: symbol, kind (+1 high, -1 low), bar, known_bar, time, known, price."""
        parts = []
        for kind, mask, known, price in (
            (1, self.highs, self.high_known, self.high_price),
            (-1, self.lows, self.low_known, self.low_price),
        ):
            rows, cols = np.nonzero(mask.to_numpy())
            known_rows = known.to_numpy()[rows, cols]
            parts.append(
                pd.DataFrame(
                    {
                        "symbol": mask.columns[cols],
                        "kind": np.full(rows.size, kind, dtype=np.int8),
                        "bar": rows,
                        "known_bar": known_rows,
                        "time": mask.index[rows],
                        "known": mask.index[known_rows],
                        "price": price.to_numpy()[rows, cols],
                    }
                )
            )
        out = pd.concat(parts, ignore_index=True)
        return out.sort_values(["symbol", "known_bar", "bar"], kind="stable", ignore_index=True)

    def known_by(self, bar: int) -> pd.DataFrame:
        """The pivots a trader could see once row ``bar`` has closed (``known_bar <= bar``)."""
        table = self.table()
        return table[table["known_bar"] <= bar].reset_index(drop=True)


def as_wide(data: pd.DataFrame | pd.Series, name: str) -> pd.DataFrame:
    """Normalise a Series (one symbol) or a wide frame to a float wide frame."""
    if isinstance(data, pd.Series):
        data = data.to_frame(data.name if data.name is not None else "value")
    if not isinstance(data, pd.DataFrame):
        raise GeometryError(
            f"{name} must be a pandas Series or DataFrame, got {type(data).__name__}"
        )
    return data.astype(np.float64)


def aligned(frames: dict[str, pd.DataFrame | pd.Series]) -> dict[str, pd.DataFrame]:
    """Normalise several inputs and check they share the index and columns of the first."""
    first_input = next(iter(frames.values()))
    if isinstance(first_input, pd.Series):  # one symbol: its name comes from the first Series
        symbol = first_input.name if first_input.name is not None else "value"
        frames = {k: v.rename(symbol) if isinstance(v, pd.Series) else v for k, v in frames.items()}
    wide = {name: as_wide(frame, name) for name, frame in frames.items()}
    first_name, first = next(iter(wide.items()))
    for name, frame in wide.items():
        if not (frame.index.equals(first.index) and frame.columns.equals(first.columns)):
            raise GeometryError(
                f"{name} must have the same index and columns as {first_name}; "
                "align the frames (e.g. DataFrame.reindex_like) first"
            )
    return wide


def symbol_major(frame: pd.DataFrame) -> np.ndarray:
    """The frame as a C-contiguous ``(n_symbols, n_bars)`` float array for the kernels."""
    return np.ascontiguousarray(frame.to_numpy(dtype=np.float64).T)


def pick_kernel(
    parallel: Callable[..., Any], serial: Callable[..., Any], frame: pd.DataFrame
) -> Callable[..., Any]:
    """The threaded kernel for many symbols, its serial twin for a few."""
    return parallel if frame.shape[1] >= _kernels.PARALLEL_FROM else serial


def swing_points(
    high: pd.DataFrame | pd.Series,
    low: pd.DataFrame | pd.Series,
    *,
    left: int = 3,
    right: int = 3,
) -> SwingPoints:
    """Fractal swing highs and lows with ``left``/``right`` bar counts (see module docs).

    Parameters
    ----------
    high, low : pandas.DataFrame or pandas.Series
        Bar highs and lows; wide frames share index (bars) and columns (symbols).
    left, right : int
        Bars before (strictly lower highs) and after (not higher highs) the pivot.

    Returns
    -------
    SwingPoints
        Pivots on their own bar and ``known`` = bar + ``right``.

    Raises
    ------
    GeometryError
        If the frames are not aligned or ``left``/``right`` are below 1.
    """
    if left < 1 or right < 1:
        raise GeometryError(f"left and right must be >= 1 bars, got left={left}, right={right}")
    wide = aligned({"high": high, "low": low})
    hi, lo = wide["high"], wide["low"]
    kernel = pick_kernel(_kernels.fractal_pivots, _kernels.fractal_pivots_serial, hi)
    is_high, is_low = kernel(symbol_major(hi), symbol_major(lo), left, right)
    bars = np.arange(hi.shape[0], dtype=np.int64)[None, :] + right
    return _build(
        hi,
        lo,
        is_high,
        is_low,
        np.where(is_high, bars, -1),
        np.where(is_low, bars, -1),
        f"fractal(left={left}, right={right})",
    )


def zigzag(
    high: pd.DataFrame | pd.Series, low: pd.DataFrame | pd.Series, *, pct: float = 0.05
) -> SwingPoints:
    """Alternating swing points from a causal percentage zigzag (see module docs).

    Parameters
    ----------
    high, low : pandas.DataFrame or pandas.Series
        Bar highs and lows.
    pct : float
        Reversal that confirms the running extreme, as a fraction (0.05 = 5 %).

    Returns
    -------
    SwingPoints
        Pivots on their own bar, each known at the bar that completed the reversal.

    Raises
    ------
    GeometryError
        If the frames are not aligned or ``pct`` is not in (0, 1).
    """
    if not 0 < pct < 1:
        raise GeometryError(f"pct must lie in (0, 1) (0.05 = 5 %), got {pct}")
    wide = aligned({"high": high, "low": low})
    hi, lo = wide["high"], wide["low"]
    kernel = pick_kernel(_kernels.zigzag_pivots, _kernels.zigzag_pivots_serial, hi)
    kind, known = kernel(symbol_major(hi), symbol_major(lo), float(pct))
    is_high, is_low = kind == 1, kind == -1
    return _build(
        hi,
        lo,
        is_high,
        is_low,
        np.where(is_high, known, -1),
        np.where(is_low, known, -1),
        f"zigzag(pct={pct})",
    )


def _build(hi, lo, is_high, is_low, known_h, known_l, definition):  # type: ignore[no-untyped-def]
    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values.T, index=hi.index, columns=hi.columns)

    return SwingPoints(
        frame(is_high), frame(is_low), frame(known_h), frame(known_l), hi, lo, definition
    )
