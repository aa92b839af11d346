"""Leg premiums and IVs from an option chain as of an instant, or from a model.

A chain frame (columns of :data:`optionsintel.frames.CHAIN_COLUMNS`, one or many
snapshots, e.g. a live chain or the store's as-of read) is cut at the instant asked
for: only snapshots taken at or before it are used, and of those the latest. A leg's
premium is the mid of a sane two-sided quote (``bid > 0``, ``ask >= bid``), else the
last traded price. Its IV is the chain's own ``iv`` column (percent, as NSE publishes
it) when positive; otherwise, or with ``iv_from="solve"``, the Black-76 IV of the
premium on the expiry's put-call-parity forward (:func:`optionsintel.pricing.implied_forward`)
with ``T`` from :func:`optionsintel.calendar.years_to_expiry` (calendar basis).
A chain carries no futures quotes: a futures leg is priced at the parity forward.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from optionsintel.calendar import years_to_expiry
from optionsintel.chain import atm_iv
from optionsintel.errors import LegQuoteError, StrategyError
from optionsintel.frames import require_columns
from optionsintel.pricing import black76_price, implied_forward, implied_volatility_with_reason
from optionsintel.strategies.legs import DEFAULT_RATE, MarketState, as_date
from optionsintel.strategies.templates import LegSpec, QuoteSource
from optionsintel.tz import to_utc

__all__ = ["LegQuote", "chain_quotes", "leg_quote", "market_from_chain", "model_quotes"]

IVSource = Literal["chain", "solve"]
_NEEDED = ("underlying", "snapshot_ts", "expiry", "strike", "option_type", "ltp", "bid", "ask")


class LegQuote(NamedTuple):
    """Premium and IV (decimal) of one contract, and where they came from."""

    price: float
    iv: float | None
    iv_source: str  # "chain", "solved" or "none (future)"
    snapshot_ts: pd.Timestamp
    forward: float


def _snapshot(chain: pd.DataFrame, underlying: str, as_of: Any, expiry: Any = None) -> pd.DataFrame:
    require_columns(chain, _NEEDED, "option chain")
    ts = pd.to_datetime(chain["snapshot_ts"], utc=True)
    keep = (chain["underlying"].astype(str) == underlying) & (ts <= to_utc(as_of))
    if expiry is not None:
        day = pd.Timestamp(as_date(expiry))
        keep &= pd.to_datetime(chain["expiry"]).dt.tz_localize(None).dt.normalize() == day
    if not keep.any():
        what = f"{underlying} expiry {as_date(expiry)}" if expiry is not None else underlying
        raise LegQuoteError(
            f"the chain has no {what} snapshot at or before {to_utc(as_of)}; "
            "read the chain as of a later instant or pick a listed expiry"
        )
    latest = ts[keep].max()
    return chain.loc[keep & (ts == latest)]


def _mid(rows: pd.DataFrame) -> np.ndarray:
    bid, ask = rows["bid"].to_numpy(float), rows["ask"].to_numpy(float)
    ltp = rows["ltp"].to_numpy(float)
    price = np.where((bid > 0) & (ask >= bid), 0.5 * (bid + ask), ltp)
    return np.where(price > 0, price, np.nan)


def _forward(rows: pd.DataFrame, T: float, rate: float) -> float:
    calls = rows[rows["option_type"] == "CE"].set_index("strike")
    puts = rows[rows["option_type"] == "PE"].set_index("strike")
    common = calls.index.intersection(puts.index)
    c, p = _mid(calls.loc[common]), _mid(puts.loc[common])
    return implied_forward(common.to_numpy(float), c, p, T, rate)


def leg_quote(
    chain: pd.DataFrame,
    underlying: str,
    instrument: str,
    expiry: Any,
    as_of: Any,
    strike: float | None = None,
    *,
    rate: float = DEFAULT_RATE,
    iv_from: IVSource = "chain",
) -> LegQuote:
    """Premium and IV of one contract from the chain as it stood at ``as_of``.

    Parameters
    ----------
    chain
        Canonical chain frame (any number of snapshots).
    underlying, instrument, expiry, strike
        The contract (``instrument`` ``"CE"``, ``"PE"`` or ``"FUT"``).
    as_of
        Instant; the latest snapshot at or before it is used (naive is IST).
    rate
        Rate for the parity forward and the IV solver.
    iv_from
        ``"chain"``: the chain's ``iv`` column when positive, else solved; ``"solve"``:
        always solved from the premium.

    Raises
    ------
    LegQuoteError
        No snapshot, strike not listed, no usable price, or no IV reproduces the price.
    """
    if iv_from not in ("chain", "solve"):
        raise StrategyError(f"iv_from must be 'chain' or 'solve', got {iv_from!r}")
    if instrument not in ("CE", "PE", "FUT"):
        raise StrategyError(f"instrument must be 'CE', 'PE' or 'FUT', got {instrument!r}")
    rows = _snapshot(chain, underlying, as_of, expiry)
    snap_ts = pd.Timestamp(pd.to_datetime(rows["snapshot_ts"], utc=True).iloc[0])
    day = as_date(expiry)
    T = float(years_to_expiry(snap_ts, day, basis="calendar"))
    fwd = _forward(rows, T, rate)
    if instrument == "FUT":
        return LegQuote(fwd, None, "none (future at the parity forward)", snap_ts, fwd)
    row = rows[(rows["option_type"] == instrument) & (rows["strike"].astype(float) == strike)]
    if row.empty:
        raise LegQuoteError(f"{strike} {instrument} {day} is not listed in the {snap_ts} snapshot")
    price = float(_mid(row)[0])
    if not price > 0:
        raise LegQuoteError(f"{strike} {instrument} {day} has no positive bid/ask mid or LTP")
    chain_iv = float(row["iv"].iloc[0]) if "iv" in row.columns else float("nan")
    if iv_from == "chain" and chain_iv > 0:
        return LegQuote(price, chain_iv / 100.0, "chain", snap_ts, fwd)
    res = implied_volatility_with_reason(price, fwd, float(strike or 0.0), T, rate, instrument)
    if not res.iv > 0:
        raise LegQuoteError(
            f"no Black-76 IV reproduces {price} for {strike} {instrument} {day} "
            f"({res.reason.name}); check the quote or pass the IV yourself"
        )
    return LegQuote(price, float(res.iv), "solved", snap_ts, fwd)


def chain_quotes(
    chain: pd.DataFrame,
    underlying: str,
    as_of: Any,
    *,
    rate: float = DEFAULT_RATE,
    iv_from: IVSource = "chain",
) -> QuoteSource:
    """A quote source for :func:`build_strategy` reading every leg from the chain at ``as_of``."""

    def quote(spec: LegSpec) -> tuple[float, float | None]:
        q = leg_quote(chain, underlying, spec.instrument, spec.expiry, as_of, spec.strike,
                      rate=rate, iv_from=iv_from)  # fmt: skip
        return q.price, q.iv

    return quote


def model_quotes(
    market: MarketState, volatility: float | Callable[[float, dt.date], float]
) -> QuoteSource:
    """A quote source pricing options with Black-76 at a flat volatility or a smile.

    ``volatility`` is a decimal, or a callable ``(strike, expiry) -> volatility``. A
    future is quoted at its expiry's forward.
    """

    def quote(spec: LegSpec) -> tuple[float, float | None]:
        fwd = market.forward(spec.expiry)
        if spec.instrument == "FUT":
            return fwd, None
        strike = float(spec.strike or 0.0)
        vol = float(volatility(strike, spec.expiry) if callable(volatility) else volatility)
        T = market.years_to(spec.expiry)
        price = black76_price(fwd, strike, T, market.rate, vol, spec.instrument)
        return float(price), vol  # type: ignore[arg-type]

    return quote


def market_from_chain(
    chain: pd.DataFrame, underlying: str, as_of: Any, *, rate: float = DEFAULT_RATE
) -> MarketState:
    """The market at ``as_of``: spot, parity forwards and ATM IVs of every listed expiry.

    Uses the latest snapshot at or before ``as_of`` and
    :func:`optionsintel.chain.atm_iv` (forward by put-call parity; ATM IV interpolated
    in strike from the out-of-the-money side of the chain's ``iv`` column). Expiries
    without an ATM IV are left out of ``atm_ivs``.

    Raises
    ------
    LegQuoteError
        No snapshot of ``underlying`` at or before ``as_of``.
    """
    snap = _snapshot(chain, underlying, as_of)
    atm = atm_iv(snap, rate=rate)
    days = [as_date(e) for e in atm["expiry"]]
    ok = (atm["time_to_expiry"].to_numpy() > 0) & (atm["atm_iv"].to_numpy() > 0)
    forwards = dict(zip(days, atm["forward"].astype(float), strict=True))
    ivs = {d: float(v) / 100.0 for d, v, k in zip(days, atm["atm_iv"], ok, strict=True) if k}
    spot = float(atm["spot"].iloc[0])
    return MarketState(as_of=as_of, spot=spot, rate=rate, forwards=forwards, atm_ivs=ivs)
