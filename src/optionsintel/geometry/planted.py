"""Synthetic price paths with chart patterns planted at known bars, for validating detectors.

Each symbol is a seeded geometric random walk (daily volatility ``noise``) into which one
pattern is planted: the close follows straight legs through the pattern's vertices (prices
relative to the walk's level where the pattern starts) with small bar noise
(``pattern_noise``), then a breakout leg on ``breakout_volume`` x normal volume, then the
walk resumes. The truth table says which pattern sits on which bars, and which detector
names a correct detection of it may carry: geometry nests (the first four pivots of a double
top *are* an ascending triangle; a flag *is* a small falling channel), so a detection is
correct when it overlaps the plant and its name is in the plant's ``accepts``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from optionsintel.errors import GeometryError

# (bar, price multiple) vertices; bar 0 is the pattern's first pivot. The first vertex is the
# lead-in, the last one the end of the breakout leg.
TEMPLATES: dict[str, tuple[tuple[int, float], ...]] = {
    "ascending_triangle": (
        (-8, 1.06),
        (0, 1.0),
        (10, 1.1),
        (20, 1.035),
        (30, 1.1),
        (40, 1.07),
        (52, 1.2),
    ),
    "descending_triangle": (
        (-8, 1.04),
        (0, 1.1),
        (10, 1.0),
        (20, 1.065),
        (30, 1.0),
        (40, 1.03),
        (52, 0.9),
    ),
    "symmetrical_triangle": (
        (-8, 1.06),
        (0, 1.0),
        (10, 1.14),
        (20, 1.03),
        (30, 1.12),
        (40, 1.06),
        (52, 1.18),
    ),
    "rising_wedge": (
        (-8, 1.05),
        (0, 1.1),
        (10, 1.03),
        (20, 1.14),
        (30, 1.09),
        (40, 1.18),
        (52, 1.02),
    ),
    "falling_wedge": (
        (-8, 1.14),
        (0, 1.1),
        (10, 1.17),
        (20, 1.06),
        (30, 1.11),
        (40, 1.02),
        (52, 1.15),
    ),
    "channel_up": (
        (-8, 1.05),
        (0, 1.1),
        (10, 1.02),
        (20, 1.14),
        (30, 1.06),
        (40, 1.18),
        (52, 1.02),
    ),
    "channel_down": (
        (-8, 1.12),
        (0, 1.08),
        (10, 1.16),
        (20, 1.04),
        (30, 1.12),
        (40, 1.0),
        (52, 1.2),
    ),
    "rectangle": ((-8, 1.04), (0, 1.0), (10, 1.08), (20, 1.0), (30, 1.08), (40, 1.0), (52, 1.18)),
    "bull_flag": (
        (-15, 1.0),
        (0, 1.15),
        (5, 1.115),
        (10, 1.135),
        (15, 1.1),
        (20, 1.12),
        (25, 1.085),
        (37, 1.25),
    ),
    "bear_flag": (
        (-15, 1.15),
        (0, 1.0),
        (5, 1.035),
        (10, 1.015),
        (15, 1.05),
        (20, 1.03),
        (25, 1.065),
        (37, 0.92),
    ),
    "bull_pennant": (
        (-15, 1.0),
        (0, 1.15),
        (5, 1.09),
        (10, 1.14),
        (15, 1.1),
        (20, 1.13),
        (25, 1.11),
        (37, 1.25),
    ),
    "bear_pennant": (
        (-15, 1.15),
        (0, 1.0),
        (5, 1.06),
        (10, 1.01),
        (15, 1.05),
        (20, 1.02),
        (25, 1.04),
        (37, 0.92),
    ),
    "double_top": ((-8, 1.05), (0, 1.0), (12, 1.12), (24, 1.05), (36, 1.12), (48, 0.98)),
    "double_bottom": ((-8, 1.07), (0, 1.12), (12, 1.0), (24, 1.07), (36, 1.0), (48, 1.14)),
    "head_and_shoulders": (
        (-8, 1.05),
        (0, 1.0),
        (10, 1.1),
        (20, 1.04),
        (30, 1.16),
        (40, 1.04),
        (50, 1.1),
        (62, 0.97),
    ),
    "inverse_head_and_shoulders": (
        (-8, 1.11),
        (0, 1.16),
        (10, 1.06),
        (20, 1.12),
        (30, 1.0),
        (40, 1.12),
        (50, 1.06),
        (62, 1.19),
    ),
}

ACCEPTS: dict[str, tuple[str, ...]] = {
    "ascending_triangle": ("ascending_triangle",),
    "descending_triangle": ("descending_triangle",),
    "symmetrical_triangle": ("symmetrical_triangle",),
    "rising_wedge": ("rising_wedge",),
    "falling_wedge": ("falling_wedge",),
    "channel_up": ("channel_up",),
    "channel_down": ("channel_down",),
    "rectangle": ("rectangle", "double_top", "double_bottom"),
    "bull_flag": ("bull_flag", "channel_down"),
    "bear_flag": ("bear_flag", "channel_up"),
    "bull_pennant": ("bull_pennant", "symmetrical_triangle"),
    "bear_pennant": ("bear_pennant", "symmetrical_triangle"),
    "double_top": ("double_top", "ascending_triangle"),
    "double_bottom": ("double_bottom", "descending_triangle"),
    "head_and_shoulders": (
        "head_and_shoulders",
        "rising_wedge",
        "channel_up",
        "descending_triangle",
    ),
    "inverse_head_and_shoulders": (
        "inverse_head_and_shoulders",
        "falling_wedge",
        "channel_down",
        "ascending_triangle",
    ),
}
"""Detector names a correct detection overlapping each planted pattern may carry."""


def planted_paths(
    patterns: list[str],
    *,
    n_bars: int = 300,
    seed: int = 0,
    noise: float = 0.01,
    pattern_noise: float = 0.002,
    breakout_volume: float = 2.5,
    background: Literal["noise", "walk"] = "walk",
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """One symbol per entry of ``patterns``, each with that pattern planted once.

    Parameters
    ----------
    patterns : list of str
        Names from :data:`TEMPLATES` (repeat a name for several symbols).
    n_bars : int
        Daily bars per symbol (business days from 2020-01-01).
    seed : int
        Seed of ``np.random.default_rng``.
    noise, pattern_noise : float
        Size (log) of the background's bar noise and of the bars inside the pattern.
    breakout_volume : float
        Volume multiple on the breakout leg.
    background : {"noise", "walk"}
        ``"noise"``: i.i.d. bar noise of size ``noise`` around a slow trend (a walk of
        ``noise / 5`` a bar); ``"walk"``: a random walk of volatility ``noise`` (it forms
        chart patterns of its own, which count as false detections).

    Returns
    -------
    (dict of str to pandas.DataFrame, pandas.DataFrame)
        ``{"high", "low", "close", "volume"}`` wide frames (columns ``S0000``, ...), and the
        truth: symbol, pattern, start_bar, end_bar (first and last pivot) and
        breakout_bar (first bar of the breakout leg).

    Raises
    ------
    GeometryError
        Unknown pattern name, or ``n_bars`` too short to hold a pattern.
    """
    unknown = sorted(set(patterns) - set(TEMPLATES))
    if unknown:
        raise GeometryError(
            f"unknown planted pattern(s) {unknown}; choose from {sorted(TEMPLATES)}"
        )
    if n_bars < 160:
        raise GeometryError(
            f"n_bars must be >= 160 to hold a pattern with room around it, got {n_bars}"
        )
    rng = np.random.default_rng(seed)
    m = len(patterns)
    log_close = np.log(100.0) + _background(rng, background, noise, (n_bars, m))
    volume = rng.lognormal(np.log(1e6), 0.3, (n_bars, m))
    bar_noise = np.full((n_bars, m), 0.005)
    truth = []
    for s, name in enumerate(patterns):  # building test data, not a hot path
        verts = TEMPLATES[name]
        first = int(rng.integers(40, n_bars - 110))
        bars = np.array([first + b for b, _ in verts])
        level = np.log([p for _, p in verts]) + log_close[bars[0], s]
        span = np.arange(bars[0], bars[-1] + 1)
        path = np.interp(span, bars, level) + rng.normal(0.0, pattern_noise, span.size)
        shift = path[-1] - log_close[bars[-1], s]
        log_close[span, s] = path
        log_close[bars[-1] + 1 :, s] += shift
        bar_noise[span, s] = pattern_noise * 1.5
        volume[bars[-2] + 1 : bars[-1] + 1, s] *= breakout_volume
        truth.append((f"S{s:04d}", name, int(bars[1]), int(bars[-2]), int(bars[-2]) + 1))
    close = np.exp(log_close)
    high = close * (1 + np.abs(rng.normal(0.0, 1.0, close.shape)) * bar_noise)
    low = close * (1 - np.abs(rng.normal(0.0, 1.0, close.shape)) * bar_noise)
    index = pd.bdate_range("2020-01-01", periods=n_bars, name="time")
    columns = pd.Index([f"S{s:04d}" for s in range(m)], name="symbol")
    frames = {
        k: pd.DataFrame(v, index=index, columns=columns)
        for k, v in (("high", high), ("low", low), ("close", close), ("volume", volume))
    }
    cols = ["symbol", "pattern", "start_bar", "end_bar", "breakout_bar"]
    return frames, pd.DataFrame(truth, columns=cols)


def _background(
    rng: np.random.Generator, kind: str, noise: float, shape: tuple[int, int]
) -> np.ndarray:
    if kind == "walk":
        return np.cumsum(rng.normal(0.0, noise, shape), axis=0)
    if kind == "noise":
        trend = np.cumsum(rng.normal(0.0, noise / 5, shape), axis=0)
        return trend + rng.normal(0.0, noise, shape)
    raise GeometryError(f"background must be 'noise' or 'walk', got {kind!r}")


def score(detected: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Precision and recall per detector of :func:`detect_patterns` rows against the truth.

    A detection is correct when its ``[start_bar, end_bar]`` overlaps its symbol's planted
    pattern and its name is in that plant's :data:`ACCEPTS`. Precision = correct / all
    detections of the name (background detections count as false); recall = planted
    patterns of the name found by at least one correct detection of that same name.
    """
    det = detected.merge(truth, on="symbol", suffixes=("", "_true"))
    overlap = (det["start_bar"] <= det["end_bar_true"]) & (det["end_bar"] >= det["start_bar_true"])
    names = zip(det["pattern"], det["pattern_true"], strict=True)
    det["correct"] = overlap & np.array([p in ACCEPTS[t] for p, t in names], dtype=bool)
    rows = []
    for name in TEMPLATES:
        mine = det[det["pattern"] == name]
        planted = truth[truth["pattern"] == name]
        found = mine[mine["correct"] & (mine["pattern_true"] == name)]["symbol"].nunique()
        rows.append({
            "pattern": name,
            "detections": len(mine),
            "precision": mine["correct"].mean() if len(mine) else np.nan,
            "planted": len(planted),
            "recall": found / len(planted) if len(planted) else np.nan,
        })  # fmt: skip
    return pd.DataFrame(rows).set_index("pattern")
