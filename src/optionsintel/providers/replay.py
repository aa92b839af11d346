"""Replay of recorded real market data on the live provider interface, on a simulated clock.

:class:`ReplayProvider` serves the recorded files shipped in
``optionsintel/providers/replay_data`` (or any folder with the same layout) as if they
were live: every answer is what was known at ``clock()``, never later. All rows carry
``provider="replay"``; the source file names are in ``frame.attrs["source_files"]``.

Notes
-----
Availability rules (no look-ahead):

* option-chain snapshot: the latest recorded NSE snapshot with ``snapshot_ts <= now``;
* intraday bar labelled ``ts`` of length ``d``: available once ``ts + d <= now``;
* daily bar of date D (stamped 00:00 IST): available from 15:30 IST on D;
* EOD chain of date D (contract history): available from 15:30 IST on D.

When several daily files cover a day, the NSE-layout file wins over yfinance and
then Yahoo files. Units follow :mod:`optionsintel.providers.replay_parse` and
:mod:`optionsintel.providers.replay_history` (OI in contracts).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from optionsintel.frames import CANDLE_COLUMNS, QUOTE_COLUMNS, empty_frame
from optionsintel.providers.base import Clock, NoDataError, Snapshot, utc_now
from optionsintel.providers.nse_parse import parse_option_chain, snapshot_time
from optionsintel.providers.replay_files import PROVIDER, data_root, list_files, read_bytes
from optionsintel.providers.replay_history import eod_chain, infer_lot_size, parse_contract_history
from optionsintel.providers.replay_parse import (
    parse_daily,
    parse_intraday_1m,
    parse_intraday_3m,
)
from optionsintel.tz import EXCHANGE_TZ

Kind = Literal["chain_snapshot", "contract_history", "1m", "3m", "1d"]
_ALIASES = {"NIFTY50": "NIFTY", "NIFTY 50": "NIFTY", "NIFTYBANK": "BANKNIFTY", "BNF": "BANKNIFTY",
            "INDIA_VIX": "INDIAVIX", "INDIA VIX": "INDIAVIX"}  # fmt: skip
_PATTERNS: list[tuple[Kind, re.Pattern[str]]] = [
    ("chain_snapshot",
     re.compile(r"^nse_option_chain_(?:indices|equities)_([A-Z0-9&_-]+?)_\d{4}-\d\d-\d\d_.*\.json$")),
    ("contract_history",
     re.compile(r"^nse_contract_history_OPT(?:IDX|STK)_([A-Z0-9&-]+)_(?:CE|PE)_.*\.csv$")),
    ("1m", re.compile(r"^intraday_1min_\d{4}_[A-Z]{3}_([A-Z]+)_.*\.txt$")),
    ("3m", re.compile(r"^intraday_3min_([A-Z_]+?)_[a-zA-Z0-9-]+\.csv$")),
    ("1d", re.compile(r"^([A-Z0-9]+)_daily_.*\.csv$")),
]  # fmt: skip
_INTERVALS = {"1m": pd.Timedelta(minutes=1), "3m": pd.Timedelta(minutes=3), "1d": pd.Timedelta(0)}
_DAILY_PRIORITY = {"nse": 0, "yfinance": 1, "yahoo": 2}
_CLOSE_IST = dt.time(15, 30)


def canonical_symbol(name: str) -> str:
    """Map file/NSE spellings (``NIFTY50``, ``BNF``, ``INDIA_VIX``) to F&O symbols."""
    upper = name.upper().strip()
    return _ALIASES.get(upper, upper)


@dataclass(frozen=True)
class RecordedFile:
    """One recorded file: what it holds and for which symbol."""

    kind: Kind
    symbol: str
    subdir: Literal["nse", "market"]
    name: str


def catalog(data_dir: str | Path | None = None) -> list[RecordedFile]:
    """Classify every recorded file by kind and symbol from its name."""
    root = data_root(data_dir)
    found: list[RecordedFile] = []
    for subdir in ("nse", "market"):
        for name in list_files(root, subdir):
            for kind, pattern in _PATTERNS:
                match = pattern.match(name)
                if match:
                    found.append(RecordedFile(kind, canonical_symbol(match.group(1)), subdir, name))
                    break
    return found


def _close_of(day: pd.Series) -> pd.Series:
    """15:30 IST of each daily bar's date, in UTC (when the bar becomes known)."""
    local = day.dt.tz_convert(EXCHANGE_TZ).dt.normalize()
    return (local + pd.Timedelta(hours=15, minutes=30)).dt.tz_convert("UTC")


