"""Synthetic option chains: every listed expiry and strike, priced tick by tick with Black-76.

Strike grid (fixed for the day, built around the previous close ``c`` as NSE does)
-------------------------------------------------------------------------------
Half-width ``h = clip(4 sigma_atm(T) sqrt(T), 8 %, 35 %)`` of ``c``; strikes every
``strike_step`` (from :mod:`optionsintel.calendar`), coarsened to 2, 4, 10 or 20 steps
when more than 75 strikes per side would be needed (far expiries, like NSE's wider
spacing for quarterly and half-yearly contracts). That gives ~80-150 strikes per expiry.

Quotes
------
* ``iv`` (percent) is the surface volatility of :mod:`optionsintel.synthetic.surface`,
  evaluated at ``ln(K/F)`` with ``F = S exp((r - q) T)``; the short end moves with the
  intraday spot (``exp(-3 ln(S/S_open))``, spot-vol correlation).
* Premia are Black-76 prices (:func:`optionsintel.pricing.black76_price`); ``T`` is
  :func:`optionsintel.calendar.years_to_expiry` on the calendar basis, floored at one
  second on expiry day. ``bid = floor_tick(V - s/2)``, ``ask = ceil_tick(V + s/2)`` with
  spread ``s = max(0.05, V (0.002 + 0.15 / sqrt(1 + volume/50)))``, so quotes always
  bracket the model price (put-call parity holds within bid-ask) and widen away from the
  money, for cheap strikes in relative terms, and for illiquid contracts. ``bid`` is NaN
  (no bid) when it would be 0, as the NSE parser reports a 0 bid.
* ``ltp`` is the model price plus a uniform draw within the half-spread, rounded to the
  0.05 tick and kept inside ``[bid, ask]``.
* Greeks are Black-76 (:func:`optionsintel.pricing.greeks`): ``delta``/``gamma`` with
  respect to the forward, ``theta`` per calendar day, ``vega`` per volatility point.
* ``underlying_price`` is the spot; ``exchange_ts = ingested_at = snapshot_ts``.
* ``underlying``, ``option_type`` and ``provider`` are pandas ``Categorical`` columns
  (building string columns for millions of rows per day dominated the run time);
  ``astype(str)`` gives plain strings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from optionsintel.calendar import listed_expiries, lot_size, strike_step, years_to_expiry
from optionsintel.frames import CHAIN_COLUMNS
from optionsintel.pricing import black76_price, greeks
from optionsintel.synthetic import calibration as cal
from optionsintel.synthetic.surface import atm_volatility, implied_volatility
from optionsintel.synthetic.underlying import PROVIDER

FloatArray = npt.NDArray[np.float64]
_MIN_YEARS = 1.0 / (365.0 * 86400.0)  # one second: expiry-day close prices at intrinsic
_COARSEN = (1, 2, 4, 10, 20, 40)


@dataclass(frozen=True, eq=False)
class ContractGrid:
    """Every listed contract of one underlying on one day (one entry per contract)."""

    expiry: npt.NDArray[np.datetime64]
    strike: FloatArray
    is_call: npt.NDArray[np.bool_]
    monthly: npt.NDArray[np.bool_]
    years_at_open: FloatArray
    step: float
    lot: int

    @property
    def size(self) -> int:
        """Number of contracts."""
        return int(self.strike.size)

    @property
    def expiry_ordinal(self) -> npt.NDArray[np.int64]:
        """Proleptic Gregorian ordinal of each contract's expiry (seed key)."""
        return (self.expiry.astype("datetime64[D]").astype(np.int64) + 719_163).astype(np.int64)

    def days_to_expiry(self, day: dt.date) -> FloatArray:
        """Calendar days from ``day`` to each contract's expiry."""
        return (self.expiry - np.datetime64(day, "D")).astype(np.float64)


def _expiries(underlying: str, day: dt.date) -> tuple[list[dt.date], set[dt.date]]:
    every = [pd.Timestamp(e).date() for e in listed_expiries(underlying, day, kind="all")]
    monthly = {pd.Timestamp(e).date() for e in listed_expiries(underlying, day, kind="monthly")}
    return every, monthly


def _strikes(centre: float, half_width: float, step: float) -> FloatArray:
    per_side = np.ceil(half_width * centre / step)
    mult = next((m for m in _COARSEN if per_side / m <= cal.MAX_STRIKES_PER_SIDE), _COARSEN[-1])
    width = step * mult
    n = int(np.ceil(per_side / mult))
    strikes = np.round(centre / width) * width + np.arange(-n, n + 1) * width
    return strikes[strikes > 0]


