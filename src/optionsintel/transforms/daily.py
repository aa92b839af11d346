"""End-of-day tables: daily OHLC, the EOD option chain and the daily option-OI summary.

Pure functions mapping canonical frames onto the store tables ``daily_ohlc``,
``eod_option_chain`` and ``daily_option_oi_summary``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.calendar import session_bounds
from optionsintel.chain import ChainConfig, chain_iv, chain_summary
from optionsintel.frames import CHAIN_COLUMNS, require_columns
from optionsintel.tz import EXCHANGE_TZ

_CONTRACT = ["underlying", "provider", "expiry", "strike", "option_type"]
EOD_COLUMNS = (
    "underlying", "provider", "trade_date", "expiry", "strike", "option_type", "open", "high",
    "low", "close", "settle_price", "ltp", "volume", "oi", "oi_change", "iv", "underlying_price",
    "provider_iv", "iv_price_source",
)  # fmt: skip
DAILY_OHLC_COLUMNS = (
    "symbol",
    "provider",
    "trade_date",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "oi",
)
_SUMMARY_MAP = {
    "spot": "spot", "ce_oi": "total_ce_oi", "pe_oi": "total_pe_oi",
    "ce_volume": "total_ce_volume", "pe_volume": "total_pe_volume", "pcr_oi": "pcr_oi",
    "pcr_volume": "pcr_volume", "max_pain": "max_pain", "atm_strike": "atm_strike",
    "atm_iv": "atm_iv", "straddle": "straddle_premium", "expected_move": "expected_move",
    "net_gex": "gex_total", "gamma_flip_level": "gex_flip",
}  # fmt: skip
_EXTRA = ("pcr_oi_ntm", "max_pain_distance_pct", "forward", "days_to_expiry", "expected_move_pct",
          "support", "support_oi", "resistance", "resistance_oi", "oi_top_share", "oi_hhi",
          "total_gex", "gex_regime")  # fmt: skip


def trade_date_of(ts: Any) -> pd.Series:
    """IST trading date (naive midnight) of aware instants."""
    return (
        pd.to_datetime(ts, utc=True).dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None).dt.normalize()
    )


def daily_ohlc_from_quotes(quotes: pd.DataFrame) -> pd.DataFrame:
    """Daily bars per (symbol, provider, IST day) from intraday underlying quotes.

    Notes
    -----
    ``open`` is the first quote's day open (its ``ltp`` when absent), ``close`` the last, ``high``
    and ``low`` the extremes of ``ltp`` and of the quotes' own day high/low, ``volume``
    the last cumulative volume. Use a provider's own daily candles when it has them.
    """
    require_columns(quotes, ("underlying", "provider", "snapshot_ts", "ltp"), "quote")
    q = quotes.assign(
        symbol=quotes["underlying"].astype(str), provider=quotes["provider"].astype(str),
        trade_date=trade_date_of(quotes["snapshot_ts"]),
    ).sort_values("snapshot_ts", kind="stable")  # fmt: skip
    hi = q[["ltp", "high"]].max(axis=1) if "high" in q else q["ltp"]
    lo = q[["ltp", "low"]].min(axis=1) if "low" in q else q["ltp"]
    first_open = q["open"].fillna(q["ltp"]) if "open" in q else q["ltp"]
    q = q.assign(_hi=hi, _lo=lo, _open=first_open, volume=q.get("volume", np.nan))
    g = q.groupby(["symbol", "provider", "trade_date"], sort=True)
    out = g.agg(open=("_open", "first"), high=("_hi", "max"), low=("_lo", "min"),
                close=("ltp", "last"), volume=("volume", "last")).reset_index()  # fmt: skip
    out["oi"] = np.nan
    return out.loc[:, list(DAILY_OHLC_COLUMNS)]


def candles_to_daily_ohlc(candles: pd.DataFrame) -> pd.DataFrame:
    """Map canonical ``1d`` candles onto ``daily_ohlc`` rows (trade date in IST)."""
    require_columns(candles, ("symbol", "ts", "open", "high", "low", "close", "provider"), "candle")
    out = candles.assign(trade_date=trade_date_of(candles["ts"]))
    for col in ("volume", "oi"):
        if col not in out:
            out[col] = np.nan
    return out.loc[:, list(DAILY_OHLC_COLUMNS)].reset_index(drop=True)


def eod_chain_from_snapshots(snapshots: pd.DataFrame) -> pd.DataFrame:
    """End-of-day chain per contract and IST day from that day's chain snapshots.

    Notes
    -----
    ``open/high/low/close`` summarise the option's ``ltp`` over the snapshots given
    (so their resolution is the sampling of ``snapshots``); ``ltp, volume, oi,
    oi_change, underlying_price`` are those of the last snapshot. ``iv`` is the
    platform's own IV on the day's last snapshot (:func:`optionsintel.chain.chain_iv`),
    ``provider_iv`` the provider's figure there and ``iv_price_source`` the price used.
    ``settle_price`` is unknown from snapshots and left NaN.
    """
    require_columns(snapshots, CHAIN_COLUMNS, "option chain")
    s = snapshots.assign(
        underlying=snapshots["underlying"].astype(str), provider=snapshots["provider"].astype(str),
        option_type=snapshots["option_type"].astype(str),
        trade_date=trade_date_of(snapshots["snapshot_ts"]),
        expiry=pd.to_datetime(snapshots["expiry"]).dt.normalize(),
    ).sort_values("snapshot_ts", kind="stable")  # fmt: skip
    g = s.groupby([*_CONTRACT, "trade_date"], sort=True, observed=True)
    out = g.agg(open=("ltp", "first"), high=("ltp", "max"), low=("ltp", "min"),
                close=("ltp", "last"), ltp=("ltp", "last"), volume=("volume", "last"),
                oi=("oi", "last"), oi_change=("oi_change", "last"),
                underlying_price=("underlying_price", "last")).reset_index()  # fmt: skip
    out["settle_price"] = np.nan
    out = out.merge(_last_snapshot_iv(s), on=[*_CONTRACT, "trade_date"], how="left")
    return out.loc[:, list(EOD_COLUMNS)]


def _last_snapshot_iv(s: pd.DataFrame) -> pd.DataFrame:
    """Our IV, the provider's and the price source on each day's last snapshot."""
    last = s.groupby(["underlying", "provider", "trade_date"], observed=True)["snapshot_ts"]
    snap = s[s["snapshot_ts"] == last.transform("max")]
    iv = chain_iv(snap.loc[:, list(CHAIN_COLUMNS)])
    iv = iv.assign(underlying=iv["underlying"].astype(str), provider=iv["provider"].astype(str),
                   trade_date=trade_date_of(iv["snapshot_ts"]),
                   expiry=pd.to_datetime(iv["expiry"]).dt.normalize(),
                   iv_price_source=iv["price_source"])  # fmt: skip
    return iv.loc[:, [*_CONTRACT, "trade_date", "iv", "provider_iv", "iv_price_source"]]


def eod_to_chain(eod: pd.DataFrame) -> pd.DataFrame:
    """Canonical chain frame (stamped at each day's 15:30 IST close) from EOD rows."""
    require_columns(eod, ("underlying", "provider", "trade_date", "expiry", "strike",
                          "option_type", "oi", "underlying_price"), "EOD chain")  # fmt: skip
    out = eod.copy()
    days = pd.to_datetime(out["trade_date"]).dt.date
    closes = {d: session_bounds(d, tz="UTC")[1] for d in days.unique()}
    out["snapshot_ts"] = pd.to_datetime(days.map(closes), utc=True)
    out["ltp"] = out["close"].fillna(out["ltp"]) if "close" in out else out.get("ltp", np.nan)
    for col in CHAIN_COLUMNS:
        if col not in out:
            out[col] = np.nan
    out["exchange_ts"] = out["snapshot_ts"]
    out["ingested_at"] = out["snapshot_ts"]
    return out.loc[:, list(CHAIN_COLUMNS)]


def daily_option_oi_summary(eod: pd.DataFrame, config: ChainConfig | None = None) -> pd.DataFrame:
    """Headline OI/volatility figures per (underlying, provider, trade date, expiry).

    Parameters
    ----------
    eod
        ``eod_option_chain`` rows (one or more days).
    config
        Chain-analytics settings passed to :func:`optionsintel.chain.chain_summary`.

    Returns
    -------
    pandas.DataFrame
        Rows for ``daily_option_oi_summary``: totals, PCRs, max pain, ATM IV, straddle,
        expected move, net GEX and flip level, summed CE/PE ``oi_change``; the other
        summary figures in ``extra`` (a JSON object per row).
    """
    chain = eod_to_chain(eod)
    summary = chain_summary(chain, config or ChainConfig()).rename(columns=_SUMMARY_MAP)
    summary["trade_date"] = trade_date_of(summary["snapshot_ts"])
    summary["expiry"] = pd.to_datetime(summary["expiry"]).dt.normalize()
    keys = ["underlying", "provider", "trade_date", "expiry"]
    e = eod.assign(trade_date=pd.to_datetime(eod["trade_date"]),
                   expiry=pd.to_datetime(eod["expiry"]).dt.normalize())  # fmt: skip
    change = e.pivot_table(index=keys, columns="option_type", values="oi_change",
                           aggfunc="sum", observed=True).reset_index()  # fmt: skip
    change = change.rename(columns={"CE": "ce_oi_change", "PE": "pe_oi_change"})
    for col in ("ce_oi_change", "pe_oi_change"):
        if col not in change:
            change[col] = np.nan
    summary["underlying"] = summary["underlying"].astype(str)
    summary["provider"] = summary["provider"].astype(str)
    out = summary.merge(change[[*keys, "ce_oi_change", "pe_oi_change"]], on=keys, how="left")
    out["extra"] = _extra_records(out)
    out["iv_rank"] = np.nan
    out["iv_percentile"] = np.nan
    return out.reset_index(drop=True)


def _extra_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    cols = [c for c in _EXTRA if c in frame]
    sub = frame[cols].astype(object).where(frame[cols].notna(), None)
    return sub.to_dict("records")


def session_close(day: dt.date) -> pd.Timestamp:
    """The 15:30 IST close of ``day`` as a UTC timestamp."""
    return session_bounds(day, tz="UTC")[1]