class ReplayProvider:
    """Recorded real data served on the :class:`MarketDataProvider` interface.

    Parameters
    ----------
    clock
        Simulated "now" (aware datetime). Nothing recorded after it is returned.
    data_dir
        Folder with ``nse/`` and ``market/`` subfolders; default the packaged data.
    max_staleness
        When set, an option-chain snapshot older than this at ``clock()`` is refused
        (:class:`NoDataError`) instead of served.
    """

    name = PROVIDER

    def __init__(
        self,
        clock: Clock = utc_now,
        data_dir: str | Path | None = None,
        *,
        max_staleness: dt.timedelta | None = None,
    ) -> None:
        self._clock = clock
        self._root = data_root(data_dir)
        self._files = catalog(data_dir)
        self._max_staleness = max_staleness
        self._cache: dict[tuple[str, ...], object] = {}

    # -- helpers ---------------------------------------------------------------------
    def _now(self) -> pd.Timestamp:
        now = pd.Timestamp(self._clock())
        return now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")

    def _of(self, kind: Kind, symbol: str) -> list[RecordedFile]:
        sym = canonical_symbol(symbol)
        return [f for f in self._files if f.kind == kind and f.symbol == sym]

    def _text(self, f: RecordedFile) -> str:
        return read_bytes(self._root, f.subdir, f.name).decode("utf-8")

    def _snapshots(self, symbol: str) -> list[tuple[pd.Timestamp, RecordedFile, dict]]:
        key = ("snap", canonical_symbol(symbol))
        if key not in self._cache:
            items: list[tuple[pd.Timestamp, RecordedFile, dict]] = []
            for f in self._of("chain_snapshot", symbol):
                payload = json.loads(self._text(f))
                # only the timestamp here: the legs of the one snapshot served are parsed later
                items.append((snapshot_time(payload), f, payload))
            self._cache[key] = sorted(items, key=lambda t: t[0])
        return self._cache[key]  # type: ignore[return-value]

    def _no_data(self, what: str, symbol: str) -> NoDataError:
        # A boolean mask, never DataFrame.query: the symbol comes from the user.
        available = self.available()
        recorded = available.loc[available["symbol"] == symbol].to_dict("records")
        return NoDataError(
            f"replay has no {what} for {symbol!r} at or before {self._now()}; recorded: {recorded}",
            provider=PROVIDER,
        )

    # -- option chains -----------------------------------------------------------------
    def fetch_option_chain(self, underlying: str):
        """Latest recorded NSE snapshot at or before ``clock()``, fully parsed."""
        symbol = canonical_symbol(underlying)
        now = self._now()
        known = [s for s in self._snapshots(symbol) if s[0] <= now]
        if not known:
            raise self._no_data("option-chain snapshot", symbol)
        ts, f, payload = known[-1]
        if self._max_staleness is not None and now - ts > self._max_staleness:
            raise NoDataError(
                f"latest recorded {symbol} snapshot ({ts}) is older than {self._max_staleness} "
                f"at {now}",
                provider=PROVIDER,
            )
        parsed = parse_option_chain(payload, ingested_at=now, underlying=symbol, provider=PROVIDER)
        parsed.chain.attrs["source_files"] = [f.name]
        return parsed

    def get_option_chain(self, underlying: str, expiry: dt.date | None = None) -> pd.DataFrame:
        """Canonical chain of the latest snapshot at or before ``clock()`` (one expiry if given)."""
        parsed = self.fetch_option_chain(underlying)
        chain = parsed.chain
        if expiry is None:
            return chain
        if expiry not in parsed.expiries:
            raise NoDataError(
                f"{underlying} snapshot {parsed.snapshot_ts} lists no expiry {expiry}; "
                f"listed: {[d.isoformat() for d in parsed.expiries]}",
                provider=PROVIDER,
            )
        out = chain.loc[chain["expiry"] == pd.Timestamp(expiry)].reset_index(drop=True)
        out.attrs = dict(chain.attrs)
        return out

    def snapshot(self, underlying: str) -> Snapshot:
        """Quote and chain of the latest recorded snapshot at or before ``clock()`` (one file)."""
        parsed = self.fetch_option_chain(underlying)
        return Snapshot(parsed.quote, parsed.chain)

    def _history(self, symbol: str) -> tuple[pd.DataFrame, int]:
        key = ("hist", canonical_symbol(symbol))
        if key not in self._cache:
            files = self._of("contract_history", symbol)
            if not files:
                raise self._no_data("contract history", symbol)
            parts = [parse_contract_history(self._text(f), f.name) for f in files]
            frame = pd.concat(parts, ignore_index=True)
            frame.attrs["source_files"] = [f.name for f in files]
            self._cache[key] = (frame, infer_lot_size(frame))
        return self._cache[key]  # type: ignore[return-value]

    def get_eod_chain(self, underlying: str, date: dt.date) -> pd.DataFrame:
        """End-of-day chain of ``date`` from NSE contract-wise histories (CE + PE).

        Missing ``Underlying Value`` is filled with the recorded daily close of the index.

        Raises
        ------
        NoDataError
            If ``date`` is not recorded or its close (15:30 IST) is after ``clock()``.
        """
        symbol = canonical_symbol(underlying)
        ready = pd.Timestamp(dt.datetime.combine(date, _CLOSE_IST), tz=EXCHANGE_TZ)
        if ready > self._now():
            raise NoDataError(f"EOD chain of {date} is not known before {ready}", provider=PROVIDER)
        history, lot = self._history(symbol)
        daily = self._daily(symbol)
        day_close = daily.loc[daily["ts"].dt.tz_convert(EXCHANGE_TZ).dt.date == date, "close"]
        spot = float(day_close.iloc[0]) if len(day_close) else None
        return eod_chain(
            history, date, lot_size=lot, underlying_price=spot, ingested_at=self._now()
        )

    # -- candles -----------------------------------------------------------------------
    def _daily(self, symbol: str) -> pd.DataFrame:
        key = ("1d", canonical_symbol(symbol))
        if key not in self._cache:
            parts = [parse_daily(self._text(f), f.symbol, f.name) for f in self._of("1d", symbol)]
            parts.sort(key=lambda p: _DAILY_PRIORITY[p.attrs["layout"]])
            self._cache[key] = self._merge(parts)
        return self._cache[key]  # type: ignore[return-value]

    @staticmethod
    def _merge(parts: list[pd.DataFrame]) -> pd.DataFrame:
        """Concatenate candle frames, earlier parts winning on equal ``ts``."""
        if not parts:
            return empty_frame(CANDLE_COLUMNS)
        merged = pd.concat(parts, ignore_index=True).drop_duplicates("ts", keep="first")
        merged = merged.sort_values("ts", ignore_index=True)
        merged.attrs = {"source_files": [s for p in parts for s in p.attrs["source_files"]]}
        for attr in ("dropped_outside_session", "stuck_ohl_rows", "null_rows_dropped"):
            merged.attrs[attr] = sum(int(p.attrs.get(attr, 0)) for p in parts)
        return merged

    def _bars(self, symbol: str, interval: str) -> pd.DataFrame:
        if interval == "1d":
            return self._daily(symbol)
        key = (interval, canonical_symbol(symbol))
        if key not in self._cache:
            parser = parse_intraday_1m if interval == "1m" else parse_intraday_3m
            files = self._of(interval, symbol)  # type: ignore[arg-type]
            self._cache[key] = self._merge([parser(self._text(f), f.symbol, f.name) for f in files])
        return self._cache[key]  # type: ignore[return-value]

    def get_candles(
        self, symbol: str, interval: str, start: dt.datetime, end: dt.datetime
    ) -> pd.DataFrame:
        """Return recorded ``1m``/``3m``/``1d`` bars in ``[start, end]`` that are known by now.

        Raises
        ------
        NoDataError
            For other intervals, or when nothing is recorded in the window.
        """
        if interval not in _INTERVALS:
            raise NoDataError(
                f"replay records only {sorted(_INTERVALS)} bars, not {interval!r}",
                provider=PROVIDER,
            )
        bars = self._bars(symbol, interval)
        lo, hi = pd.Timestamp(start), pd.Timestamp(end)
        lo = lo.tz_localize("UTC") if lo.tzinfo is None else lo
        hi = hi.tz_localize("UTC") if hi.tzinfo is None else hi
        known_at = _close_of(bars["ts"]) if interval == "1d" else bars["ts"] + _INTERVALS[interval]
        sel = bars.loc[bars["ts"].between(lo, hi) & (known_at <= self._now())].reset_index(
            drop=True
        )
        if sel.empty:
            raise self._no_data(f"{interval} bars in [{lo}, {hi}]", canonical_symbol(symbol))
        sel.attrs = dict(bars.attrs)
        return sel

    # -- quotes ------------------------------------------------------------------------
    def get_quote(self, underlying: str) -> pd.DataFrame:
        """Latest known quote: the most recent of snapshot, 1m bar, 3m bar or daily close.

        For an intraday bar the quote's open/high/low are the day's so far and
        ``prev_close`` the previous recorded daily close.
        """
        symbol, now = canonical_symbol(underlying), self._now()
        candidates: list[pd.DataFrame] = []
        with contextlib.suppress(NoDataError):
            candidates.append(self.fetch_option_chain(symbol).quote)
        for interval in ("1m", "3m", "1d"):
            quote = self._quote_from_bars(symbol, interval, now)
            if quote is not None:
                candidates.append(quote)
        if not candidates:
            raise self._no_data("quote", symbol)
        best = max(candidates, key=lambda q: q["snapshot_ts"].iloc[0])
        return best.reset_index(drop=True)

    def _quote_from_bars(
        self, symbol: str, interval: str, now: pd.Timestamp
    ) -> pd.DataFrame | None:
        bars = self._bars(symbol, interval)
        known_at = _close_of(bars["ts"]) if interval == "1d" else bars["ts"] + _INTERVALS[interval]
        bars = bars.loc[known_at <= now]
        if bars.empty:
            return None
        last = bars.iloc[-1]
        day = bars["ts"].dt.tz_convert(EXCHANGE_TZ).dt.date
        today = bars.loc[day == day.iloc[-1]]
        daily = self._daily(symbol)
        before = daily.loc[daily["ts"] < last["ts"].tz_convert(EXCHANGE_TZ).normalize(), "close"]
        ts = known_at.loc[bars.index[-1]]
        row = {
            "underlying": symbol, "snapshot_ts": ts, "ltp": last["close"],
            "open": today["open"].iloc[0], "high": today["high"].max(), "low": today["low"].min(),
            "prev_close": before.iloc[-1] if len(before) else float("nan"),
            "volume": today["volume"].sum(min_count=1), "exchange_ts": ts,
            "ingested_at": now, "provider": PROVIDER,
        }  # fmt: skip
        quote = pd.DataFrame([row], columns=list(QUOTE_COLUMNS))
        for col in ("snapshot_ts", "exchange_ts", "ingested_at"):
            quote[col] = quote[col].dt.as_unit("ns")
        return quote

    # -- inventory ---------------------------------------------------------------------
    def recorded_days(self, underlying: str, kind: Kind = "chain_snapshot") -> list[dt.date]:
        """Trading dates (IST) recorded for ``underlying`` in ``kind``, ascending (any clock)."""
        symbol = canonical_symbol(underlying)
        if kind == "chain_snapshot":
            stamps = pd.Series([s[0] for s in self._snapshots(symbol)], dtype="datetime64[ns, UTC]")
        elif kind == "contract_history":
            if not self._of("contract_history", symbol):
                return []
            stamps = self._history(symbol)[0]["date"].dt.tz_localize(EXCHANGE_TZ)
        else:
            stamps = self._bars(symbol, kind)["ts"]
        return sorted(set(stamps.dt.tz_convert(EXCHANGE_TZ).dt.date))

    def available(self) -> pd.DataFrame:
        """Describe what is recorded: one row per (kind, symbol), files, first/last day."""
        groups: dict[tuple[str, str], list[str]] = {}
        for f in self._files:
            groups.setdefault((f.kind, f.symbol), []).append(f.name)
        rows = []
        for (kind, symbol), names in sorted(groups.items()):
            days = self.recorded_days(symbol, kind)  # type: ignore[arg-type]
            rows.append({"kind": kind, "symbol": symbol, "first_day": days[0] if days else None,
                         "last_day": days[-1] if days else None, "n_days": len(days),
                         "files": names})  # fmt: skip
        return pd.DataFrame(
            rows, columns=["kind", "symbol", "first_day", "last_day", "n_days", "files"]
        )