def contract_grid(
    underlying: str, day: dt.date, open_utc: pd.Timestamp, centre: float, short_vol: float
) -> ContractGrid:
    """Build the day's contract grid around ``centre`` (previous close); see module notes."""
    p = cal.underlying_params(underlying)
    every, monthly = _expiries(underlying, day)
    step = float(strike_step(underlying, day))
    parts: list[tuple[np.datetime64, FloatArray, float, bool]] = []
    for expiry in every:  # a handful of expiries; strikes are vectorised
        T = float(years_to_expiry(open_utc, expiry, basis="calendar"))
        sigma = float(atm_volatility(np.array(T), short_vol, p.vol_long * p.implied_premium))
        hw = np.clip(cal.STRIKE_SIGMAS * sigma * np.sqrt(T), cal.MIN_HALF_WIDTH, cal.MAX_HALF_WIDTH)
        parts.append((np.datetime64(expiry, "D"), _strikes(centre, hw, step), T, expiry in monthly))
    sizes = [2 * k.size for _, k, _, _ in parts]
    return ContractGrid(
        expiry=np.repeat([e for e, *_ in parts], sizes),
        strike=np.concatenate([np.repeat(k, 2) for _, k, _, _ in parts]),
        is_call=np.concatenate([np.tile([True, False], s // 2) for s in sizes]),
        monthly=np.repeat([m for *_, m in parts], sizes),
        years_at_open=np.repeat([t for _, _, t, _ in parts], sizes),
        step=step,
        lot=int(lot_size(underlying, day)),
    )


def _round_down(x: FloatArray) -> FloatArray:
    return np.floor(np.round(x / cal.TICK_SIZE, 6)) * cal.TICK_SIZE


def _round_up(x: FloatArray) -> FloatArray:
    return np.ceil(np.round(x / cal.TICK_SIZE, 6)) * cal.TICK_SIZE


def quote_prices(
    theo: FloatArray, day_volume: FloatArray, u_ltp: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(bid, ask, ltp)`` around model prices ``theo`` (see module notes)."""
    rel = 0.002 + 0.15 / np.sqrt(1.0 + day_volume / 50.0)
    half = 0.5 * np.maximum(cal.TICK_SIZE, theo * rel)
    bid = _round_down(theo - half)
    ask = np.maximum(_round_up(theo + half), bid + cal.TICK_SIZE)
    ask = np.maximum(ask, cal.TICK_SIZE)
    ltp = np.clip(np.round((theo + u_ltp * half) / cal.TICK_SIZE) * cal.TICK_SIZE, bid, ask)
    ltp = np.maximum(np.round(ltp, 2), cal.TICK_SIZE)
    bid = np.where(bid >= cal.TICK_SIZE, np.round(bid, 2), np.nan)
    return bid, np.asarray(np.round(ask, 2), dtype=np.float64), ltp


def price_block(
    grid: ContractGrid,
    spot: FloatArray,
    elapsed_years: FloatArray,
    short_vol: FloatArray,
    long_vol: float,
    dividend_yield: float,
) -> dict[str, FloatArray]:
    """Price every contract at every tick of a block (ticks x contracts arrays)."""
    T = np.maximum(grid.years_at_open[None, :] - elapsed_years[:, None], _MIN_YEARS)
    r = cal.RISK_FREE_RATE
    F = spot[:, None] * np.exp((r - dividend_yield) * T)
    K = np.broadcast_to(grid.strike, T.shape)
    sigma = implied_volatility(np.log(K / F), T, short_vol[:, None], long_vol)
    sign = np.broadcast_to(np.where(grid.is_call, 1.0, -1.0), T.shape)
    flat = [a.reshape(-1) for a in (F, K, T, sigma, sign)]
    price = black76_price(flat[0], flat[1], flat[2], r, flat[3], flat[4])
    g = pd.DataFrame(greeks(flat[0], flat[1], flat[2], r, flat[3], flat[4], model="black76"))
    return {
        "theo": np.asarray(price).reshape(T.shape),
        "iv": 100.0 * sigma,
        "delta": g["delta"].to_numpy().reshape(T.shape),
        "gamma": g["gamma"].to_numpy().reshape(T.shape),
        "theta": g["theta_per_day"].to_numpy().reshape(T.shape),
        "vega": g["vega_pct"].to_numpy().reshape(T.shape),
        "T": T,
    }


def chain_frame(
    underlying: str, grid: ContractGrid, ts: npt.NDArray[np.datetime64], spot: FloatArray,
    columns: dict[str, FloatArray],
) -> pd.DataFrame:  # fmt: skip
    """Assemble ticks x contracts arrays into one canonical chain frame (tick-major)."""
    n_t, n_c = ts.size, grid.size
    snap = pd.DatetimeIndex(np.repeat(ts, n_c)).tz_localize("UTC")
    n = n_t * n_c
    option_type = pd.Categorical.from_codes(
        np.tile(np.where(grid.is_call, 0, 1), n_t), ["CE", "PE"]
    )
    data: dict[str, object] = {
        "underlying": pd.Categorical.from_codes(np.zeros(n, np.int8), [underlying.upper()]),
        "snapshot_ts": snap,
        "expiry": np.tile(grid.expiry.astype("datetime64[ns]"), n_t),
        "strike": np.tile(grid.strike, n_t),
        "option_type": option_type,
        "underlying_price": np.repeat(spot, n_c),
        "exchange_ts": snap,
        "ingested_at": snap,
        "provider": pd.Categorical.from_codes(np.zeros(n, np.int8), [PROVIDER]),
    }
    for name in CHAIN_COLUMNS:
        if name not in data:
            data[name] = np.asarray(columns[name]).reshape(-1)
    return pd.DataFrame(data, columns=list(CHAIN_COLUMNS))
