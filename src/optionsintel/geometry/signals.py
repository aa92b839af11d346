"""Detections as wide frames (bars x symbols), the shape a rule operand or a scan consumes.

Each frame is causal: the value at bar ``t`` uses only detections known by ``t``
(``known_bar <= t``) and breakouts that have happened by ``t`` (``breakout_bar <= t``).
These are the operands issue 22 asks of the rule language (``PATTERN(name, lookback)``,
``BREAKOUT(name, lookback)``, distance to a trendline in %).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from optionsintel.errors import GeometryError
from optionsintel.geometry.lines import trendlines
from optionsintel.geometry.patterns import PATTERNS
from optionsintel.geometry.pivots import SwingPoints, as_wide


def _windows(
    starts: np.ndarray, cols: np.ndarray, values: np.ndarray, lookback: int, shape: tuple[int, int]
) -> np.ndarray:
    """Sum ``values`` over windows ``[start, start + lookback)`` per column (diff + cumsum)."""
    acc = np.zeros((shape[0] + 1, shape[1]))
    np.add.at(acc, (starts, cols), values)
    np.add.at(acc, (np.minimum(starts + lookback, shape[0]), cols), -values)
    return np.cumsum(acc[:-1], axis=0)


def _select(
    detected: pd.DataFrame, pattern: str, columns: pd.Index, lookback: int
) -> tuple[pd.DataFrame, np.ndarray]:
    if pattern != "any" and pattern not in PATTERNS:
        raise GeometryError(
            f"unknown pattern {pattern!r}; choose 'any' or one of {', '.join(PATTERNS)}"
        )
    if lookback < 1:
        raise GeometryError(f"lookback must be >= 1 bar, got {lookback}")
    rows = detected if pattern == "any" else detected[detected["pattern"] == pattern]
    rows = rows[rows["symbol"].isin(columns)]
    return rows, columns.get_indexer(rows["symbol"])


def pattern_presence(
    detected: pd.DataFrame, index: pd.Index, columns: pd.Index, pattern: str, lookback: int = 20
) -> pd.DataFrame:
    """True at bar ``t`` when a ``pattern`` detection became known in the last ``lookback`` bars.

    Parameters
    ----------
    detected : pandas.DataFrame
        Rows of :func:`~optionsintel.geometry.detect_patterns` on frames with ``index``.
    index, columns : pandas.Index
        The bars and symbols of the output frame.
    pattern : str
        A name of :data:`~optionsintel.geometry.PATTERNS`, or ``"any"``.
    lookback : int
        Bars a detection stays present after its ``known_bar`` (that bar included).
    """
    rows, cols = _select(detected, pattern, columns, lookback)
    sums = _windows(
        rows["known_bar"].to_numpy(), cols, np.ones(len(rows)), lookback, (len(index), len(columns))
    )
    return pd.DataFrame(sums > 0, index=index, columns=columns)


def breakout_direction(
    detected: pd.DataFrame,
    index: pd.Index,
    columns: pd.Index,
    pattern: str,
    lookback: int = 1,
    *,
    volume_confirmed: bool = False,
) -> pd.DataFrame:
    """+1 (-1) at bar ``t`` when a ``pattern`` broke out up (down) in the last ``lookback`` bars.

    0 when none did, or when up and down breakouts of different detections coincide.
    With ``volume_confirmed`` only breakouts on ``volume_multiple`` x average volume count.
    """
    rows, cols = _select(detected, pattern, columns, lookback)
    keep = (rows["breakout_bar"] >= 0).to_numpy()
    if volume_confirmed:
        keep = keep & rows["volume_confirmed"].to_numpy(bool)
    shape = (len(index), len(columns))
    ups = rows["breakout_direction"].to_numpy()[keep]
    starts = rows["breakout_bar"].to_numpy()[keep]
    up = _windows(starts, cols[keep], (ups > 0).astype(float), lookback, shape) > 0
    down = _windows(starts, cols[keep], (ups < 0).astype(float), lookback, shape) > 0
    return pd.DataFrame(up.astype(np.int8) - down.astype(np.int8), index=index, columns=columns)


def trendline_distance(
    close: pd.DataFrame | pd.Series,
    swings: SwingPoints,
    side: Literal["resistance", "support"],
    points: int = 3,
) -> pd.DataFrame:
    """Percent distance of the close from the per-bar trendline: ``100 (close / line - 1)``.

    The line at bar ``t`` is fitted through the last ``points`` swing highs (``resistance``)
    or lows (``support``) known by ``t`` (:func:`~optionsintel.geometry.trendlines`).
    """
    if side not in ("resistance", "support"):
        raise GeometryError(f"side must be 'resistance' or 'support', got {side!r}")
    wide = as_wide(close, "close")
    line = trendlines(swings, points=points)[side]
    if not (line.index.equals(wide.index) and len(line.columns) == len(wide.columns)):
        raise GeometryError("close must have the index and symbols the swing points were found on")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100 * (wide.to_numpy() / line.to_numpy() - 1)
    return pd.DataFrame(
        np.where(line.to_numpy() > 0, out, np.nan), index=wide.index, columns=wide.columns
    )
