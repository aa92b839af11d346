"""Stored chains as a dense panel: instants x contracts, prices, freshness, spot.

The engine never looks a price up row by row: :func:`chain_panel` pivots one provider's
chain rows (end-of-day or intraday snapshots of one underlying) into ``(n_instants,
n_contracts)`` arrays once, with the index of the last *fresh* observation of each
contract at each instant, so a fill's age is one subtraction.

Freshness: an end-of-day row is fresh when the contract traded that day (``volume > 0``:
NSE carries an untraded contract's previous close forward); an intraday row is fresh
when it has a price (its snapshot instant is its observation time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from optionsintel.errors import BacktestError
from optionsintel.tz import EXCHANGE_TZ

__all__ = ["ChainPanel", "chain_panel"]

ChainKind = Literal["eod", "intraday"]
FloatArray = npt.NDArray[np.float64]
_CLOSE = dt.time(15, 30)


@dataclass(frozen=True, eq=False)
class ChainPanel:
    """Dense arrays of one underlying's stored chains from one provider.

    ``price``/``bid``/``ask``/``delta``/``iv`` are ``(n, m)`` with NaN where the contract
    had no row; ``last_fresh[i, j]`` is the instant index of contract ``j``'s latest fresh
    observation at or before instant ``i`` (-1: none yet); ``spot`` is the underlying
    price of each instant; ``day`` its IST trading date.
    """

    underlying: str
    provider: str
    kind: ChainKind
    price_field: str
    times: pd.DatetimeIndex
    day: npt.NDArray[np.datetime64]
    contracts: pd.DataFrame
    price: FloatArray
    bid: FloatArray
    ask: FloatArray
    delta: FloatArray
    iv: FloatArray
    last_fresh: npt.NDArray[np.int32]
    spot: FloatArray
    rows_read: int

    @property
    def strikes(self) -> FloatArray:
        """Strike of each contract column."""
        return self._arrays[0]

    @property
    def option_types(self) -> npt.NDArray[np.str_]:
        """``"CE"``/``"PE"`` of each contract column."""
        return self._arrays[1]

    @property
    def expiries(self) -> npt.NDArray[np.datetime64]:
        """Expiry (``datetime64[D]``) of each contract column."""
        return self._arrays[2]

    @property
    def _arrays(self) -> tuple[FloatArray, npt.NDArray[np.str_], npt.NDArray[np.datetime64]]:
        cached = self.__dict__.get("_arrays_cache")
        if cached is None:
            c = self.contracts
            cached = (c["strike"].to_numpy(np.float64), c["option_type"].to_numpy(str),
                      c["expiry"].to_numpy().astype("datetime64[D]"))  # fmt: skip
            object.__setattr__(self, "_arrays_cache", cached)
        return cached

    def columns_of(self, expiry: dt.date, option_type: str) -> npt.NDArray[np.int64]:
        """Contract columns of one expiry and option type (ascending strike)."""
        groups = self.__dict__.get("_groups")
        if groups is None:
            c = self.contracts
            keys = zip(c["expiry"].dt.date, c["option_type"], strict=True)
            groups = {}
            for j, key in enumerate(keys):
                groups.setdefault(key, []).append(j)
            groups = {k: np.asarray(v, np.int64) for k, v in groups.items()}
            object.__setattr__(self, "_groups", groups)
        return groups.get((expiry, option_type), np.zeros(0, np.int64))

    def local_time(self, row: int) -> str:
        """IST minute of instant ``row`` (for messages)."""
        return str(self.times[row].tz_convert(EXCHANGE_TZ).strftime("%Y-%m-%d %H:%M"))

    def mark(self, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64]) -> FloatArray:
        """Last fresh price of contracts ``cols`` at instants ``rows`` (NaN: never fresh)."""
        src = self.last_fresh[rows[:, None], cols[None, :]]
        out = self.price[np.maximum(src, 0), cols[None, :]]
        return np.where(src >= 0, out, np.nan)

    def age(self, row: int, cols: npt.NDArray[np.int64]) -> npt.NDArray[np.timedelta64]:
        """Age of the freshest price of ``cols`` at instant ``row`` (NaT when never fresh)."""
        src = self.last_fresh[row, cols]
        ns = self.times.as_unit("ns").asi8
        ages = (ns[row] - ns[np.maximum(src, 0)]).astype("timedelta64[ns]")
        return np.where(src >= 0, ages, np.timedelta64("NaT", "ns"))


def _instants(frame: pd.DataFrame, kind: ChainKind) -> npt.NDArray[np.int64]:
    """UTC nanoseconds of each row's instant (an end-of-day row: 15:30 IST of its date)."""
    if kind == "eod":
        if "trade_date" not in frame:
            raise BacktestError("end-of-day chain rows need a trade_date column")
        codes, days = pd.factorize(frame["trade_date"])
        close = pd.DatetimeIndex(pd.to_datetime(days)) + pd.Timedelta(hours=15, minutes=30)
        stamps = close.tz_localize(EXCHANGE_TZ).tz_convert("UTC").as_unit("ns").asi8
        return np.asarray(stamps[codes], np.int64)
    if "snapshot_ts" not in frame:
        raise BacktestError("intraday chain rows need a snapshot_ts column")
    ts = pd.DatetimeIndex(pd.to_datetime(frame["snapshot_ts"], utc=True))
    return np.asarray(ts.as_unit("ns").asi8, np.int64)


