"""Angel One instrument master (``OpenAPIScripMaster.json``): download, daily disk cache, lookups.

Row format (see ``SMARTAPI_NOTES.md``): ``token, symbol, name, expiry, strike, lotsize,
instrumenttype, exch_seg, tick_size`` as strings. ``strike`` is the strike x 100
(``"1640000.000000"`` = 16400; ``-1`` for equities, ``0`` for indices), ``tick_size`` is
in paise, ``expiry`` is ``DDMONYYYY`` (``05MAY2022``; some copies mixed-case,
``04Apr2024``). Option symbols end in ``CE``/``PE``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import pandas as pd

from optionsintel.providers.base import (
    Clock,
    NoDataError,
    SchemaDriftError,
    TransientProviderError,
    utc_now,
)
from optionsintel.tz import EXCHANGE_TZ

logger = logging.getLogger(__name__)

SCRIP_MASTER_URL = (
    "https://margincalculator.angelbroking.com/OpenAPI_File/files/OpenAPIScripMaster.json"
)
IST = ZoneInfo(EXCHANGE_TZ)
SCRIP_KEYS: tuple[str, ...] = (
    "token", "symbol", "name", "expiry", "strike", "lotsize", "instrumenttype", "exch_seg",
    "tick_size",
)  # fmt: skip
#: Index spot tokens from the notes, used when the master has no AMXIDX row for them.
INDEX_TOKENS: dict[str, str] = {
    "NIFTY": "99926000", "BANKNIFTY": "99926009", "FINNIFTY": "99926037",
    "MIDCPNIFTY": "99926074", "INDIAVIX": "99926017",
}  # fmt: skip
_EXPIRY_FORMATS = ("%d%b%Y", "%d%b%y", "%Y-%m-%d", "%d-%b-%Y")
_CACHE_PREFIX = "OpenAPIScripMaster_"


class ScripMasterError(SchemaDriftError):
    """The instrument master does not have the documented shape."""


def parse_expiry(values: pd.Series) -> pd.Series:
    """Parse master expiries (``05MAY2022``, ``04Apr2024``, ``05MAY22``, ISO) to dates.

    Blank values become ``NaT``; a value no format can read raises
    :class:`ScripMasterError` listing a few of them.
    """
    text = values.astype("string").fillna("").str.strip().str.title()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    todo = text != ""
    for fmt in _EXPIRY_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        out.loc[ok[ok].index] = parsed[ok]
        todo.loc[ok[ok].index] = False
    if todo.any():
        bad = sorted(set(values[todo].astype(str)))[:5]
        raise ScripMasterError([f"expiry parsable as DDMONYYYY, got {bad}"], provider="angelone")
    return out


def scrip_frame(records: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Normalise raw master rows: numeric strike (INR), expiry dates, ``option_type``.

    Returns
    -------
    pandas.DataFrame
        ``token, symbol, name, expiry, strike, lotsize, instrumenttype, exch_seg,
        tick_size, option_type``; ``strike`` in rupees (NaN for cash/index rows),
        ``tick_size`` in rupees, ``option_type`` ``CE``/``PE`` for options else NA.
    """
    raw = pd.DataFrame.from_records(list(records))
    missing = [k for k in SCRIP_KEYS if k not in raw.columns]
    if missing:
        raise ScripMasterError(missing, provider="angelone", context="OpenAPIScripMaster row")
    out = raw.loc[:, list(SCRIP_KEYS)].copy()
    for col in ("token", "symbol", "name", "instrumenttype", "exch_seg"):
        out[col] = out[col].astype("string").str.strip()
    strike = pd.to_numeric(out["strike"], errors="coerce") / 100.0
    out["strike"] = strike.where(strike > 0)
    out["tick_size"] = pd.to_numeric(out["tick_size"], errors="coerce") / 100.0
    out["lotsize"] = pd.to_numeric(out["lotsize"], errors="coerce").astype("Int64")
    out["expiry"] = parse_expiry(out["expiry"])
    suffix = out["symbol"].str[-2:]
    is_option = out["instrumenttype"].str.startswith("OPT") & suffix.isin(["CE", "PE"])
    out["option_type"] = suffix.where(is_option.fillna(False))
    return out


