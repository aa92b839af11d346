"""Signal types, strength buckets, thresholds (see ``docs/signals.md`` for the logic)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from optionsintel.chain.config import POSITION_SIGNS, DealerPositioning
from optionsintel.errors import ConfigurationError, FrameValidationError


class SignalType(StrEnum):
    """The eight option-chain signals."""

    CALL_BUILDUP = "CALL_BUILDUP"
    PUT_BUILDUP = "PUT_BUILDUP"
    CALL_UNWINDING = "CALL_UNWINDING"
    PUT_UNWINDING = "PUT_UNWINDING"
    GAMMA_SQUEEZE = "GAMMA_SQUEEZE"
    MAX_PAIN = "MAX_PAIN"
    UNUSUAL_ACTIVITY = "UNUSUAL_ACTIVITY"
    MOMENTUM_SHIFT = "MOMENTUM_SHIFT"


class Strength(StrEnum):
    """Strength bucket of a signal, from its confidence (``SignalConfig.strength_cutoffs``)."""

    WEAK = "WEAK"
    MODERATE = "MODERATE"
    STRONG = "STRONG"
    VERY_STRONG = "VERY_STRONG"


class MixedProvidersError(FrameValidationError):
    """The snapshots handed to :func:`detect_signals` come from more than one provider."""


@dataclass(frozen=True)
class SignalConfig:
    """Thresholds of the eight detectors (defaults documented in ``docs/signals.md``).

    Attributes
    ----------
    max_expiries
        Nearest unexpired expiries analysed per underlying.
    window_strikes
        Near-the-money window: the strike nearest the spot +/- this many strikes.
    rate
        Risk-free rate for forwards and gamma.
    buildup_oi_pct, unwinding_oi_pct
        Rise / fall (percent) of one side's window OI that fires a build-up /
        unwinding signal.
    premium_flat_pct
        OI-weighted premium changes within +/- this percent count as flat.
    min_window_oi
        Window OI (previous snapshot, one side) below which an expiry is too thin.
    squeeze_move_pct, squeeze_unwind_pct
        Spot move (percent) and fall of the squeezed side's window OI (percent) for a
        gamma squeeze.
    positioning
        Dealer-positioning assumption for the gamma-squeeze test.
    max_pain_days, max_pain_distance_pct, max_pain_max_distance_pct
        A max-pain pull needs at most ``max_pain_days`` to expiry and the spot between
        these distances (percent) from max pain.
    unusual_volume_oi_ratio, unusual_min_volume, unusual_history_multiple
        A contract is unusual when its interval volume is at least this multiple of its
        previous OI and at least the minimum volume, and (with history) at least this
        multiple of its average volume in the history.
    pcr_shift
        Absolute change of the near-the-money PCR(OI) that fires a momentum shift.
    strength_cutoffs
        Confidence levels where MODERATE, STRONG and VERY_STRONG begin.
    max_strikes
        Strikes listed per signal.
    """

    max_expiries: int = 2
    window_strikes: int = 5
    rate: float = 0.065
    buildup_oi_pct: float = 10.0
    unwinding_oi_pct: float = 10.0
    premium_flat_pct: float = 1.0
    min_window_oi: float = 100.0
    squeeze_move_pct: float = 0.5
    squeeze_unwind_pct: float = 5.0
    positioning: DealerPositioning = "dealers_short_both"
    max_pain_days: float = 3.0
    max_pain_distance_pct: float = 0.75
    max_pain_max_distance_pct: float = 3.0
    unusual_volume_oi_ratio: float = 3.0
    unusual_min_volume: float = 1000.0
    unusual_history_multiple: float = 3.0
    pcr_shift: float = 0.15
    strength_cutoffs: tuple[float, float, float] = (55.0, 70.0, 85.0)
    max_strikes: int = 3

    def __post_init__(self) -> None:
        positive = (
            "buildup_oi_pct", "unwinding_oi_pct", "squeeze_move_pct", "squeeze_unwind_pct",
            "max_pain_days", "max_pain_distance_pct", "unusual_volume_oi_ratio",
            "unusual_history_multiple", "pcr_shift",
        )  # fmt: skip
        bad = [name for name in positive if not getattr(self, name) > 0]
        if bad:
            raise ConfigurationError(f"SignalConfig fields must be > 0: {bad}")
        if self.max_pain_max_distance_pct <= self.max_pain_distance_pct:
            raise ConfigurationError("max_pain_max_distance_pct must exceed max_pain_distance_pct")
        if self.max_expiries < 1 or self.window_strikes < 0 or self.max_strikes < 1:
            raise ConfigurationError(
                "need max_expiries >= 1, window_strikes >= 0, max_strikes >= 1"
            )
        cuts = self.strength_cutoffs
        if len(cuts) != 3 or not 0 <= cuts[0] < cuts[1] < cuts[2] <= 100:
            raise ConfigurationError(
                "strength_cutoffs must be three increasing numbers in [0, 100]"
            )
        if self.positioning not in POSITION_SIGNS:
            raise ConfigurationError(f"positioning must be one of {sorted(POSITION_SIGNS)}")


DEFAULT_SIGNAL_CONFIG = SignalConfig()
