"""What a stored-data backtest runs on: bars of one provider and entry/exit frames.

A backtest's signals come from one of three sources:

* :class:`PatternSource`: a saved pattern version (pin ``pattern_id@version``) for
  entries and optionally another for exits, evaluated on every bar of the period (with
  the rule's warm-up before it) on the same provider's data;
* :class:`SignalSource`: one of the eight option-chain signals of the ``signals`` table
  at or above a minimum confidence (optionally another signal type for exits). A signal
  stamped at an instant of IST day *D* marks bar *D*; with the default next-open fill it
  trades at the open of *D + 1*, after it was known;
* :class:`CodeSource`: boolean frames computed by the caller (bars x symbols).

Bars are daily OHLC read through :func:`optionsintel.store.reads.read_daily_ohlc` with an
explicit provider; nothing mixes providers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import pandas as pd

from optionsintel._typing import Provider
from optionsintel.backtest.spec import BacktestSettings, Bars, ExitRules, Sizing
from optionsintel.errors import BacktestError, InvalidArgumentError
from optionsintel.signals import SignalType
from optionsintel.store import Store, reads
from optionsintel.store.patterns import parse_pin

Progress: TypeAlias = Callable[[float, str], None]

__all__ = [
    "CodeSource",
    "PatternSource",
    "SignalSource",
    "Source",
    "load_bars",
    "parse_grid",
    "settings_from_plain",
    "source_signals",
]


@dataclass(frozen=True)
class PatternSource:
    """Entries where pattern version ``entry`` holds; exits where ``exit`` holds."""

    entry: str
    exit: str | None = None

    def __post_init__(self) -> None:
        parse_pin(self.entry)
        if self.exit is not None:
            parse_pin(self.exit)

    @property
    def pins(self) -> tuple[str, ...]:
        """The pattern versions this source pins."""
        return (self.entry,) if self.exit is None else (self.entry, self.exit)

    def describe(self) -> dict[str, Any]:
        """The source as stored with a run."""
        return {"type": "pattern", "entry": self.entry, "exit": self.exit}


@dataclass(frozen=True)
class SignalSource:
    """Entries on bars with a ``signal_type`` signal of at least ``min_confidence``."""

    signal_type: str
    min_confidence: float = 0.0
    exit_signal_type: str | None = None

    def __post_init__(self) -> None:
        known = [s.value for s in SignalType]
        for name in (self.signal_type, self.exit_signal_type):
            if name is not None and name not in known:
                raise InvalidArgumentError(
                    f"unknown signal {str(name)[:40]!r}; one of {', '.join(known)}"
                )
        if not 0 <= float(self.min_confidence) <= 100:
            raise InvalidArgumentError("min_confidence is between 0 and 100")

    pins: tuple[str, ...] = field(default=(), init=False)

    def describe(self) -> dict[str, Any]:
        """The source as stored with a run."""
        return {
            "type": "signal",
            "signal_type": self.signal_type,
            "min_confidence": float(self.min_confidence),
            "exit_signal_type": self.exit_signal_type,
        }


@dataclass(frozen=True, eq=False)
class CodeSource:
    """Boolean entry (and exit) frames computed in code, with a description."""

    entries: pd.DataFrame
    exits: pd.DataFrame | None = None
    description: str = "code"

    pins: tuple[str, ...] = field(default=(), init=False)

    def describe(self) -> dict[str, Any]:
        """The source as stored with a run."""
        return {"type": "code", "description": self.description}


Source: TypeAlias = PatternSource | SignalSource | CodeSource


def _day(value: Any) -> dt.date | None:
    return None if value is None else pd.Timestamp(value).date()


def load_bars(
    store: Store,
    symbols: Sequence[str],
    *,
    provider: Provider,
    start: Any = None,
    end: Any = None,
) -> Bars:
    """Daily OHLC of ``symbols`` from ``provider`` as wide frames (index = trade dates).

    Raises
    ------
    BacktestError
        When the provider has no bars for any symbol in the period, or a symbol has none.
    """
    if not symbols:
        raise BacktestError("choose at least one symbol")
    rows = reads.read_daily_ohlc(
        store, provider=provider, symbols=list(symbols), start=_day(start), end=_day(end)
    )
    if rows.empty:
        raise BacktestError(
            f"provider {provider!r} has no daily bars for {list(symbols)[:5]} in the period; "
            "pick another provider or period"
        )
    rows = rows.assign(trade_date=pd.to_datetime(rows["trade_date"]))
    wide = {
        f: rows.pivot_table(index="trade_date", columns="symbol", values=f, aggfunc="last")
        for f in ("open", "high", "low", "close")
    }
    missing = sorted(set(symbols) - set(wide["close"].columns))
    if missing:
        raise BacktestError(f"provider {provider!r} has no daily bars for {missing[:5]}")
    cols = [s for s in symbols if s in wide["close"].columns]
    close = wide["close"][cols].sort_index()
    other = {f: wide[f].reindex(index=close.index, columns=cols).fillna(close) for f in wide}
    return Bars(close=close, open=other["open"], high=other["high"], low=other["low"])


def _pattern_frames(
    store: Store, src: PatternSource, bars: Bars, provider: Provider, progress: Progress | None
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    from optionsintel.services.patterns import evaluate_pattern

    close = bars.close
    out = []
    for pin in src.pins:
        ev = evaluate_pattern(
            store, pin, provider=provider, symbols=list(close.columns),
            as_of=None, history_from=close.index[0], progress=progress,
        )  # fmt: skip
        matches = ev.result.matches.reindex(index=close.index, columns=close.columns)
        out.append(matches.fillna(False).astype(bool))
    return out[0], (out[1] if len(out) > 1 else None)


def _signal_frame(
    store: Store, signal_type: str, min_conf: float, bars: Bars, provider: Provider
) -> pd.DataFrame:
    close = bars.close
    start = close.index[0].date() - dt.timedelta(days=1)
    end = close.index[-1].date() + dt.timedelta(days=1)
    rows = reads.read_signals(
        store, provider=provider, underlying=list(close.columns), start=start, end=end
    )
    frame = pd.DataFrame(False, index=close.index, columns=close.columns)
    if rows.empty:
        return frame
    rows = rows.loc[(rows["signal_type"] == signal_type) & (rows["confidence"] >= min_conf)]
    ist = pd.to_datetime(rows["snapshot_ts"], utc=True).dt.tz_convert("Asia/Kolkata")
    days = pd.to_datetime(ist.dt.date)
    hits = pd.DataFrame({"day": days.to_numpy(), "symbol": rows["underlying"].to_numpy()})
    hits = hits.loc[hits["day"].isin(close.index)].drop_duplicates()
    for symbol, group in hits.groupby("symbol"):
        frame.loc[group["day"].to_numpy(), symbol] = True
    return frame


def source_signals(
    store: Store,
    source: Source,
    bars: Bars,
    *,
    provider: Provider,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Entry and exit frames of ``source`` on ``bars`` (same provider's data).

    Raises
    ------
    BacktestError
        A code source whose frames do not fit the bars (see ``align_signals``).
    """
    if isinstance(source, PatternSource):
        return _pattern_frames(store, source, bars, provider, progress)
    if isinstance(source, SignalSource):
        entries = _signal_frame(store, source.signal_type, source.min_confidence, bars, provider)
        exits = None
        if source.exit_signal_type is not None:
            exits = _signal_frame(store, source.exit_signal_type, 0.0, bars, provider)
        return entries, exits
    return source.entries, source.exits


