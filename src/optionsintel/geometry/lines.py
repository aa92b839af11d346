"""Lines over swing points: trendlines, parallel channels and horizontal levels.

A line is ``price = slope * bar + intercept`` with ``bar`` the 0-based row of the frames it
came from, so it extends by its slope in time. Fits are ordinary least squares; the
*residual* is the root mean square of ``price / line - 1`` over the points fitted (0.01 = the
points sit 1 % off the line on average) and a *touch* is a point within ``touch_tol`` of it.

:func:`trendlines` is the per-bar, no-look-ahead version for rules and scans: at bar ``t``
the resistance (support) line is fitted through the last ``points`` swing highs (lows) known
by ``t``. Horizontal levels cluster swing prices; floor-trader levels from the previous
bar's high, low and close are :func:`optionsintel.research.indicators.pivots`, and
option-chain support/resistance from open interest is in :mod:`optionsintel.chain`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from optionsintel.errors import GeometryError
from optionsintel.geometry import _kernels
from optionsintel.geometry.pivots import SwingPoints, pick_kernel, symbol_major

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Trendline:
    """A fitted line: ``price = slope * bar + intercept`` over rows ``start_bar..end_bar``."""

    slope: float
    intercept: float
    touches: int
    residual: float
    start_bar: int
    end_bar: int

    def at(self, bar: int | FloatArray) -> float | FloatArray:
        """The line's price at row ``bar`` (extended by its slope beyond its points)."""
        return self.slope * bar + self.intercept


@dataclass(frozen=True)
class Channel:
    """Two parallel lines (one shared slope): ``upper`` over highs, ``lower`` over lows."""

    upper: Trendline
    lower: Trendline

    def width_pct(self) -> float:
        """Channel height as a fraction of the lower line at the last bar."""
        bar = max(self.upper.end_bar, self.lower.end_bar)
        low = float(self.lower.at(bar))
        return (float(self.upper.at(bar)) - low) / low


@dataclass(frozen=True)
class Level:
    """A horizontal level where swing points cluster."""

    price: float
    touches: int
    first_bar: int
    last_bar: int


