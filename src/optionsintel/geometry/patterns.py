"""Chart-pattern detectors over swing points, for many symbols at once.

Triangles, wedges, channels, flags, double tops/bottoms, head and shoulders, and their
breakouts.

Definitions and tolerances are in ``docs/chart_patterns.md`` and on :class:`PatternParams`.
A detection is a snapshot of a pattern as known at ``known_bar`` (the bar its last pivot
became known); nothing before ``known_bar`` may use it, and its breakout only from
``breakout_bar`` on. Lines are ``price = slope * bar + intercept`` with ``bar`` the 0-based
row of the input frames, so a chart extends them by their slope in time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Literal

import numpy as np
import pandas as pd

from optionsintel.errors import GeometryError
from optionsintel.geometry import _detect as K  # noqa: N812 - the kernel's namespace
from optionsintel.geometry._kernels import PARALLEL_FROM
from optionsintel.geometry.pivots import SwingPoints, aligned, swing_points, symbol_major
from optionsintel.research.indicators import atr

PatternName = Literal[
    "ascending_triangle",
    "descending_triangle",
    "symmetrical_triangle",
    "rising_wedge",
    "falling_wedge",
    "channel_up",
    "channel_down",
    "rectangle",
    "bull_flag",
    "bear_flag",
    "bull_pennant",
    "bear_pennant",
    "double_top",
    "double_bottom",
    "head_and_shoulders",
    "inverse_head_and_shoulders",
]
PATTERNS: tuple[str, ...] = PatternName.__args__  # type: ignore[attr-defined]
"""Pattern names, in the order of the kernel's codes."""

COLUMNS = (
    "symbol",
    "pattern",
    "start_bar",
    "end_bar",
    "known_bar",
    "start",
    "end",
    "known",
    "upper_slope",
    "upper_intercept",
    "lower_slope",
    "lower_intercept",
    "upper_touches",
    "lower_touches",
    "residual",
    "breakout_bar",
    "breakout",
    "breakout_direction",
    "breakout_level",
    "volume_ratio",
    "volume_confirmed",
)
"""Columns of :func:`detect_patterns`' frame (one row per detection)."""


@dataclass(frozen=True)
class PatternParams:
    """Tolerances of the detectors (fractions are of price unless said otherwise).

    ``flat_tol`` and the slopes it judges are measured in units of the pattern's initial
    height (upper minus lower line at the first bar) over its span: a line is *flat* when it
    moves at most ``flat_tol`` heights from first to last pivot.
    """

    min_bars: int = 10  # shortest span, first to last pivot
    max_bars: int = 120  # longest span
    flat_tol: float = 0.2  # |line move over span| / initial height for "flat"
    converge_tol: float = 0.2  # converging: final height < (1 - tol) x initial height
    parallel_tol: float = 0.2  # parallel: |final / initial height - 1| <= tol
    contain_tol: float = 0.005  # closes may poke this far (fraction) outside the lines
    touch_tol: float = 0.01  # an older pivot within this fraction of a line is a touch
    breakout_tol: float = 0.005  # a close this far beyond a line is a breakout
    max_wait: int = 60  # bars after known_bar searched for a breakout
    volume_window: int = 20  # bars of the average volume a breakout is compared with
    volume_multiple: float = 1.5  # breakout volume / average volume to be "confirmed"
    pole_bars: int = 15  # flag pole: bars before the consolidation
    pole_pct: float = 0.08  # flag pole: minimum move
    flag_max_bars: int = 30  # a flag/pennant is a consolidation at most this long
    flag_retrace: float = 0.5  # consolidation height <= this fraction of the pole
    double_tol: float = 0.02  # the two tops (bottoms) differ by at most this fraction
    double_depth: float = 0.03  # neckline at least this far from the nearer top (bottom)
    double_min_sep: int = 10  # bars between the two tops (bottoms)
    hs_head: float = 0.02  # head beyond the higher shoulder by at least this fraction
    hs_shoulder_tol: float = 0.04  # shoulders differ by at most this fraction of the head
    hs_neck_tol: float = 0.5  # neckline moves at most this fraction of the head's height
    min_touches: int = 5  # triangles, wedges, channels, flags: pivots on the two lines
    min_height: float = 0.02  # pattern height (first bar; head to neckline) / price
    min_height_atr: float = 3.0  # pattern height in ATRs (14-bar ATR at the known bar)
    # triangles, wedges, channels, rectangles: height in ATRs (random walks form low ones;
    # 5 instead of 3 doubled their precision on planted paths at no loss of recall)
    consolidation_height_atr: float = 5.0
    atr_window: int = 14

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not np.isfinite(value) or value < 0:
                raise GeometryError(f"PatternParams.{f.name} must be finite and >= 0, got {value}")
        if self.min_bars > self.max_bars:
            raise GeometryError("PatternParams.min_bars must not exceed max_bars")

    def to_array(self) -> np.ndarray:
        """The kernel's parameter vector (slots ``_detect.P_*``)."""
        p = self
        return np.array(
            [
                p.min_bars,
                p.max_bars,
                p.flat_tol,
                p.converge_tol,
                p.parallel_tol,
                p.contain_tol,
                p.touch_tol,
                p.breakout_tol,
                p.max_wait,
                p.volume_window,
                p.pole_bars,
                p.pole_pct,
                p.flag_max_bars,
                p.flag_retrace,
                p.double_tol,
                p.double_depth,
                p.double_min_sep,
                p.hs_head,
                p.hs_shoulder_tol,
                p.hs_neck_tol,
                p.min_touches,
                p.min_height,
                p.min_height_atr,
                p.consolidation_height_atr,
            ],
            dtype=np.float64,
        )