def _contract_codes(frame: pd.DataFrame) -> tuple[npt.NDArray[np.int64], pd.DataFrame]:
    """Column of each row and the contracts table, sorted by expiry, strike, type."""
    e_codes, expiries = pd.factorize(frame["expiry"])
    e_days = pd.to_datetime(expiries).values.astype("datetime64[D]")
    e_rank = np.argsort(np.argsort(e_days))
    strikes, s_codes = np.unique(frame["strike"].to_numpy(np.float64), return_inverse=True)
    t_codes = (frame["option_type"].to_numpy(str) == "PE").astype(np.int64)
    key = (e_rank[e_codes].astype(np.int64) * len(strikes) + s_codes) * 2 + t_codes
    uniq, cols = np.unique(key, return_inverse=True)
    e_of, rest = np.divmod(uniq, 2 * len(strikes))
    contracts = pd.DataFrame({
        "expiry": pd.to_datetime(np.sort(e_days)[e_of]),
        "strike": strikes[rest // 2],
        "option_type": np.where(rest % 2 == 1, "PE", "CE"),
    })  # fmt: skip
    return cols.astype(np.int64), contracts


def _matrix(values: pd.Series | None, r: np.ndarray, c: np.ndarray, shape: tuple[int, int]):
    """Dense ``shape`` array of ``values`` at (r, c), NaN elsewhere.

    An absent column is a read-only broadcast NaN (no memory): snapshots without bid/ask,
    delta or IV do not pay for four more dense matrices.
    """
    if values is None or not values.notna().any():
        return np.broadcast_to(np.float64(np.nan), shape)
    out = np.full(shape, np.nan)
    out[r, c] = pd.to_numeric(values, errors="coerce").to_numpy(np.float64)
    return out


def chain_panel(
    frame: pd.DataFrame,
    *,
    kind: ChainKind,
    underlying: str,
    provider: str,
    price_field: str | None = None,
) -> ChainPanel:
    """Pivot stored chain rows of one underlying and one provider into a :class:`ChainPanel`.

    Parameters
    ----------
    frame
        Rows of ``eod_option_chain`` (``kind="eod"``) or ``option_chain_snapshots``
        (``kind="intraday"``), as the store's reads return them.
    price_field
        Column filled at: default ``"close"`` for end-of-day chains (NSE's official
        closing price of the contract), ``"ltp"`` for snapshots.

    Raises
    ------
    BacktestError
        If the frame is empty, mixes providers or underlyings, or lacks the price column.
    """
    if frame.empty:
        raise BacktestError(f"no stored {kind} chain rows of {underlying} from {provider!r}")
    for col, want in (("provider", provider), ("underlying", underlying)):
        if col in frame and set(frame[col].unique()) != {want}:
            raise BacktestError(f"chain rows mix {col}s {sorted(frame[col].unique())}")
    field = price_field or ("close" if kind == "eod" else "ltp")
    if field not in frame:
        raise BacktestError(f"chain rows have no {field!r} column to fill at")
    times, r = np.unique(_instants(frame, kind), return_inverse=True)
    c, contracts = _contract_codes(frame)
    shape = (len(times), len(contracts))
    price = _matrix(frame[field], r, c, shape)
    fresh = np.isfinite(price) & (price >= 0)
    if kind == "eod" and "volume" in frame:
        fresh &= _matrix(frame["volume"], r, c, shape) > 0
    rows = np.where(fresh, np.arange(shape[0], dtype=np.int32)[:, None], np.int32(-1))
    last_fresh = np.maximum.accumulate(rows, axis=0)  # int32: half the memory of a month
    spot = pd.Series(frame["underlying_price"].to_numpy(float)).groupby(r).median()
    index = pd.DatetimeIndex(times.astype("datetime64[ns]")).tz_localize("UTC")
    day = index.tz_convert(EXCHANGE_TZ).tz_localize(None).normalize().values.astype("datetime64[D]")
    return ChainPanel(
        underlying=underlying, provider=provider, kind=kind, price_field=field, times=index,
        day=day, contracts=contracts, price=price,
        bid=_matrix(frame.get("bid"), r, c, shape), ask=_matrix(frame.get("ask"), r, c, shape),
        delta=_matrix(frame.get("delta"), r, c, shape), iv=_matrix(frame.get("iv"), r, c, shape),
        last_fresh=last_fresh, spot=spot.reindex(range(shape[0])).to_numpy(float),
        rows_read=len(frame),
    )  # fmt: skip
