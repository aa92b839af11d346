"""Kernels behind the catalogue's operands, over a :class:`~optionsintel.rules.panel.Panel`.

Each kernel takes the operand's parameters and the panel and returns one float
array (bars x symbols), or a dict of them for multi-output indicators (MACD, Bollinger, pivots),
so a rule naming the MACD line and its signal computes MACD once. Indicators come
from :mod:`optionsintel.research.indicators` (EMA, RSI, ATR, MACD, VWAP, pivots)
and :mod:`optionsintel.chain.vol` (IV rank/percentile); the windowed ones (SMA,
Bollinger, 52-week high/low, relative volume) run on the 2-D kernels of
:mod:`optionsintel.research._rolling`, the same kernels behind the research
module's ``sma`` and ``bollinger_bands``. All are causal: the value at bar t uses bars up to t.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from optionsintel import geometry as geo
from optionsintel.chain.vol import iv_percentile, iv_rank
from optionsintel.research import indicators as ind
from optionsintel.research._common import FloatArray
from optionsintel.research._rolling import bollinger, rolling_extreme, rolling_mean
from optionsintel.rules.catalogue import OperandSpec
from optionsintel.rules.panel import Panel

KernelOut: TypeAlias = FloatArray | dict[str, FloatArray]
Kernel: TypeAlias = Callable[[OperandSpec, dict[str, Any], Panel], KernelOut]


def _get(spec: OperandSpec, params: dict[str, Any], panel: Panel, i: int = 0) -> FloatArray:
    return panel.array(spec.datasets_for(params)[i], needed_by=spec.token)


def _frame(spec: OperandSpec, params: dict[str, Any], panel: Panel) -> pd.DataFrame:
    return panel.frame(spec.datasets_for(params)[0], needed_by=spec.token)


def _hlc(spec: OperandSpec, panel: Panel) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    h, lo, c = (panel.frame(n, needed_by=spec.token) for n in ("high", "low", "close"))
    return h, lo, c


def _arrays(out: dict[str, pd.DataFrame]) -> dict[str, FloatArray]:
    return {k: v.to_numpy(np.float64) for k, v in out.items()}


def relative_volume(volume: FloatArray, window: int) -> FloatArray:
    """Volume over the mean volume of the ``window`` bars before this one.

    Notes
    -----
    ``RVOL_t = V_t / mean(V_{t-window}, ..., V_{t-1})``; NaN when that mean is 0.
    """
    base = np.full_like(volume, np.nan)
    base[1:] = rolling_mean(volume, window)[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return volume / np.where(base > 0, base, np.nan)


def _diff(x: FloatArray, n: int) -> FloatArray:
    out = np.full_like(x, np.nan)
    out[n:] = x[n:] - x[:-n]
    return out


def _rank(fn: Callable[..., Any]) -> Kernel:
    def kernel(spec: OperandSpec, p: dict[str, Any], panel: Panel) -> KernelOut:
        w = int(p["window"])
        out = fn(_frame(spec, p, panel), window=w, min_periods=min(20, w))
        return out.to_numpy(np.float64)  # type: ignore[no-any-return]

    return kernel


def _patterns(spec: OperandSpec, p: dict[str, Any], panel: Panel) -> KernelOut:
    h, lo, c = _hlc(spec, panel)
    multiple = float(p.get("volume_multiple", 0.0))
    if spec.kernel == "chart_pattern":
        det = geo.detect_patterns(h, lo, c)
        out = geo.pattern_presence(det, c.index, c.columns, p["pattern"], int(p["lookback"]))
        return out.to_numpy(np.float64)
    vol = panel.frame("volume", needed_by=spec.token)
    params = geo.PatternParams(volume_multiple=multiple) if multiple > 0 else None
    det = geo.detect_patterns(h, lo, c, vol, params=params)
    out = geo.breakout_direction(
        det, c.index, c.columns, p["pattern"], int(p["lookback"]), volume_confirmed=multiple > 0
    )
    return out.to_numpy(np.float64)


def _trendline(spec: OperandSpec, p: dict[str, Any], panel: Panel) -> KernelOut:
    h, lo, c = _hlc(spec, panel)
    swings = geo.swing_points(h, lo)
    return geo.trendline_distance(c, swings, p["side"], int(p["points"])).to_numpy(np.float64)


KERNELS: dict[str, Kernel] = {
    "chart_pattern": _patterns,
    "pattern_breakout": _patterns,
    "trendline_distance": _trendline,
    "field": lambda s, p, panel: _get(s, p, panel),
    "dataset": lambda s, p, panel: _get(s, p, panel),
    "diff": lambda s, p, panel: _diff(_get(s, p, panel), int(p["window"])),
    "sma": lambda s, p, panel: rolling_mean(_get(s, p, panel), int(p["window"])),
    "ema": lambda s, p, panel: ind.ema(_frame(s, p, panel), int(p["span"])).to_numpy(),
    "rsi": lambda s, p, panel: ind.rsi(_frame(s, p, panel), int(p["window"])).to_numpy(),
    "atr": lambda s, p, panel: ind.atr(*_hlc(s, panel), window=int(p["window"])).to_numpy(),
    "vwap": lambda s, p, panel: ind.vwap(
        *_hlc(s, panel), panel.frame("volume", needed_by=s.token)
    ).to_numpy(np.float64),
    "macd": lambda s, p, panel: _arrays(
        ind.macd(_frame(s, p, panel), int(p["fast"]), int(p["slow"]), int(p["signal"]))
    ),
    "bollinger": lambda s, p, panel: bollinger(
        _get(s, p, panel), int(p["window"]), float(p["num_std"])
    ),
    "pivots": lambda s, p, panel: _arrays(ind.pivots(*_hlc(s, panel))),
    "high_52w": lambda s, p, panel: rolling_extreme(_get(s, p, panel), int(p["window"]), True),
    "low_52w": lambda s, p, panel: rolling_extreme(_get(s, p, panel), int(p["window"]), False),
    "rvol": lambda s, p, panel: relative_volume(_get(s, p, panel), int(p["window"])),
    "iv_rank": _rank(iv_rank),
    "iv_percentile": _rank(iv_percentile),
}
"""Kernel name (``OperandSpec.kernel``) -> function of (spec, params, panel) -> arrays."""


def kernel_params(spec: OperandSpec, params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Parameters that determine the kernel's result (the cache key's parameter part).

    Entries sharing a kernel and parameters (MACD line and signal, ``BB_UPPER`` and
    ``BB_PCTB``) share the key, so their kernel runs once; ``field`` and ``dataset``
    kernels are keyed by the dataset they read.
    """
    if spec.kernel in ("field", "dataset", "diff", "iv_rank", "iv_percentile"):
        return (("dataset", spec.datasets_for(params)[0]), *sorted(params.items()))
    return tuple(sorted(params.items()))
