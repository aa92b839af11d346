"""End-of-day option chains from NSE contract-wise option history CSVs.

NSE's "contract-wise archive" (``nse_contract_history_OPTIDX_<SYMBOL>_<CE|PE>_*.csv``)
has one row per (date, expiry, strike) with ``Open Int`` and ``Change in OI`` in
*shares* and ``No. of contracts`` traded. :func:`eod_chain` turns the CE and PE files
into a canonical chain for one trading date with OI in contracts (NSE's option-chain
unit), the lot size being inferred and cross-checked (see
:mod:`optionsintel.providers.replay_parse`).

Notes
-----
``ltp`` is NSE's ``LTP`` (NaN when the contract did not trade: NSE writes 0);
``volume`` is ``No. of contracts``; ``snapshot_ts`` is 15:30 IST of the date;
``underlying_price`` is NSE's ``Underlying Value`` (NSE writes ``-`` on some days: NaN
there unless the caller supplies the index close). Bid/ask, IV and greeks are not in
the archive (NaN).
"""

from __future__ import annotations

import datetime as dt
import io
from functools import reduce
from math import gcd

import numpy as np
import pandas as pd

from optionsintel.frames import CHAIN_COLUMNS
from optionsintel.providers.base import NoDataError, SchemaDriftError
from optionsintel.tz import EXCHANGE_TZ

PROVIDER = "replay"
_COLUMNS = {
    "Symbol": "symbol", "Date": "date", "Expiry": "expiry", "Option Type": "option_type",
    "Strike Price": "strike", "Open": "open", "High": "high", "Low": "low", "Close": "close",
    "LTP": "ltp", "Settle Price": "settle", "No. of contracts": "contracts",
    "Premium Turnover in Lacs": "premium_lacs", "Open Int": "oi_shares",
    "Change in OI": "oi_change_shares", "Underlying Value": "underlying_value",
}  # fmt: skip


def parse_contract_history(text: str, source: str = "") -> pd.DataFrame:
    """Parse one contract-wise history CSV into a tidy frame (NSE's units kept).

    Raises
    ------
    SchemaDriftError
        If a known column is missing.
    """
    raw = pd.read_csv(io.StringIO(text), dtype=str)
    raw.columns = [c.strip() for c in raw.columns]
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise SchemaDriftError(missing, provider=PROVIDER, context=f"contract history {source}")
    frame = raw.rename(columns=_COLUMNS).loc[:, list(_COLUMNS.values())]
    for col in ("date", "expiry"):
        frame[col] = pd.to_datetime(frame[col].str.strip(), format="%d-%b-%Y")
    numeric = [c for c in _COLUMNS.values() if c not in ("symbol", "date", "expiry", "option_type")]
    for col in numeric:
        frame[col] = pd.to_numeric(frame[col].str.strip(), errors="coerce")  # "-" -> NaN
    frame["symbol"] = frame["symbol"].str.strip().str.upper()
    frame["option_type"] = frame["option_type"].str.strip().str.upper()
    frame.attrs["source_files"] = [source]
    return frame


def infer_lot_size(history: pd.DataFrame) -> int:
    """Lot size implied by a contract history: gcd of OI values, checked against turnover.

    Raises
    ------
    SchemaDriftError
        If no OI is recorded or the premium turnover contradicts the inferred lot.

    Notes
    -----
    Premium turnover of traded rows lies between ``contracts x lot x low`` and
    ``contracts x lot x high`` (with 0.01 lakh of rounding); a wrong lot breaks that.
    """
    values = np.abs(history[["oi_shares", "oi_change_shares"]].to_numpy().ravel())
    values = values[np.isfinite(values) & (values > 0)].astype(np.int64)
    if values.size == 0:
        raise SchemaDriftError(["Open Int (all zero or missing)"], provider=PROVIDER)
    lot = int(reduce(gcd, np.unique(values).tolist()))
    traded = history.loc[history["contracts"] > 0]
    qty = traded["contracts"] * lot
    turnover = traded["premium_lacs"] * 1e5
    slack = 1e3 + 1e-6 * turnover
    ok = (turnover >= qty * traded["low"] - slack) & (turnover <= qty * traded["high"] + slack)
    if not ok.all():
        raise SchemaDriftError(
            [f"premium turnover consistent with lot {lot} ({int((~ok).sum())} rows disagree)"],
            provider=PROVIDER,
        )
    return lot


def eod_chain(
    history: pd.DataFrame,
    date: dt.date,
    *,
    lot_size: int,
    underlying_price: float | None = None,
    ingested_at: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Canonical option chain of one trading date from CE+PE contract history rows.

    Parameters
    ----------
    history
        Concatenated :func:`parse_contract_history` frames (CE and PE) of one underlying.
    date
        Trading date.
    lot_size
        Shares per contract, to express OI in contracts.
    underlying_price
        Used where NSE's ``Underlying Value`` is missing.

    Raises
    ------
    NoDataError
        If the history has no row for ``date``.
    """
    day = history.loc[history["date"] == pd.Timestamp(date)]
    if day.empty:
        recorded = sorted({d.date().isoformat() for d in history["date"]})
        raise NoDataError(
            f"no contract history for {date}; recorded dates: {recorded}", provider=PROVIDER
        )
    snap = pd.Timestamp(dt.datetime.combine(date, dt.time(15, 30)), tz=EXCHANGE_TZ).tz_convert(
        "UTC"
    )
    chain = pd.DataFrame(
        {
            "underlying": day["symbol"].to_numpy(object),
            "expiry": day["expiry"].to_numpy(),
            "strike": day["strike"].to_numpy(np.float64),
            "option_type": day["option_type"].to_numpy(object),
            "ltp": day["ltp"].where(day["ltp"] > 0).to_numpy(np.float64),
            "volume": day["contracts"].to_numpy(np.float64),
            "oi": day["oi_shares"].to_numpy(np.float64) / lot_size,
            "oi_change": day["oi_change_shares"].to_numpy(np.float64) / lot_size,
            "underlying_price": day["underlying_value"]
            .fillna(np.nan if underlying_price is None else underlying_price)
            .to_numpy(np.float64),
        }
    )
    for col in ("bid", "ask", "bid_qty", "ask_qty", "iv", "delta", "gamma", "theta", "vega"):
        chain[col] = np.nan
    stamp = pd.Timestamp.now(tz="UTC") if ingested_at is None else ingested_at
    chain["snapshot_ts"] = pd.Series(snap, index=chain.index).dt.as_unit("ns")
    chain["exchange_ts"] = chain["snapshot_ts"]
    chain["ingested_at"] = pd.Series(stamp, index=chain.index).dt.as_unit("ns")
    chain["provider"] = PROVIDER
    chain = chain.sort_values(["expiry", "strike", "option_type"], ignore_index=True)
    out = chain.loc[:, list(CHAIN_COLUMNS)]
    out.attrs = {"lot_size": lot_size, "source_files": history.attrs.get("source_files", [])}
    return out