@dataclass(frozen=True)
class Detection:
    """One detected pattern: where it is, its lines and its breakout (see module docs)."""

    symbol: str
    pattern: str
    start_bar: int
    end_bar: int
    known_bar: int
    start: pd.Timestamp
    end: pd.Timestamp
    known: pd.Timestamp
    upper_slope: float
    upper_intercept: float
    lower_slope: float
    lower_intercept: float
    upper_touches: int
    lower_touches: int
    residual: float
    breakout_bar: int
    breakout: pd.Timestamp | None
    breakout_direction: int
    breakout_level: float
    volume_ratio: float
    volume_confirmed: bool

    def upper_at(self, bar: int | np.ndarray) -> float | np.ndarray:
        """The upper line's price at row ``bar`` (extended by its slope)."""
        return self.upper_slope * bar + self.upper_intercept

    def lower_at(self, bar: int | np.ndarray) -> float | np.ndarray:
        """The lower line's price at row ``bar`` (extended by its slope)."""
        return self.lower_slope * bar + self.lower_intercept

    def explain(self) -> str:
        """One sentence for a chart tooltip or an alert."""
        name = self.pattern.replace("_", " ")
        text = (
            f"{self.symbol}: {name} from {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d} "
            f"(known {self.known:%Y-%m-%d}); upper line {self.upper_at(self.end_bar):.2f}, "
            f"lower line {self.lower_at(self.end_bar):.2f} at the last pivot"
        )
        if self.breakout_bar < 0:
            return text + "; no breakout yet"
        side = "breakout above" if self.breakout_direction > 0 else "breakdown below"
        vol = "" if np.isnan(self.volume_ratio) else f" on {self.volume_ratio:.1f}x average volume"
        return text + f"; {side} {self.breakout_level:.2f} on {self.breakout:%Y-%m-%d}{vol}"


