"""What an options-leg backtest runs: legs by relative rule, entry, exits, re-entry, fills.

Everything is a frozen dataclass of plain values (so a run's settings serialise into its
stored record with :func:`spec_settings`) and is validated on construction: a bad field
raises :class:`~optionsintel.errors.BacktestError` naming it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypeAlias

from optionsintel.errors import BacktestError

__all__ = [
    "EntryRule",
    "Execution",
    "ExitRule",
    "LegRule",
    "OptionsStrategySpec",
    "spec_settings",
]

StrikeRule: TypeAlias = Literal["atm", "delta", "premium"]
ExpiryRule: TypeAlias = Literal["weekly", "monthly"]


def _fraction(value: float | None, name: str, upper: float = math.inf) -> None:
    if value is None:
        return
    if not isinstance(value, int | float) or not math.isfinite(value) or not 0 < value < upper:
        raise BacktestError(f"{name} must be a number in (0, {upper}), got {value!r}")


def _positive(value: float | None, name: str) -> None:
    if value is None:
        return
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise BacktestError(f"{name} must be a positive number, got {value!r}")


@dataclass(frozen=True)
class LegRule:
    """One leg, chosen afresh at every entry from the chain as it stood.

    Parameters
    ----------
    option_type, side, lots
        ``"CE"``/``"PE"``, ``"buy"``/``"sell"``, lots (> 0).
    strike
        ``"atm"``: the strike nearest the underlying, rounded to the calendar's strike step,
        then ``offset`` steps away (+ higher strikes); ``"delta"``: the strike whose
        |delta| is nearest ``target``; ``"premium"``: the strike whose price is nearest
        ``target`` (rupees per unit).
    expiry, expiry_index
        ``"weekly"``: the ``expiry_index``-th nearest expiry listed that day, of any kind
        (0 = current, 1 = next); ``"monthly"``: the ``expiry_index``-th monthly expiry.
    stop_loss, target
        Per-leg exits as a fraction of the entry premium: a sold leg stops when its price
        rises to ``entry x (1 + stop_loss)`` and takes profit at ``entry x (1 - target)``;
        a bought leg the other way round.
    """

    option_type: Literal["CE", "PE"]
    side: Literal["buy", "sell"]
    lots: int = 1
    strike: StrikeRule = "atm"
    offset: int = 0
    target: float | None = None
    expiry: ExpiryRule = "weekly"
    expiry_index: int = 0
    stop_loss: float | None = None
    take_profit: float | None = None

    def __post_init__(self) -> None:
        if self.option_type not in ("CE", "PE"):
            raise BacktestError(f"leg option_type must be 'CE' or 'PE', got {self.option_type!r}")
        if self.side not in ("buy", "sell"):
            raise BacktestError(f"leg side must be 'buy' or 'sell', got {self.side!r}")
        if isinstance(self.lots, bool) or not isinstance(self.lots, int) or self.lots <= 0:
            raise BacktestError(f"leg lots must be a positive whole number, got {self.lots!r}")
        if self.strike not in ("atm", "delta", "premium"):
            raise BacktestError(
                f"leg strike rule must be 'atm', 'delta' or 'premium', got {self.strike!r}"
            )
        if self.strike == "delta":
            _fraction(self.target, "delta target", 1.0)
        if self.strike == "premium":
            _positive(self.target, "premium target")
        if self.strike != "atm" and self.target is None:
            raise BacktestError(f"strike rule {self.strike!r} needs a target")
        if self.expiry not in ("weekly", "monthly"):
            raise BacktestError(f"leg expiry must be 'weekly' or 'monthly', got {self.expiry!r}")
        if not isinstance(self.expiry_index, int) or not 0 <= self.expiry_index <= 3:
            raise BacktestError(f"expiry_index must be 0..3, got {self.expiry_index!r}")
        if not isinstance(self.offset, int) or abs(self.offset) > 50:
            raise BacktestError(f"offset must be a whole number of strikes, got {self.offset!r}")
        _positive(self.stop_loss, "leg stop_loss")
        _fraction(self.take_profit, "leg take_profit", 1.0 + 1e-12)

    @property
    def sign(self) -> int:
        """+1 bought, -1 sold."""
        return 1 if self.side == "buy" else -1


@dataclass(frozen=True)
class EntryRule:
    """When to enter.

    ``time``: IST time of day (the first snapshot at or after it, within the execution's
    staleness tolerance); ``None`` enters at each day's last snapshot (the close of an
    end-of-day chain). ``days_to_expiry``: enter only on days that many calendar days
    before the first leg's expiry (e.g. ``(0,)`` for expiry-day trades). ``weekdays``:
    0 = Monday ... 4 = Friday.
    """

    time: dt.time | None = None
    days_to_expiry: tuple[int, ...] | None = None
    weekdays: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.time is not None and not isinstance(self.time, dt.time):
            raise BacktestError(f"entry time must be a datetime.time, got {self.time!r}")
        for d in self.days_to_expiry or ():
            if not isinstance(d, int) or d < 0:
                raise BacktestError(f"days_to_expiry must be whole days >= 0, got {d!r}")
        for w in self.weekdays or ():
            if w not in range(7):
                raise BacktestError(f"weekdays are 0 (Monday) to 6, got {w!r}")


@dataclass(frozen=True)
class ExitRule:
    """When to leave (the first that happens; otherwise held to expiry and settled).

    ``time``: IST time of day on the entry day (intraday); ``hold_days``: exit at the close
    of the n-th trading session after entry; ``target``/``stop_loss``: combined P&L of
    the position in rupees (costs excluded) reaching ``+target`` or ``-stop_loss``;
    ``trailing``: exit when the combined P&L falls this many rupees below its peak;
    ``on_signal``: exit at the first instant a boolean exit series passed to the run
    is true.
    """

    time: dt.time | None = None
    hold_days: int | None = None
    target: float | None = None
    stop_loss: float | None = None
    trailing: float | None = None
    on_signal: bool = False

    def __post_init__(self) -> None:
        if self.time is not None and not isinstance(self.time, dt.time):
            raise BacktestError(f"exit time must be a datetime.time, got {self.time!r}")
        if self.hold_days is not None and (
            not isinstance(self.hold_days, int) or self.hold_days < 0
        ):
            raise BacktestError(f"hold_days must be a whole number >= 0, got {self.hold_days!r}")
        for name in ("target", "stop_loss", "trailing"):
            _positive(getattr(self, name), f"exit {name}")


@dataclass(frozen=True)
class Execution:
    """How fills are priced and what is refused.

    A buy fills at the stored ask (a sell at the bid) when ``use_bid_ask`` and both are
    stored; otherwise at ``price x (1 ± slippage_pct) ± slippage_points`` of the stored
    price (a sell never below 0). A price older than ``staleness`` (last traded/quoted
    instant before the fill) is refused: the trade is recorded as skipped with the reason.
    """

    slippage_pct: float = 0.0
    slippage_points: float = 0.0
    use_bid_ask: bool = True
    staleness: dt.timedelta = dt.timedelta(minutes=5)

    def __post_init__(self) -> None:
        if not 0 <= self.slippage_pct < 0.5 or not math.isfinite(self.slippage_pct):
            raise BacktestError(f"slippage_pct must be in [0, 0.5), got {self.slippage_pct!r}")
        if not self.slippage_points >= 0 or not math.isfinite(self.slippage_points):
            raise BacktestError(f"slippage_points must be >= 0, got {self.slippage_points!r}")
        if not isinstance(self.staleness, dt.timedelta) or self.staleness < dt.timedelta(0):
            raise BacktestError(f"staleness must be a timedelta >= 0, got {self.staleness!r}")


@dataclass(frozen=True)
class OptionsStrategySpec:
    """A complete options-leg strategy: legs, entry, exits, re-entries, lots multiplier."""

    name: str
    underlying: str
    legs: tuple[LegRule, ...]
    entry: EntryRule = field(default_factory=EntryRule)
    exit: ExitRule = field(default_factory=ExitRule)
    reentries: int = 0
    lot_multiplier: int = 1
    lot_size: int | None = None

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise BacktestError("a strategy needs a name")
        if not self.legs:
            raise BacktestError(f"strategy {self.name!r} has no legs; add at least one LegRule")
        if not all(isinstance(leg, LegRule) for leg in self.legs):
            raise BacktestError("legs must be LegRule values")
        if not isinstance(self.reentries, int) or not 0 <= self.reentries <= 20:
            raise BacktestError(f"reentries must be 0..20, got {self.reentries!r}")
        if not isinstance(self.lot_multiplier, int) or self.lot_multiplier <= 0:
            raise BacktestError(f"lot_multiplier must be >= 1, got {self.lot_multiplier!r}")
        if self.lot_size is not None and (not isinstance(self.lot_size, int) or self.lot_size < 1):
            raise BacktestError(f"lot_size must be a positive whole number, got {self.lot_size!r}")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def spec_settings(spec: OptionsStrategySpec, execution: Execution) -> dict[str, Any]:
    """The spec and execution as JSON-ready values (stored with the run)."""
    return {"strategy": _plain(asdict(spec)), "execution": _plain(asdict(execution))}