class ScripMaster:
    """Token lookups over a normalised instrument master (see :func:`scrip_frame`)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._options = frame[frame["option_type"].notna() & (frame["exch_seg"] == "NFO")]
        # one group per underlying: lookups then scan thousands of rows, not the whole master
        empty = self._options.iloc[:0]
        self._by_name = {str(k): g for k, g in self._options.groupby("name", sort=False)}
        self._empty = empty

    def __repr__(self) -> str:
        return f"ScripMaster(rows={len(self.frame)}, nfo_options={len(self._options)})"

    @classmethod
    def from_records(cls, records: Sequence[dict[str, Any]]) -> ScripMaster:
        """Build from raw master rows."""
        return cls(scrip_frame(records))

    @classmethod
    def load(
        cls,
        cache_dir: Path,
        *,
        http: httpx.Client | None = None,
        url: str = SCRIP_MASTER_URL,
        clock: Clock = utc_now,
    ) -> ScripMaster:
        """Load today's master from ``cache_dir``, downloading it when the cache is stale.

        The file is stored as ``OpenAPIScripMaster_<YYYY-MM-DD>.json`` (IST date of the
        download); a cached file older than today (IST) is replaced and deleted.
        """
        today = clock().astimezone(IST).date()
        cache_dir = Path(cache_dir)
        path = cache_dir / f"{_CACHE_PREFIX}{today.isoformat()}.json"
        if not path.exists():
            _download(path, http=http, url=url)
            for old in cache_dir.glob(f"{_CACHE_PREFIX}*.json"):
                if old != path and _cached_date(old) < today:
                    old.unlink(missing_ok=True)
        records = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(records, list):
            raise ScripMasterError(["a JSON array of rows"], provider="angelone", context=str(path))
        return cls.from_records(records)

    def options(self, underlying: str, expiry: dt.date | None = None) -> pd.DataFrame:
        """NFO option rows of ``underlying`` (one expiry or all), sorted by expiry, strike, type.

        Raises
        ------
        NoDataError
            If the master lists no such options (the message lists the known expiries).
        """
        name = underlying.strip().upper()
        rows = self._by_name.get(name, self._empty)
        if expiry is not None:
            rows = rows[rows["expiry"] == pd.Timestamp(expiry)]
        if rows.empty:
            known = self.expiries(name)
            hint = f"; listed expiries: {[d.isoformat() for d in known[:8]]}" if known else ""
            raise NoDataError(
                f"no NFO options for {name!r}" + (f" expiring {expiry}" if expiry else "") + hint,
                provider="angelone",
            )
        return rows.sort_values(["expiry", "strike", "option_type"], ignore_index=True)

    def expiries(self, underlying: str) -> list[dt.date]:
        """Return the listed option expiries of ``underlying``, ascending."""
        rows = self._by_name.get(underlying.strip().upper(), self._empty)
        return [ts.date() for ts in sorted(rows["expiry"].dropna().unique())]

    def option_token(
        self, underlying: str, expiry: dt.date, strike: float, option_type: str
    ) -> str:
        """Symbol token of one NFO option contract.

        Raises
        ------
        NoDataError
            With the nearest listed strikes when the contract is not in the master.
        """
        rows = self.options(underlying, expiry)
        kind = option_type.strip().upper()
        hit = rows[np.isclose(rows["strike"], float(strike)) & (rows["option_type"] == kind)]
        if hit.empty:
            strikes = np.sort(rows["strike"].unique())
            near = strikes[np.argsort(np.abs(strikes - float(strike)))[:4]]
            raise NoDataError(
                f"{underlying} {expiry} {strike:g} {kind} is not listed; "
                f"nearest strikes: {sorted(near.tolist())}",
                provider="angelone",
            )
        return str(hit["token"].iloc[0])

    def spot_token(self, symbol: str) -> tuple[str, str]:
        """``(exchange, token)`` of an index (``NIFTY``...) or an NSE equity (``SBIN``)."""
        name = symbol.strip().upper()
        f = self.frame
        idx = f[(f["instrumenttype"] == "AMXIDX") & (f["name"] == name)]
        if not idx.empty:
            return str(idx["exch_seg"].iloc[0]), str(idx["token"].iloc[0])
        if name in INDEX_TOKENS:
            return "NSE", INDEX_TOKENS[name]
        eq = f[(f["exch_seg"] == "NSE") & f["symbol"].isin([f"{name}-EQ", name])]
        if not eq.empty:
            return "NSE", str(eq["token"].iloc[0])
        nfo = f[f["symbol"] == name]
        if not nfo.empty:
            return str(nfo["exch_seg"].iloc[0]), str(nfo["token"].iloc[0])
        raise NoDataError(
            f"{symbol!r} is not in the Angel One instrument master (index name like 'NIFTY', "
            "NSE equity like 'SBIN', or a full trading symbol)",
            provider="angelone",
        )


def _cached_date(path: Path) -> dt.date:
    try:
        return dt.date.fromisoformat(path.stem.removeprefix(_CACHE_PREFIX))
    except ValueError:
        return dt.date.min


def _download(path: Path, *, http: httpx.Client | None, url: str) -> None:
    client = http or httpx.Client(timeout=60.0, follow_redirects=True)
    logger.info("downloading the Angel One instrument master from %s", url)
    try:
        response = client.get(url)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise TransientProviderError(
            f"could not download the Angel One instrument master ({type(exc).__name__}); "
            "retry later or place today's OpenAPIScripMaster file in the cache directory",
            provider="angelone",
        ) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(response.content)
    tmp.replace(path)
