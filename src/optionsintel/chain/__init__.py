"""Option-chain analytics over canonical chain frames, vectorised across underlyings.

Every function takes a frame with the columns of
:data:`optionsintel.frames.CHAIN_COLUMNS` holding any number of underlyings, snapshots
and expiries, and returns tidy frames keyed by ``underlying, snapshot_ts, expiry``
(plus ``strike`` for per-strike outputs) with the input's ``provider`` carried along.

- OI: :func:`pcr`, :func:`max_pain`, :func:`oi_concentration`,
  :func:`oi_change_by_strike`, :func:`support_resistance`
- Gamma: :func:`gamma_exposure`, :func:`gamma_flip_level`
- Volatility, all on the platform's own IV (:func:`chain_iv`): :func:`atm_iv`,
  :func:`iv_smile`, :func:`iv_term_structure`,
  :func:`constant_maturity_iv`, :func:`iv_rank`, :func:`iv_percentile`,
  :func:`straddle_expected_move`
- Prices: :func:`pivot_levels`
- Headline table: :func:`chain_summary`
"""

from optionsintel.chain.config import POSITION_SIGNS, ChainConfig, DealerPositioning
from optionsintel.chain.gamma import gamma_exposure, gamma_flip_level
from optionsintel.chain.levels import pivot_levels
from optionsintel.chain.oi import (
    max_pain,
    oi_change_by_strike,
    oi_concentration,
    pcr,
    support_resistance,
)
from optionsintel.chain.summary import chain_summary
from optionsintel.chain.vol import (
    atm_iv,
    chain_iv,
    constant_maturity_iv,
    iv_percentile,
    iv_rank,
    iv_smile,
    iv_term_structure,
    straddle_expected_move,
)

__all__ = [
    "POSITION_SIGNS",
    "ChainConfig",
    "DealerPositioning",
    "atm_iv",
    "chain_iv",
    "chain_summary",
    "constant_maturity_iv",
    "gamma_exposure",
    "gamma_flip_level",
    "iv_percentile",
    "iv_rank",
    "iv_smile",
    "iv_term_structure",
    "max_pain",
    "oi_change_by_strike",
    "oi_concentration",
    "pcr",
    "pivot_levels",
    "straddle_expected_move",
    "support_resistance",
]