_GRID_KEYS = {
    "stop_loss": float, "target": float, "trailing_stop": float, "max_bars": int,
    "amount": float, "fraction": float, "target_volatility": float, "lookback": int,
}  # fmt: skip


def settings_from_plain(plain: Mapping[str, Any]) -> BacktestSettings:
    """Settings from their plain form (``BacktestSettings.as_plain()``, a stored run's).

    Missing keys take their defaults; ``segment=None`` means frictionless (no costs).

    Raises
    ------
    BacktestError
        An unknown key or a value out of range.
    """
    from optionsintel.backtest.costs import SEGMENTS, Brokerage, CostModel

    known = {*BacktestSettings().as_plain(), "costs"}
    unknown = sorted(set(plain) - known)
    if unknown:
        raise BacktestError(f"unknown backtest settings {unknown}; known: {sorted(known)}")
    segment = plain.get("segment", "equity_delivery")
    brokerage = dict(_mapping(plain, "brokerage"))
    sizing = dict(_mapping(plain, "sizing"))
    exit_kw = dict(_mapping(plain, "exit_rules"))
    _choose("segment", segment, (*SEGMENTS, None))
    _choose("brokerage kind", brokerage.get("kind", "flat"), _BROKERAGE)
    _choose("sizing", sizing.get("kind", "fixed_amount"), _SIZING)
    try:
        costs = None
        if segment is not None:
            overrides = {str(k): float(v) for k, v in _mapping(plain, "overrides").items()}
            costs = CostModel(segment=segment, brokerage=Brokerage(**brokerage),
                              overrides=overrides)  # fmt: skip
        return BacktestSettings(
            direction=plain.get("direction", "long"),
            exit_rules=ExitRules(**exit_kw),
            sizing=Sizing(**sizing),
            costs=costs,
            init_cash=float(plain.get("init_cash", 1_000_000.0)),
            portfolio=plain.get("portfolio", "shared"),
            execution=plain.get("execution", "next_open"),
            periods_per_year=float(plain.get("periods_per_year", 252.0)),
        )
    except (TypeError, ValueError) as exc:
        text = " ".join(str(exc).split())[:200]
        raise BacktestError(f"bad backtest settings: {text}") from None


_BROKERAGE = ("flat", "percent", "percent_capped", "zero")
_SIZING = ("fixed_amount", "percent_equity", "volatility_target")


def _mapping(plain: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = plain.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BacktestError(f"setting {name!r} is a mapping of its fields, got {str(value)[:30]!r}")
    return value


def _choose(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        shown = ", ".join(str(a) for a in allowed)
        raise BacktestError(f"{name} {str(value)[:30]!r} is not one of {shown}")


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """A sweep grid from ``name=v1,v2,...`` items (exit and sizing parameters, numbers).

    Raises
    ------
    InvalidArgumentError
        An unknown name, a repeated name, or a value that is not a number.
    """
    grid: dict[str, list[Any]] = {}
    for item in items:
        name, sep, values = str(item).partition("=")
        name = name.strip()
        if not sep or name not in _GRID_KEYS:
            raise InvalidArgumentError(
                f"sweep item {str(item)[:40]!r}: write name=v1,v2 with name one of "
                f"{', '.join(_GRID_KEYS)}"
            )
        if name in grid:
            raise InvalidArgumentError(f"sweep parameter {name!r} is given twice")
        kind = _GRID_KEYS[name]
        try:
            grid[name] = [kind(v.strip()) for v in values.split(",") if v.strip()]
        except ValueError:
            raise InvalidArgumentError(
                f"sweep values of {name!r} must be {kind.__name__} numbers, got {values[:40]!r}"
            ) from None
        if not grid[name]:
            raise InvalidArgumentError(f"sweep parameter {name!r} has no values")
    return grid
