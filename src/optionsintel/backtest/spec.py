"""What a backtest is asked to do: bars, signals, exits, sizing and the fill model."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from optionsintel.errors import BacktestError

if TYPE_CHECKING:
    from optionsintel.backtest.costs import CostModel

Direction: TypeAlias = Literal["long", "short"]
Execution: TypeAlias = Literal["next_open", "close"]
PortfolioMode: TypeAlias = Literal["shared", "per_symbol"]
SizingKind: TypeAlias = Literal["fixed_amount", "percent_equity", "volatility_target"]
Engine: TypeAlias = Literal["auto", "numba", "rust"]

__all__ = ["BacktestSettings", "Bars", "Engine", "ExitRules", "Sizing", "align_signals"]


@dataclass(frozen=True, eq=False)
class Bars:
    """Wide OHLC frames (index = bars, columns = symbols); ``open`` etc. default to close."""

    close: pd.DataFrame
    open: pd.DataFrame | None = None
    high: pd.DataFrame | None = None
    low: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.close, pd.DataFrame) or self.close.empty:
            raise BacktestError("Bars.close must be a non-empty DataFrame (bars x symbols)")
        if not self.close.index.is_monotonic_increasing or self.close.index.has_duplicates:
            raise BacktestError("Bars.close index must be increasing without duplicates")
        for name in ("open", "high", "low"):
            frame = getattr(self, name)
            if frame is not None and (
                not frame.index.equals(self.close.index)
                or not frame.columns.equals(self.close.columns)
            ):
                raise BacktestError(f"Bars.{name} must have the index and columns of close")

    @classmethod
    def from_close(cls, close: pd.Series | pd.DataFrame) -> Bars:
        """Bars of close prices only (a Series is one symbol named after it)."""
        frame = close.to_frame(close.name or "close") if isinstance(close, pd.Series) else close
        return cls(close=frame.astype(float))

    def field(self, name: str) -> pd.DataFrame:
        """The named price frame, falling back to close."""
        frame = getattr(self, name)
        return self.close if frame is None else frame


@dataclass(frozen=True)
class ExitRules:
    """Exits besides the exit signals (fractions of the entry price; bars in trade)."""

    stop_loss: float | None = None
    target: float | None = None
    trailing_stop: float | None = None
    max_bars: int | None = None

    def __post_init__(self) -> None:
        for name in ("stop_loss", "target", "trailing_stop"):
            value = getattr(self, name)
            if value is not None and not 0 < value < 10:
                raise BacktestError(f"ExitRules.{name} is a positive fraction (0.05 = 5 %)")
        if self.stop_loss is not None and self.trailing_stop is not None:
            raise BacktestError("give stop_loss or trailing_stop, not both")
        if self.max_bars is not None and self.max_bars < 1:
            raise BacktestError("ExitRules.max_bars must be at least 1")


@dataclass(frozen=True)
class Sizing:
    """Position size of each entry.

    ``fixed_amount``: ``amount`` rupees per entry. ``percent_equity``: ``fraction`` of the
    cash free at the order (per-symbol portfolios enter flat, so that is the symbol's
    equity). ``volatility_target``: ``fraction x min(1, target_volatility / sigma)`` with
    ``sigma`` the annualised standard deviation of the last ``lookback`` close-to-close
    returns up to the signal bar (no look-ahead). Quantities are rounded down to multiples
    of ``lot_size`` (1 share for cash equities, the lot for F&O; ``None``: fractional).
    """

    kind: SizingKind = "fixed_amount"
    amount: float = 100_000.0
    fraction: float = 1.0
    target_volatility: float = 0.15
    lookback: int = 20
    lot_size: float | None = 1.0

    def __post_init__(self) -> None:
        # written so that NaN fails every test (NaN <= 0 is False) and infinity is refused
        if not (0 < self.amount < math.inf and 0 < self.fraction <= 1
                and 0 < self.target_volatility < math.inf):  # fmt: skip
            raise BacktestError(
                "Sizing: amount and target_volatility are positive finite numbers; "
                "0 < fraction <= 1"
            )
        if self.lookback < 2:
            raise BacktestError("Sizing.lookback must be at least 2 bars")
        if self.lot_size is not None and self.lot_size <= 0:
            raise BacktestError("Sizing.lot_size must be positive (or None for fractional)")

    def size_arrays(
        self, close: pd.DataFrame, periods_per_year: float
    ) -> tuple[float | np.ndarray, str]:
        """Size per signal bar (a scalar when it is the same on every bar), size type."""
        if self.kind == "fixed_amount":
            return float(self.amount), "value"
        if self.kind == "percent_equity":
            return float(self.fraction), "percent"
        sigma = close.pct_change().rolling(self.lookback).std() * np.sqrt(periods_per_year)
        scale = np.minimum(1.0, self.target_volatility / sigma.to_numpy())
        return self.fraction * np.nan_to_num(scale, nan=0.0), "percent"


def align_signals(
    signals: pd.DataFrame | pd.Series | None, close: pd.DataFrame, name: str
) -> np.ndarray:
    """Boolean array of ``signals`` on the bars and symbols of ``close`` (missing = False)."""
    if signals is None:
        return np.zeros(close.shape, dtype=bool)
    if isinstance(signals, pd.Series):
        if close.shape[1] != 1:
            raise BacktestError(f"{name}: a Series needs one symbol; pass a DataFrame")
        signals = signals.to_frame(close.columns[0])
    if not set(signals.columns) <= set(close.columns):
        extra = sorted(map(str, set(signals.columns) - set(close.columns)))[:5]
        raise BacktestError(f"{name}: symbols without prices: {extra}")
    if not signals.index.isin(close.index).all():
        raise BacktestError(f"{name}: bars without prices (the index must be a subset of close's)")
    if not all(pd.api.types.is_bool_dtype(d) for d in set(signals.dtypes)):
        raise BacktestError(f"{name} must be a boolean frame (bars x symbols)")
    if signals.index.equals(close.index) and signals.columns.equals(close.columns):
        return signals.to_numpy(dtype=bool)  # already aligned: no reindexed copy
    aligned = signals.reindex(index=close.index, columns=close.columns, fill_value=False)
    return aligned.to_numpy(dtype=bool)


@dataclass(frozen=True)
class BacktestSettings:
    """How a backtest trades: what :func:`simulate` and :func:`run_backtest` both take.

    ``direction`` long or short; ``exit_rules`` and ``sizing``; ``costs`` (None:
    frictionless); ``init_cash`` of the whole portfolio (``portfolio="shared"``, cash
    sharing) or of each symbol (``"per_symbol"``); ``execution`` ``"next_open"`` (a signal
    on bar t fills at bar t+1's open) or ``"close"`` (same bar, only when asked);
    ``periods_per_year`` annualises volatility sizing and the metrics; vectorbt's
    ``engine``.
    """

    direction: Direction = "long"
    exit_rules: ExitRules = field(default_factory=ExitRules)
    sizing: Sizing = field(default_factory=Sizing)
    costs: CostModel | None = None
    init_cash: float = 1_000_000.0
    portfolio: PortfolioMode = "shared"
    execution: Execution = "next_open"
    periods_per_year: float = 252.0
    engine: Engine = "auto"

    def __post_init__(self) -> None:
        if self.execution not in ("next_open", "close") or self.direction not in ("long", "short"):
            raise BacktestError("execution is 'next_open' or 'close'; direction 'long' or 'short'")
        if self.portfolio not in ("shared", "per_symbol"):
            raise BacktestError("portfolio is 'shared' (cash sharing) or 'per_symbol'")
        if self.engine not in ("auto", "numba", "rust"):
            raise BacktestError("engine is 'auto', 'numba' or 'rust'")
        if not (0 < self.init_cash < math.inf and 0 < self.periods_per_year < math.inf):
            raise BacktestError("init_cash and periods_per_year must be positive finite numbers")

    @classmethod
    def resolve(
        cls, settings: BacktestSettings | None, overrides: Mapping[str, Any]
    ) -> BacktestSettings:
        """``settings`` (default settings when None) with ``overrides`` applied.

        ``None`` values of ``exit_rules``/``sizing`` mean their defaults.

        Raises
        ------
        BacktestError
            An override that names no setting.
        """
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise BacktestError(f"unknown backtest settings {unknown}; known: {sorted(names)}")
        base = settings or cls()
        kw = dict(overrides)
        for name, default in (("exit_rules", ExitRules), ("sizing", Sizing)):
            if name in kw and kw[name] is None:
                kw[name] = default()
        return replace(base, **kw) if kw else base

    def as_plain(self) -> dict[str, Any]:
        """Every setting as plain values (what a stored run records)."""
        costs = self.costs
        return {
            "direction": self.direction,
            "exit_rules": asdict(self.exit_rules),
            "sizing": asdict(self.sizing),
            "segment": None if costs is None else costs.segment,
            "brokerage": None if costs is None else asdict(costs.brokerage),
            "overrides": {} if costs is None else dict(costs.overrides),
            "init_cash": self.init_cash,
            "portfolio": self.portfolio,
            "execution": self.execution,
            "periods_per_year": self.periods_per_year,
        }
