"""Configuration of the chain analytics (frozen dataclasses with documented defaults)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from optionsintel.errors import ConfigurationError

DealerPositioning: TypeAlias = Literal[
    "dealers_short_both",
    "dealers_long_calls_short_puts",
    "dealers_short_calls_long_puts",
    "dealers_long_both",
]
"""Who holds the option inventory that gets delta-hedged (see ``docs/signals.md``).

``dealers_short_both`` (default): the hedgers are net *writers* of calls and puts. This
fits Indian index options, where SEBI's F&O studies (Jan 2023; Sep 2024, "Analysis of
profit and loss of individual traders dealing in equity F&O segment") find individual
clients overwhelmingly on the buying side of index options and losing money, while
proprietary traders and FPIs (the liquidity providers and writers) make the profits.
``dealers_long_calls_short_puts`` is the classic SqueezeMetrics (2017) US assumption
(investors over-write calls and buy puts). The other two are provided for scenarios.
"""

#: Sign of the hedgers' position per option of (calls, puts) under each assumption.
POSITION_SIGNS: dict[str, tuple[float, float]] = {
    "dealers_short_both": (-1.0, -1.0),
    "dealers_long_calls_short_puts": (1.0, -1.0),
    "dealers_short_calls_long_puts": (-1.0, 1.0),
    "dealers_long_both": (1.0, 1.0),
}


@dataclass(frozen=True)
class ChainConfig:
    """Settings of :func:`optionsintel.chain.chain_summary` and the chain kernels.

    Attributes
    ----------
    rate
        Continuously compounded risk-free rate (0.065 ~ the Indian 91-day T-bill yield
        of 2024-25); used for the parity forward and Black-76 discounting.
    window_strikes
        Near-the-money window: strikes within this many listed strikes of the strike
        nearest the spot (``None`` to use ``window_pct`` or all strikes).
    window_pct
        Near-the-money window as +/- percent of the spot (used when ``window_strikes``
        is ``None``).
    positioning
        Dealer-positioning assumption for gamma exposure.
    contract_multiplier
        Units of the underlying per unit of ``oi``. NSE's legacy option-chain API reports
        OI in contracts, so pass the lot size (e.g. 75 for NIFTY from 2025) to get
        rupee GEX; the default 1 gives GEX per unit of reported OI.
    flip_grid_pct, flip_grid_points
        Spot grid of the gamma-flip scan: ``spot * (1 + x)`` for ``flip_grid_points``
        values of ``x`` spread evenly over ``[-flip_grid_pct, +flip_grid_pct]`` (0.25 %
        steps by default; the cell holding the flip is re-scanned 16 times finer).
    top_n
        Number of strikes in the OI-concentration share.
    cm_days
        Tenor in calendar days of the constant-maturity ATM IV.
    min_days
        Expiries closer than this many days are skipped by the constant-maturity IV
        (expiry-day IVs are noise).
    """

    rate: float = 0.065
    window_strikes: int | None = 10
    window_pct: float | None = None
    positioning: DealerPositioning = "dealers_short_both"
    contract_multiplier: float = 1.0
    flip_grid_pct: float = 0.10
    flip_grid_points: int = 81
    top_n: int = 5
    cm_days: float = 30.0
    min_days: float = 1.0

    def __post_init__(self) -> None:
        if self.positioning not in POSITION_SIGNS:
            raise ConfigurationError(
                f"positioning must be one of {sorted(POSITION_SIGNS)}; got {self.positioning!r}"
            )
        if self.window_strikes is not None and self.window_strikes < 0:
            raise ConfigurationError("window_strikes must be >= 0 or None")
        if self.window_pct is not None and self.window_pct <= 0:
            raise ConfigurationError("window_pct must be > 0 or None")
        if self.flip_grid_points < 3 or not 0 < self.flip_grid_pct < 1:
            raise ConfigurationError("need flip_grid_points >= 3 and 0 < flip_grid_pct < 1")
        if self.top_n < 1 or self.cm_days <= 0 or self.contract_multiplier <= 0:
            raise ConfigurationError("top_n >= 1, cm_days > 0, contract_multiplier > 0 required")


#: The default configuration (a module-level singleton usable as a default argument).
DEFAULT_CHAIN_CONFIG = ChainConfig()
