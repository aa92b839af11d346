"""Chart geometry a technician draws: swing points, trendlines, channels and chart patterns.

Pure and vectorised over wide frames (index = bars, columns = symbols), with numba kernels
parallel over symbols. Nothing here looks ahead: every pivot, line and detection carries the
bar at which it becomes known. See ``docs/chart_patterns.md``.
"""

from optionsintel.geometry.lines import (
    Channel,
    Level,
    Trendline,
    fit_channel,
    fit_trendline,
    horizontal_levels,
    trendlines,
)
from optionsintel.geometry.patterns import (
    COLUMNS,
    PATTERNS,
    Detection,
    PatternParams,
    detect_patterns,
    detection_dict,
    detections,
)
from optionsintel.geometry.pivots import SwingPoints, swing_points, zigzag
from optionsintel.geometry.signals import breakout_direction, pattern_presence, trendline_distance

__all__ = [
    "COLUMNS",
    "PATTERNS",
    "Channel",
    "Detection",
    "Level",
    "PatternParams",
    "SwingPoints",
    "Trendline",
    "breakout_direction",
    "detect_patterns",
    "detection_dict",
    "detections",
    "fit_channel",
    "fit_trendline",
    "horizontal_levels",
    "pattern_presence",
    "swing_points",
    "trendline_distance",
    "trendlines",
    "zigzag",
]
