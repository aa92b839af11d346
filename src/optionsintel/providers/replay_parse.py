"""Pure parsers of the recorded real market files served by the replay provider.

Layouts (see ``replay_data/PROVENANCE.md`` section 3):

* **NSE daily** (``date,open,high,low,close,volume,value,symbol``): volume in shares.
* **Yahoo daily** (``Date,Open,High,Low,Close,Adj Close,Volume``): rows whose values are
  the string ``null`` (exchange holidays Yahoo still lists) are dropped.
* **yfinance multi-header daily** (three header lines ``Price/Ticker/Date``, columns
  ``Close,High,Low,Open,Volume``).
* **1-minute d3v-S** (headerless ``SYMBOL,YYYYMMDD,HH:MM,o,h,l,c,v,oi``): each day has a
  09:08 pre-open tick and a 15:32 post-close tick; ticks outside 09:15-15:30 are
  dropped (their count is kept in ``frame.attrs["dropped_outside_session"]``).
* **3-minute** (``datetime,open,high,low,close,volume``).
* **NSE contract-wise option history** (CE and PE files): end-of-day rows per
  (date, expiry, strike) with ``Open Int`` in *shares*.

Notes
-----
Every intraday label is kept as recorded and read as Asia/Kolkata wall time, then
converted to UTC. Daily bars are stamped 00:00 IST of the trading date. Index
volumes of 0 are kept as recorded (indices have no traded volume).

Stuck NIFTY BANK rows: the NSE-layout NIFTY BANK file repeats one (open, high, low)
triple (3659.8, 3664.45, 3609.75) on its first 1369 rows (2000-01-01 .. 2005-06-09)
while ``close`` is valid; on 1363 of them (to 2005-06-06, the count PROVENANCE quotes)
the close even lies outside [low, high], the last 6 merely happen to fit. Any
(open, high, low) triple that repeats on more than ``STUCK_REPEAT_LIMIT`` rows is
treated as stuck: ``close`` is kept, open/high/low are set to NaN
(count in ``frame.attrs["stuck_ohl_rows"]``).

Contract-history OI is converted to contracts to match NSE's option-chain API: the lot
size is the greatest common divisor of all ``Open Int``/``Change in OI`` values and is
cross-checked against ``Premium Turnover`` (``contracts x lot x low <= turnover <=
contracts x lot x high`` on traded rows). The lot is in ``frame.attrs["lot_size"]``.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from optionsintel.frames import CANDLE_COLUMNS
from optionsintel.providers.base import SchemaDriftError
from optionsintel.tz import EXCHANGE_TZ

PROVIDER = "replay"
IST = EXCHANGE_TZ
STUCK_REPEAT_LIMIT = 5
SESSION_OPEN, SESSION_CLOSE = "09:15", "15:30"


def _ist_to_utc(naive: pd.Series) -> pd.Series:
    """Localise naive IST wall times and convert to UTC (ns)."""
    return naive.dt.tz_localize(IST).dt.tz_convert("UTC").dt.as_unit("ns")


def _candles(frame: pd.DataFrame, symbol: str, interval: str, source: str) -> pd.DataFrame:
    """Finish a candle frame: canonical columns, sorted, unique ``ts``, provenance attrs."""
    frame["symbol"] = symbol
    frame["interval"] = interval
    frame["provider"] = PROVIDER
    if "oi" not in frame:
        frame["oi"] = np.nan
    frame = frame.drop_duplicates("ts", keep="first").sort_values("ts", ignore_index=True)
    out = frame.loc[:, list(CANDLE_COLUMNS)]
    out.attrs = {**frame.attrs, "source_files": [source]}
    return out


def _volume(raw: pd.DataFrame) -> pd.Series | float:
    """Float volume column of a raw frame, NaN when the file has none."""
    if "volume" not in raw:
        return np.nan
    return pd.to_numeric(raw["volume"], errors="coerce").astype("float64")


def detect_daily_layout(text: str) -> str:
    """Name the daily layout of a CSV from its header: ``nse``, ``yahoo`` or ``yfinance``."""
    first = text.split("\n", 1)[0].strip().lower()
    if first.startswith("price,"):
        return "yfinance"
    if first.startswith("date,open,high,low,close,adj close"):
        return "yahoo"
    if first.startswith("date,open,high,low,close,volume"):
        return "nse"
    raise SchemaDriftError([f"a known daily header (got {first[:60]!r})"], provider=PROVIDER)


def _blank_stuck_ohl(frame: pd.DataFrame) -> pd.DataFrame:
    """Set open/high/low to NaN on rows whose (o, h, l) triple is stuck (see Notes)."""
    triple = frame[["open", "high", "low"]]
    counts = triple.groupby(["open", "high", "low"], dropna=True)["open"].transform("size")
    stuck = counts.reindex(frame.index).fillna(0).to_numpy() > STUCK_REPEAT_LIMIT
    frame.loc[stuck, ["open", "high", "low"]] = np.nan
    frame.attrs["stuck_ohl_rows"] = int(stuck.sum())
    return frame


def parse_daily(text: str, symbol: str, source: str = "") -> pd.DataFrame:
    """Daily candles from any of the three recorded daily layouts.

    Returns
    -------
    pandas.DataFrame
        Canonical candles (``interval="1d"``) with ``attrs`` ``layout``,
        ``null_rows_dropped`` and ``stuck_ohl_rows``.
    """
    layout = detect_daily_layout(text)
    skip = [1, 2] if layout == "yfinance" else None
    raw = pd.read_csv(io.StringIO(text), skiprows=skip, na_values=["null"], keep_default_na=True)
    raw.columns = [c.strip().lower() for c in raw.columns]
    date_col = "price" if layout == "yfinance" else "date"
    missing = [c for c in (date_col, "open", "high", "low", "close") if c not in raw.columns]
    if missing:
        raise SchemaDriftError(missing, provider=PROVIDER, context=f"daily file {source}")
    frame = pd.DataFrame(
        {c: pd.to_numeric(raw[c], errors="coerce") for c in ("open", "high", "low", "close")}
    )
    frame["volume"] = _volume(raw)
    frame["ts"] = _ist_to_utc(pd.to_datetime(raw[date_col], format="%Y-%m-%d"))
    null_rows = frame["close"].isna()
    frame = frame.loc[~null_rows].reset_index(drop=True)
    frame = _blank_stuck_ohl(frame)
    frame.attrs.update(layout=layout, null_rows_dropped=int(null_rows.sum()))
    return _candles(frame, symbol, "1d", source)


def parse_intraday_1m(text: str, symbol: str, source: str = "") -> pd.DataFrame:
    """1-minute candles from a headerless d3v-S file, session ticks only (see Notes)."""
    names = ["sym", "day", "hhmm", "open", "high", "low", "close", "volume", "oi"]
    raw = pd.read_csv(io.StringIO(text), header=None, names=names, dtype={"day": str, "hhmm": str})
    if raw[["open", "close"]].isna().all().any():
        raise SchemaDriftError(
            ["SYMBOL,YYYYMMDD,HH:MM,o,h,l,c,v,oi rows"], provider=PROVIDER, context=source
        )
    inside = raw["hhmm"].between(SESSION_OPEN, SESSION_CLOSE)
    raw = raw.loc[inside].reset_index(drop=True)
    frame = raw[["open", "high", "low", "close", "volume", "oi"]].astype("float64")
    frame["ts"] = _ist_to_utc(pd.to_datetime(raw["day"] + " " + raw["hhmm"], format="%Y%m%d %H:%M"))
    frame.attrs["dropped_outside_session"] = int((~inside).sum())
    return _candles(frame, symbol, "1m", source)


def parse_intraday_3m(text: str, symbol: str, source: str = "") -> pd.DataFrame:
    """3-minute candles from a ``datetime,open,high,low,close,volume`` file."""
    raw = pd.read_csv(io.StringIO(text))
    missing = [c for c in ("datetime", "open", "high", "low", "close") if c not in raw.columns]
    if missing:
        raise SchemaDriftError(missing, provider=PROVIDER, context=f"3-minute file {source}")
    frame = raw[["open", "high", "low", "close"]].astype("float64")
    frame["volume"] = _volume(raw)
    frame["ts"] = _ist_to_utc(pd.to_datetime(raw["datetime"], format="%Y-%m-%d %H:%M:%S"))
    return _candles(frame, symbol, "3m", source)