def _points(bars: npt.ArrayLike, prices: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(bars, dtype=np.float64)
    y = np.asarray(prices, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2 or np.unique(x).size < 2:
        raise GeometryError("a line needs at least two points on distinct bars (1-D, same length)")
    if not (np.isfinite(x).all() and np.isfinite(y).all() and (y > 0).all()):
        raise GeometryError("line points must be finite with positive prices")
    return x, y


def _touches(x: FloatArray, y: FloatArray, slope: float, intercept: float, tol: float) -> int:
    return int((np.abs(y / (slope * x + intercept) - 1) <= tol).sum())


def fit_trendline(
    bars: npt.ArrayLike, prices: npt.ArrayLike, *, touch_tol: float = 0.01
) -> Trendline:
    """Least-squares trendline through swing points.

    Parameters
    ----------
    bars, prices : array_like
        Rows and prices of the points (e.g. swing highs for resistance).
    touch_tol : float
        A point within this fraction of the line counts as a touch.

    Returns
    -------
    Trendline

    Raises
    ------
    GeometryError
        Fewer than two distinct bars, or non-finite / non-positive prices.

    Examples
    --------
    >>> line = fit_trendline([0, 10, 20], [100.0, 101.0, 102.0])
    >>> round(line.slope, 6), round(line.intercept, 6), line.touches
    (0.1, 100.0, 3)
    """
    x, y = _points(bars, prices)
    slope, intercept, resid = _kernels.fit_line(x, y)
    touches = _touches(x, y, slope, intercept, touch_tol)
    return Trendline(
        float(slope), float(intercept), touches, float(resid), int(x.min()), int(x.max())
    )


def fit_channel(
    high_bars: npt.ArrayLike,
    highs: npt.ArrayLike,
    low_bars: npt.ArrayLike,
    lows: npt.ArrayLike,
    *,
    touch_tol: float = 0.01,
) -> Channel:
    """Two parallel lines: one slope fitted jointly to highs and lows, one intercept each.

    Notes
    -----
    The shared slope minimises the squared residuals of both groups about their own means:
    ``b = (S_xy^hi + S_xy^lo) / (S_xx^hi + S_xx^lo)`` (pooled within-group regression).
    """
    xh, yh = _points(high_bars, highs)
    xl, yl = _points(low_bars, lows)
    sxy = ((xh - xh.mean()) * (yh - yh.mean())).sum() + ((xl - xl.mean()) * (yl - yl.mean())).sum()
    sxx = ((xh - xh.mean()) ** 2).sum() + ((xl - xl.mean()) ** 2).sum()
    slope = float(sxy / sxx)
    lines = []
    for x, y in ((xh, yh), (xl, yl)):
        intercept = float(y.mean() - slope * x.mean())
        resid = float(np.sqrt(((y / (slope * x + intercept) - 1) ** 2).mean()))
        touches = _touches(x, y, slope, intercept, touch_tol)
        lines.append(Trendline(slope, intercept, touches, resid, int(x.min()), int(x.max())))
    return Channel(lines[0], lines[1])


def horizontal_levels(
    swings: SwingPoints, symbol: str, *, tol: float = 0.01, min_touches: int = 2
) -> list[Level]:
    """Price levels where at least ``min_touches`` swing points of ``symbol`` cluster.

    Swing prices (highs and lows together: a broken resistance becomes support) are sorted
    and grouped while each next price lies within ``tol`` of the group's mean; a group of
    ``min_touches`` or more is a level at its mean price. Strongest (most touches) first.
    """
    table = swings.table()
    table = table[table["symbol"] == symbol].sort_values("price", kind="stable")
    prices, bars = table["price"].to_numpy(), table["bar"].to_numpy()
    levels, group = [], [0] if prices.size else []
    for i in range(1, prices.size):  # one pass over one symbol's few dozen pivots
        if abs(prices[i] / prices[group].mean() - 1) <= tol:
            group.append(i)
            continue
        levels.append(group)
        group = [i]
    if group:
        levels.append(group)
    out = [
        Level(float(prices[g].mean()), len(g), int(bars[g].min()), int(bars[g].max()))
        for g in levels
        if len(g) >= min_touches
    ]
    return sorted(out, key=lambda lv: (-lv.touches, lv.price))


def trendlines(swings: SwingPoints, *, points: int = 3) -> dict[str, pd.DataFrame]:
    """Per-bar resistance and support trendlines, each from pivots known by that bar.

    Parameters
    ----------
    swings : SwingPoints
        From :func:`~optionsintel.geometry.swing_points` or :func:`~optionsintel.geometry.zigzag`.
    points : int
        Swing highs (lows) per line, at least 2.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``resistance_slope``, ``resistance_intercept``, ``resistance_residual``,
        ``support_slope``, ``support_intercept``, ``support_residual`` (bars x symbols) and
        ``resistance``, ``support``: each line's value at the bar itself.
    """
    if points < 2:
        raise GeometryError(f"a trendline needs points >= 2, got {points}")
    bars = np.arange(swings.highs.shape[0], dtype=np.float64)[:, None]
    out: dict[str, pd.DataFrame] = {}
    for name, mask, known, price in (
        ("resistance", swings.highs, swings.high_known, swings.high_price),
        ("support", swings.lows, swings.low_known, swings.low_price),
    ):
        kernel = pick_kernel(_kernels.rolling_lines, _kernels.rolling_lines_serial, mask)
        slope, intercept, resid = kernel(
            symbol_major(price),
            np.ascontiguousarray(mask.to_numpy().T),
            np.ascontiguousarray(known.to_numpy(np.int64).T),
            points,
        )
        for part, values in (("slope", slope), ("intercept", intercept), ("residual", resid)):
            out[f"{name}_{part}"] = pd.DataFrame(values.T, index=mask.index, columns=mask.columns)
        out[name] = out[f"{name}_slope"] * bars + out[f"{name}_intercept"]
    return out
