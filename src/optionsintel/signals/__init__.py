"""The eight option-chain signals between two snapshots (see ``docs/signals.md``).

:func:`detect_signals` compares a previous and a current snapshot of any number of
underlyings and returns one row per fired signal with its confidence (0-100), a
:class:`Strength` bucket, the strikes involved and the supporting figures.
"""

from optionsintel.signals.config import (
    DEFAULT_SIGNAL_CONFIG,
    MixedProvidersError,
    SignalConfig,
    SignalType,
    Strength,
)
from optionsintel.signals.core import SIGNAL_COLUMNS, detect_signals

__all__ = [
    "DEFAULT_SIGNAL_CONFIG",
    "SIGNAL_COLUMNS",
    "MixedProvidersError",
    "SignalConfig",
    "SignalType",
    "Strength",
    "detect_signals",
]
