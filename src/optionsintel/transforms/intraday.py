"""Intraday tables derived from option-chain snapshots: per-strike OI and the OI delta log.

Both functions are pure and vectorised over any number of underlyings, providers,
snapshots and expiries; they map canonical chain frames
(:data:`optionsintel.frames.CHAIN_COLUMNS`) onto the store tables
``intraday_open_interest`` and ``oi_delta_log``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optionsintel.frames import CHAIN_KEY, require_columns

_SNAP_KEY = ["underlying", "provider", "snapshot_ts", "expiry", "strike"]
_CONTRACT = ["underlying", "provider", *CHAIN_KEY[1:]]
INTRADAY_OI_COLUMNS = (
    *_SNAP_KEY, "ce_oi", "pe_oi", "ce_oi_change", "pe_oi_change", "ce_volume", "pe_volume",
    "underlying_price",
)  # fmt: skip
OI_DELTA_COLUMNS = (
    "underlying", "provider", "snapshot_ts", "expiry", "strike", "option_type", "previous_ts",
    "previous_oi", "oi", "oi_delta", "oi_delta_pct", "ltp_change", "underlying_change",
)  # fmt: skip


def _plain(chain: pd.DataFrame) -> pd.DataFrame:
    out = chain.copy()
    for col in ("underlying", "provider", "option_type"):
        out[col] = out[col].astype(str)
    out["snapshot_ts"] = pd.to_datetime(out["snapshot_ts"], utc=True)
    out["expiry"] = pd.to_datetime(out["expiry"]).dt.normalize()
    return out


def intraday_oi_from_chain(chain: pd.DataFrame) -> pd.DataFrame:
    """One row per (snapshot, expiry, strike) with call and put OI side by side.

    Parameters
    ----------
    chain
        Canonical option-chain frame.

    Returns
    -------
    pandas.DataFrame
        :data:`INTRADAY_OI_COLUMNS`; a side missing at a strike is NaN.

    Examples
    --------
    >>> ts = pd.Timestamp("2025-07-16 04:00", tz="UTC")
    >>> chain = pd.DataFrame({"underlying": "NIFTY", "provider": "x", "snapshot_ts": ts,
    ...     "expiry": pd.Timestamp("2025-07-17"), "strike": [25000.0, 25000.0],
    ...     "option_type": ["CE", "PE"], "oi": [10.0, 30.0], "oi_change": [1.0, -2.0],
    ...     "volume": [5.0, 6.0], "underlying_price": 25100.0})
    >>> intraday_oi_from_chain(chain)[["ce_oi", "pe_oi", "pe_oi_change"]].iloc[0].tolist()
    [10.0, 30.0, -2.0]
    """
    require_columns(chain, (*_SNAP_KEY, "option_type", "oi", "oi_change", "volume",
                            "underlying_price"), "option chain")  # fmt: skip
    frame = _plain(chain)
    fields = ["oi", "oi_change", "volume"]
    sides = {}
    for side in ("CE", "PE"):
        part = frame.loc[frame["option_type"] == side, [*_SNAP_KEY, *fields, "underlying_price"]]
        sides[side] = part.rename(columns={f: f"{side.lower()}_{f}" for f in fields})
    merged = sides["CE"].merge(
        sides["PE"], on=_SNAP_KEY, how="outer", suffixes=("", "_pe"), sort=True
    )
    merged["underlying_price"] = merged["underlying_price"].fillna(
        merged.pop("underlying_price_pe")
    )
    return merged.loc[:, list(INTRADAY_OI_COLUMNS)].reset_index(drop=True)


def oi_delta_log(current: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Contract-level OI changes between consecutive snapshots (only rows that changed).

    Parameters
    ----------
    current
        Chain snapshots (one or many) to log.
    previous
        Snapshots just before ``current`` (e.g. the last stored tick) so the first
        snapshot of ``current`` can be compared; None compares within ``current`` only.

    Returns
    -------
    pandas.DataFrame
        :data:`OI_DELTA_COLUMNS`, one row per contract and snapshot whose OI differs
        from the contract's previous snapshot of the same provider.

    Notes
    -----
    ``oi_delta = OI_t - OI_{t-1}``; ``oi_delta_pct = 100 * oi_delta / OI_{t-1}`` (NaN
    when ``OI_{t-1} = 0``); ``ltp_change`` and ``underlying_change`` are the changes of
    the option's last price and of the underlying over the same step. A contract's
    first appearance has no previous snapshot and is not logged.
    """
    cols = (*_CONTRACT, "snapshot_ts", "oi", "ltp", "underlying_price")
    require_columns(current, cols, "option chain")
    parts = [_plain(current.loc[:, list(cols)])]
    if previous is not None and len(previous):
        parts.insert(0, _plain(previous.loc[:, list(cols)]))
    frame = pd.concat(parts, ignore_index=True).drop_duplicates([*_CONTRACT, "snapshot_ts"])
    frame = frame.sort_values([*_CONTRACT, "snapshot_ts"], kind="stable", ignore_index=True)
    same = np.ones(len(frame), dtype=bool)
    for col in _CONTRACT:
        values = frame[col].to_numpy()
        same[1:] &= values[1:] == values[:-1]
    same[0] = False
    prev = frame.shift(1)
    out = frame.assign(
        previous_ts=prev["snapshot_ts"], previous_oi=prev["oi"],
        oi_delta=frame["oi"] - prev["oi"],
        ltp_change=frame["ltp"] - prev["ltp"],
        underlying_change=frame["underlying_price"] - prev["underlying_price"],
    )  # fmt: skip
    out["oi_delta_pct"] = 100.0 * out["oi_delta"] / out["previous_oi"].where(out["previous_oi"] > 0)
    keep = same & out["oi_delta"].fillna(0.0).ne(0.0).to_numpy()
    if previous is not None and len(previous):
        first = pd.to_datetime(current["snapshot_ts"], utc=True).min()
        keep &= (out["snapshot_ts"] >= first).to_numpy()
    return out.loc[keep, list(OI_DELTA_COLUMNS)].reset_index(drop=True)