def detect_patterns(
    high: pd.DataFrame | pd.Series,
    low: pd.DataFrame | pd.Series,
    close: pd.DataFrame | pd.Series,
    volume: pd.DataFrame | pd.Series | None = None,
    *,
    swings: SwingPoints | None = None,
    params: PatternParams | None = None,
) -> pd.DataFrame:
    """Every pattern of :data:`PATTERNS` in every symbol, with lines and breakouts.

    Parameters
    ----------
    high, low, close : pandas.DataFrame or pandas.Series
        Wide frames (index = bars, columns = symbols) or Series for one symbol.
    volume : pandas.DataFrame or pandas.Series, optional
        Bar volumes; without them ``volume_ratio`` is NaN and ``volume_confirmed`` False.
    swings : SwingPoints, optional
        Pivots from :func:`swing_points` or :func:`zigzag` on the same frames; default
        ``swing_points(high, low, left=3, right=3)``.
    params : PatternParams, optional
        Tolerances; default ``PatternParams()``.

    Returns
    -------
    pandas.DataFrame
        One row per detection with :data:`COLUMNS`; ``breakout_bar`` is -1 (``breakout``
        NaT) when no close crossed a line within ``max_wait`` bars.

    Raises
    ------
    GeometryError
        If the frames are not aligned or the swing points belong to other frames.
    """
    params = params or PatternParams()
    frames = {"high": high, "low": low, "close": close}
    if volume is not None:
        frames["volume"] = volume
    wide = aligned(frames)
    hi, lo, cl = wide["high"], wide["low"], wide["close"]
    vol = wide.get("volume", pd.DataFrame(np.nan, index=cl.index, columns=cl.columns))
    swings = swings if swings is not None else swing_points(hi, lo)
    if not (swings.highs.index.equals(cl.index) and swings.highs.columns.equals(cl.columns)):
        raise GeometryError("swings must be computed on the same high/low frames as the prices")
    is_high = np.ascontiguousarray(swings.highs.to_numpy().T)
    is_low = np.ascontiguousarray(swings.lows.to_numpy().T)
    per_symbol = K.MAX_PER_PIVOT * (is_high.sum(axis=1) + is_low.sum(axis=1))
    offsets = np.concatenate([[0], np.cumsum(per_symbol)]).astype(np.int64)
    kernel = K.detect if cl.shape[1] >= PARALLEL_FROM else K.detect_serial
    out, counts = kernel(
        symbol_major(hi),
        symbol_major(lo),
        symbol_major(cl),
        symbol_major(vol),
        symbol_major(atr(hi, lo, cl, params.atr_window)),
        is_high,
        is_low,
        np.ascontiguousarray(swings.high_known.to_numpy(np.int64).T),
        np.ascontiguousarray(swings.low_known.to_numpy(np.int64).T),
        params.to_array(),
        offsets,
    )
    first = np.cumsum(counts) - counts  # vectorised gather of each symbol's filled slots
    keep = np.repeat(offsets[:-1], counts) + np.arange(counts.sum()) - np.repeat(first, counts)
    rows = out[keep]
    rows = rows[np.lexsort((rows[:, K.F_CODE], rows[:, K.F_KNOWN], rows[:, K.F_SYM]))]
    return _frame(rows, cl.index, cl.columns, params)


def _frame(
    rows: np.ndarray, index: pd.Index, columns: pd.Index, params: PatternParams
) -> pd.DataFrame:
    bar = {
        n: rows[:, getattr(K, f"F_{n}")].astype(np.int64)
        for n in ("START", "END", "KNOWN", "BRK_BAR")
    }
    brk = bar["BRK_BAR"]
    ratio = rows[:, K.F_VOL_RATIO]
    frame = pd.DataFrame(
        {
            "symbol": np.asarray(columns)[rows[:, K.F_SYM].astype(np.int64)],
            "pattern": np.asarray(PATTERNS)[rows[:, K.F_CODE].astype(np.int64)],
            "start_bar": bar["START"],
            "end_bar": bar["END"],
            "known_bar": bar["KNOWN"],
            "start": index[bar["START"]],
            "end": index[bar["END"]],
            "known": index[bar["KNOWN"]],
            "upper_slope": rows[:, K.F_US],
            "upper_intercept": rows[:, K.F_UI],
            "lower_slope": rows[:, K.F_LS],
            "lower_intercept": rows[:, K.F_LI],
            "upper_touches": rows[:, K.F_UT].astype(np.int64),
            "lower_touches": rows[:, K.F_LT].astype(np.int64),
            "residual": rows[:, K.F_RES],
            "breakout_bar": brk,
            "breakout": pd.Series(index[np.maximum(brk, 0)]).where(brk >= 0).to_numpy(),
            "breakout_direction": rows[:, K.F_BRK_DIR].astype(np.int64),
            "breakout_level": rows[:, K.F_BRK_LEVEL],
            "volume_ratio": ratio,
            "volume_confirmed": np.nan_to_num(ratio, nan=0.0) >= params.volume_multiple,
        }
    )
    return frame  # rows come sorted by symbol, known_bar, pattern code


def detections(frame: pd.DataFrame) -> list[Detection]:
    """The rows of :func:`detect_patterns` as :class:`Detection` records (for drawing)."""
    names = [f.name for f in fields(Detection)]
    out = []
    for rec in frame[names].to_dict("records"):
        brk = rec["breakout"]
        rec["breakout"] = None if pd.isna(brk) else pd.Timestamp(brk)
        out.append(Detection(**rec))
    return out


def detection_dict(detection: Detection) -> dict[str, object]:
    """A JSON-friendly dict of a detection (timestamps as ISO strings)."""
    return {
        k: (v.isoformat() if isinstance(v, pd.Timestamp) else v)
        for k, v in asdict(detection).items()
    }
