"""Canonical pandas frames exchanged between providers, the store, analytics and UI.

Every provider returns these shapes and every store table for market data accepts
them. Timestamps are timezone-aware UTC (``datetime64[ns, UTC]``); display code
converts to ``Asia/Kolkata``. Every market-data row names its ``provider``
(``nse``, ``angelone``, ``replay``, ``synthetic``...) so synthetic rows can never be
mistaken for real ones.

Columns
-------
QUOTE_COLUMNS
    One row per underlying snapshot (raw quote).
CHAIN_COLUMNS
    One row per (underlying, expiry, strike, option_type) in a snapshot.
    ``snapshot_ts`` is the instant the snapshot was taken (exchange time of the
    chain when the exchange gives one); ``exchange_ts`` is the per-row exchange
    timestamp; ``ingested_at`` is when we received it. ``iv`` is in percent as NSE
    publishes it (NaN when not computed); greeks are Black-76 greeks on the
    forward: ``delta`` and ``gamma`` per unit of the underlying, ``theta`` per calendar
    day, ``vega`` per 1 volatility point. OI and volume are in contracts (NSE's unit).
    String columns may be pandas Categoricals.
CANDLE_COLUMNS
    OHLCV bars of any interval; ``oi`` is NaN where not applicable.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.errors import FrameValidationError

QUOTE_COLUMNS: tuple[str, ...] = (
    "underlying", "snapshot_ts", "ltp", "open", "high", "low", "prev_close", "volume",
    "exchange_ts", "ingested_at", "provider",
)  # fmt: skip

CHAIN_KEY: tuple[str, ...] = ("underlying", "expiry", "strike", "option_type")

CHAIN_COLUMNS: tuple[str, ...] = (
    "underlying", "snapshot_ts", "expiry", "strike", "option_type",
    "ltp", "bid", "ask", "bid_qty", "ask_qty", "volume", "oi", "oi_change",
    "iv", "delta", "gamma", "theta", "vega", "underlying_price",
    "exchange_ts", "ingested_at", "provider",
)  # fmt: skip

CANDLE_COLUMNS: tuple[str, ...] = (
    "symbol", "interval", "ts", "open", "high", "low", "close", "volume", "oi", "provider",
)  # fmt: skip

_TS_COLUMNS = ("snapshot_ts", "exchange_ts", "ingested_at", "ts")


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise :class:`FrameValidationError` naming every column missing from ``frame``.

    Parameters
    ----------
    frame
        The frame to check.
    columns
        Columns that must be present.
    what
        Human name of the frame, used in the message (e.g. ``"option chain"``).

    Raises
    ------
    FrameValidationError
        If any column is missing.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FrameValidationError(
            f"{what} frame is missing columns {missing}; expected at least {list(columns)}"
        )


def empty_frame(columns: Sequence[str]) -> pd.DataFrame:
    """Return an empty frame with the given columns (timestamps typed as UTC)."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    for c in columns:
        if c in _TS_COLUMNS:
            frame[c] = pd.Series(dtype="datetime64[ns, UTC]")
        elif c in ("underlying", "option_type", "provider", "symbol", "interval"):
            frame[c] = pd.Series(dtype="object")
        elif c == "expiry":
            frame[c] = pd.Series(dtype="datetime64[ns]")
    return frame


def validate_chain(frame: pd.DataFrame) -> pd.DataFrame:
    """Check a canonical option-chain frame and return it with normalised dtypes.

    Raises
    ------
    FrameValidationError
        On missing columns, option types other than CE/PE, rows without provider,
        negative open interest or duplicated contracts within one snapshot.
    """
    require_columns(frame, CHAIN_COLUMNS, "option chain")
    out = frame.loc[:, list(CHAIN_COLUMNS)].copy()
    bad_type = ~out["option_type"].isin(["CE", "PE"])
    if bad_type.any():
        seen = sorted(out.loc[bad_type, "option_type"].astype(str).unique())
        raise FrameValidationError(f"option_type must be 'CE' or 'PE'; got {seen}")
    if out["provider"].isna().any() or (out["provider"].astype(str) == "").any():
        raise FrameValidationError("every option-chain row must name its provider")
    if (out["oi"].dropna() < 0).any():
        raise FrameValidationError("open interest must be >= 0")
    dup = out.duplicated(["snapshot_ts", *CHAIN_KEY])
    if dup.any():
        raise FrameValidationError(
            f"{int(dup.sum())} duplicated contracts within a snapshot; "
            "each (snapshot_ts, underlying, expiry, strike, option_type) must appear once"
        )
    for c in ("snapshot_ts", "exchange_ts", "ingested_at"):
        out[c] = pd.to_datetime(out[c], utc=True)
    out["expiry"] = pd.to_datetime(out["expiry"]).dt.normalize()
    return out


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON-ready Python: lists, str-keyed dicts, scalars, None for NaN.

    NumPy arrays and scalars, tuples and timestamps (ISO strings) become what
    :func:`json.dumps` writes and PostgreSQL's ``jsonb`` accepts (it has no NaN).
    """
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return to_jsonable(value.item())  # np.float64 NaN must still become None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def json_text(value: Any) -> str:
    """``value`` as the JSON text a ``jsonb`` column stores (see :func:`to_jsonable`).

    The one serialisation of every writer of JSON values (the store's COPY and small
    appends, the exchange's Arrow columns), so equal values always give equal text.
    """
    return json.dumps(to_jsonable(value))
