"""Markets and strategies shared by the strategy tests (model-priced, NIFTY-sized)."""

from __future__ import annotations

import datetime as dt
import math

from optionsintel.strategies import MarketState, Strategy, build_strategy, model_quotes

AS_OF = "2025-07-10 10:00"  # naive: IST
NEAR = dt.date(2025, 7, 24)
FAR = dt.date(2025, 8, 28)
SPOT = 25_000.0
STEP = 50.0
LOT = 75  # NIFTY lot on 2025-07-10 (calendar data)
ATM_VOL = 0.14


def market(spot: float = SPOT, vol: float = ATM_VOL) -> MarketState:
    """A market at ``AS_OF`` with ATM IVs for both test expiries (rate 6.5 %)."""
    return MarketState(as_of=AS_OF, spot=spot, rate=0.065, atm_ivs={NEAR: vol, FAR: vol})


def smile(strike: float, expiry: dt.date) -> float:
    """A skewed smile so every leg has its own IV."""
    x = math.log(strike / SPOT)
    return ATM_VOL - 0.3 * x + 2.0 * x * x + (0.01 if expiry == FAR else 0.0)


def build(specs, *, vol=ATM_VOL, lots: int = 1, mkt: MarketState | None = None) -> Strategy:
    """Price ``specs`` with Black-76 at ``vol`` (a number or a smile callable)."""
    m = mkt or market()
    return build_strategy("NIFTY", specs, m, model_quotes(m, vol), lots=lots)
