"""Kernels behind the catalogue's operands, over a :class:`~optionsintel.rules.panel.Panel`.

Each kernel takes the operand's parameters and the panel and returns one wide
frame, or a dict of them for multi-output indicators (MACD, Bollinger, pivots),
so a rule naming the MACD line and its signal computes MACD once. Indicators come
from :mod:`optionsintel.research.indicators` and :mod:`optionsintel.chain.vol`;
three are defined here because the research module lacks them (52-week high/low
and relative volume). All are causal: the value at bar t uses bars up to t only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import pandas as pd

from optionsintel.chain.vol import iv_percentile, iv_rank
from optionsintel.research import indicators as ind
from optionsintel.rules.catalogue import OperandSpec
from optionsintel.rules.panel import Panel

KernelOut: TypeAlias = pd.DataFrame | dict[str, pd.DataFrame]
Kernel: TypeAlias = Callable[[OperandSpec, dict[str, Any], Panel], KernelOut]


def _get(spec: OperandSpec, params: dict[str, Any], panel: Panel, i: int = 0) -> pd.DataFrame:
    return panel.frame(spec.datasets_for(params)[i], needed_by=spec.token)


def _hlc(spec: OperandSpec, panel: Panel) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    h, lo, c = (panel.frame(n, needed_by=spec.token) for n in ("high", "low", "close"))
    return h, lo, c


def rolling_high(high: pd.DataFrame, window: int) -> pd.DataFrame:
    """Highest high over the last ``window`` bars, this one included (252 = 52 weeks)."""
    return high.rolling(window, min_periods=window).max()


def rolling_low(low: pd.DataFrame, window: int) -> pd.DataFrame:
    """Lowest low over the last ``window`` bars, this one included."""
    return low.rolling(window, min_periods=window).min()


def relative_volume(volume: pd.DataFrame, window: int) -> pd.DataFrame:
    """Volume over the mean volume of the ``window`` bars before this one.

    Notes
    -----
    ``RVOL_t = V_t / mean(V_{t-window}, ..., V_{t-1})``; NaN when that mean is 0.
    """
    base = volume.rolling(window, min_periods=window).mean().shift(1)
    return volume / base.where(base > 0)


def _rank(fn: Callable[..., Any]) -> Kernel:
    def kernel(spec: OperandSpec, p: dict[str, Any], panel: Panel) -> KernelOut:
        w = int(p["window"])
        return fn(_get(spec, p, panel), window=w, min_periods=min(20, w))  # type: ignore[no-any-return]

    return kernel


KERNELS: dict[str, Kernel] = {
    "field": lambda s, p, panel: _get(s, p, panel),
    "dataset": lambda s, p, panel: _get(s, p, panel),
    "diff": lambda s, p, panel: _get(s, p, panel).diff(int(p["window"])),
    "sma": lambda s, p, panel: ind.sma(_get(s, p, panel), int(p["window"])),
    "ema": lambda s, p, panel: ind.ema(_get(s, p, panel), int(p["span"])),
    "rsi": lambda s, p, panel: ind.rsi(_get(s, p, panel), int(p["window"])),
    "atr": lambda s, p, panel: ind.atr(*_hlc(s, panel), window=int(p["window"])),
    "vwap": lambda s, p, panel: ind.vwap(*_hlc(s, panel), panel.frame("volume", needed_by=s.token)),
    "macd": lambda s, p, panel: ind.macd(
        _get(s, p, panel), int(p["fast"]), int(p["slow"]), int(p["signal"])
    ),
    "bollinger": lambda s, p, panel: ind.bollinger_bands(
        _get(s, p, panel), int(p["window"]), float(p["num_std"])
    ),
    "pivots": lambda s, p, panel: ind.pivots(*_hlc(s, panel)),
    "high_52w": lambda s, p, panel: rolling_high(_get(s, p, panel), int(p["window"])),
    "low_52w": lambda s, p, panel: rolling_low(_get(s, p, panel), int(p["window"])),
    "rvol": lambda s, p, panel: relative_volume(_get(s, p, panel), int(p["window"])),
    "iv_rank": _rank(iv_rank),
    "iv_percentile": _rank(iv_percentile),
}
"""Kernel name (``OperandSpec.kernel``) -> function of (spec, params, panel)."""


def kernel_params(spec: OperandSpec, params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Parameters that determine the kernel's result (the cache key's parameter part).

    Entries sharing a kernel and parameters (MACD line and signal, ``BB_UPPER`` and
    ``BB_PCTB``) share the key, so their kernel runs once; ``field`` and ``dataset``
    kernels are keyed by the dataset they read.
    """
    if spec.kernel in ("field", "dataset", "diff", "iv_rank", "iv_percentile"):
        return (("dataset", spec.datasets_for(params)[0]), *sorted(params.items()))
    return tuple(sorted(params.items()))
