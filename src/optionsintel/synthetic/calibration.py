"""Parameters of the synthetic market and the chain-shape statistics they are calibrated on.

Every number the generators use lives here, with the real observation it was set from.
The real observations are the NSE option chains recorded in
``/work/shared/data/real/nse/`` (copied to ``tests/data/nse/``): NIFTY 16/17 Jul 2025,
BANKNIFTY 03 May 2023 and 27 Apr 2022, NIFTY 24 Mar 2022 (end-of-day snapshots).

Observed there (nearest and next expiries, see :func:`chain_shape_stats`):

* share of open interest within +-5 % of spot: 0.76-0.90 for weekly/monthly expiries;
* CE OI peak 1-3 % above spot at a round strike (NIFTY 25 500 / 26 000 at spot 25 212),
  PE OI peak 0-2 % below spot (25 000);
* ATM IV 8-11 % (NIFTY, India VIX ~11 in Jul 2025), 10-16 % (BANKNIFTY 2023);
* put skew: 8-day NIFTY IV(0.95 K/S) = 17 % against ATM ~9.5 %, IV(1.05) = 13 %;
  15-day 15 % / 11 %. In ``x = ln(K/F) / sqrt(T)`` this is ``IV/ATM ~ 1 + a x + b x^2``
  with ``a ~ -0.65``, ``b ~ 5.5`` (both expiries give the same pair within noise);
* nearest-expiry OI ~4 M contracts the day before expiry, the next weekly ~1 M;
  day volume ~12x OI on the day before expiry, ~4x a week out, ~1x a month out;
* spreads: 0.05-0.5 for liquid OTM, ~0.5 % of premium at the money, 5-20 % of
  premium for illiquid in-the-money strikes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optionsintel.frames import require_columns

TICK_SIZE = 0.05
"""NSE option price tick (rupees)."""

TRADING_DAYS_PER_YEAR = 252
ANCHOR_DATE = np.datetime64("2025-07-01", "D")
"""Date at which the trend every index reverts to passes through its ``anchor_level``."""
PATH_START = np.datetime64("2010-01-01", "D")
PATH_END = np.datetime64("2036-01-01", "D")
"""Daily paths are generated on every weekday of ``[PATH_START, PATH_END)``."""


@dataclass(frozen=True)
class UnderlyingParams:
    """Dynamics and market-structure parameters of one synthetic index.

    Attributes
    ----------
    uid
        Small integer that identifies the underlying in seeds (no string hashing, so
        seeds are stable across processes).
    anchor_level
        Close on :data:`ANCHOR_DATE` (Jul 2025 levels).
    vol_long
        Long-run annualised volatility of the log-SV process.
    implied_premium
        Ratio of ATM implied to instantaneous volatility (variance risk premium).
    dividend_yield
        Continuous yield used for the forward ``F = S exp((r - q) T)``.
    oi_scale
        Total open interest (contracts) of an expiry on its last day.
    round_strike
        Strikes that are multiples of this carry extra OI (writers' favourite levels).
    quote_volume
        Typical daily traded volume of the index constituents (shares) for quotes.
    """

    uid: int
    anchor_level: float
    vol_long: float
    implied_premium: float
    dividend_yield: float
    oi_scale: float
    round_strike: float
    quote_volume: float


UNDERLYINGS: dict[str, UnderlyingParams] = {
    "NIFTY": UnderlyingParams(1, 25_450.0, 0.105, 1.15, 0.012, 1.4e6, 500.0, 3.0e8),
    "BANKNIFTY": UnderlyingParams(2, 57_300.0, 0.125, 1.15, 0.008, 1.0e6, 1000.0, 1.5e8),
    "FINNIFTY": UnderlyingParams(3, 26_900.0, 0.115, 1.15, 0.009, 1.0e5, 500.0, 6.0e7),
}

# --- daily dynamics (log-SV with leverage + Merton jumps + slow mean reversion) ---
LOGVOL_PERSISTENCE = 0.985
"""AR(1) coefficient of daily log-volatility (half-life ~46 trading days)."""
LOGVOL_STD = 0.30
"""Stationary standard deviation of log-volatility."""
LEVERAGE_RHO = -0.6
"""Correlation between the return shock and the next log-vol shock."""
JUMP_INTENSITY = 3.0
"""Expected jumps per year (Merton); jumps land in the overnight gap."""
JUMP_MEAN = -0.012
JUMP_STD = 0.02
OVERNIGHT_VARIANCE_SHARE = 0.2
"""Share of diffusive daily variance realised overnight (open gap)."""
TREND_PER_YEAR = 0.05
"""Drift of the level the index reverts to (log, per year)."""
LEVEL_REVERSION = 6.0
"""Mean-reversion speed (per year) of log level around the trend; keeps 2025-26
levels near Jul 2025 (stationary deviation ~ vol / sqrt(2 kappa) ~ 3.5 %)."""

# --- intraday ---
INTRADAY_OPEN_BOOST = (2.5, 20.0)
"""U-shape of intraday activity: extra weight and decay (minutes) after the open."""
INTRADAY_CLOSE_BOOST = (1.2, 30.0)
"""Extra weight and decay (minutes) before the close."""
BASE_INTERVAL_SECONDS = 15
SPOT_VOL_BETA = 3.0
"""Intraday ATM vol moves as ``exp(-beta * ln(S_t / S_open))`` (spot-vol correlation)."""

# --- volatility surface ---
SMILE_SLOPE = -0.65
SMILE_CURVATURE = 5.5
SMILE_WING = 0.35
SMILE_MIN_YEARS = 1.0 / 365.0
"""Beyond ``|x| ~ SMILE_WING`` the quadratic smile turns linear in ``x``."""
VOL_TERM_KAPPA = 5.5
"""Speed (per year) at which ATM variance term structure reverts to the long run."""
RISK_FREE_RATE = 0.065

# --- strikes ---
STRIKE_SIGMAS = 4.0
MIN_HALF_WIDTH = 0.08
MAX_HALF_WIDTH = 0.35
MAX_STRIKES_PER_SIDE = 75

# --- open interest and volume ---
OI_DECAY_DAYS = 4.0
OI_DECAY_POWER = 1.5
OI_MONTHLY_BOOST = 1.5
OI_CENTER_WEIGHT = 0.6
"""EMA weight of the latest close in the centre the OI profile is built around."""
OI_WIDTH_DAYS = 20.0
"""Calendar days added to T when sizing the OI profile width (weeklies are not
concentrated at the money as tightly as sqrt(T) would say)."""
OI_CE_SHIFT, OI_PE_SHIFT = 0.7, -0.6
"""Peak of the writers' OI in standardised moneyness, calls above and puts below."""
OI_ROUND_BOOST = 1.6
OI_HALF_ROUND_BOOST = 0.5
OI_CONTRACT_NOISE = 0.35
OI_DAY_NOISE = 0.12
VOLUME_TURNOVER = (12.0, 3.0)
"""Day volume / OI on the day before expiry, decaying with this e-folding (days)."""


def underlying_params(underlying: str) -> UnderlyingParams:
    """Return the parameters of a synthetic index or raise a helpful error.

    Raises
    ------
    optionsintel.errors.NoDataError
        If the synthetic market does not simulate ``underlying``.
    """
    from optionsintel.errors import NoDataError

    try:
        return UNDERLYINGS[str(underlying).upper()]
    except KeyError:
        raise NoDataError(
            f"the synthetic market simulates {sorted(UNDERLYINGS)}, not {underlying!r}",
            provider="synthetic",
        ) from None


def chain_shape_stats(chain: pd.DataFrame, expiry: object | None = None) -> dict[str, float]:
    """Summarise the shape of one expiry of an option chain (real or synthetic).

    Parameters
    ----------
    chain
        Canonical chain frame (one snapshot).
    expiry
        Expiry to summarise; the nearest one in the frame when None.

    Returns
    -------
    dict
        ``spot``, ``oi_share_5pct`` (share of CE+PE OI with ``|K/S - 1| <= 5 %``),
        ``ce_peak_strike``, ``pe_peak_strike``, ``atm_iv`` (percent, mean of CE and PE
        at the strike nearest spot), ``put_iv_95`` (PE IV at the strike nearest
        ``0.95 S``), ``call_iv_105`` (CE IV nearest ``1.05 S``), ``total_oi``.
    """
    require_columns(
        chain, ("expiry", "strike", "option_type", "oi", "iv", "underlying_price"), "option chain"
    )
    exp = pd.Timestamp(expiry) if expiry is not None else chain["expiry"].min()
    one = chain.loc[chain["expiry"] == exp]
    spot = float(one["underlying_price"].iloc[0])
    ce = one.loc[one["option_type"] == "CE"].set_index("strike").sort_index()
    pe = one.loc[one["option_type"] == "PE"].set_index("strike").sort_index()
    oi = ce["oi"].fillna(0).add(pe["oi"].fillna(0), fill_value=0)
    near = np.abs(oi.index.to_numpy() / spot - 1) <= 0.05

    def _iv_at(side: pd.DataFrame, level: float) -> float:
        k = side.index.to_numpy()
        return float(side["iv"].iloc[int(np.abs(k - level).argmin())])

    return {
        "spot": spot,
        "oi_share_5pct": float(oi[near].sum() / max(oi.sum(), 1.0)),
        "ce_peak_strike": float(ce["oi"].idxmax()),
        "pe_peak_strike": float(pe["oi"].idxmax()),
        "atm_iv": float(np.nanmean([_iv_at(ce, spot), _iv_at(pe, spot)])),
        "put_iv_95": _iv_at(pe, 0.95 * spot),
        "call_iv_105": _iv_at(ce, 1.05 * spot),
        "total_oi": float(oi.sum()),
    }
