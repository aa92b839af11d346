"""Builders shared by the chain-analytics and signal tests: hand-built and real NSE chains."""

from __future__ import annotations

import gzip
import json
from importlib.resources import files

import numpy as np
import pandas as pd

from optionsintel.calendar import years_to_expiry
from optionsintel.frames import CHAIN_COLUMNS
from optionsintel.pricing import black76_price
from optionsintel.providers.nse import parse_option_chain

NSE_DIR = files("optionsintel.providers") / "replay_data" / "nse"


def load_nse(name: str):
    """Parse one recorded NSE chain (gzip copy shipped with the providers package)."""
    raw = (NSE_DIR / f"nse_option_chain_indices_{name}.json.gz").read_bytes()
    return parse_option_chain(json.loads(gzip.decompress(raw)))


def _model_price(k, side, spot, iv, snapshot_ts, expiry):
    t = float(years_to_expiry(pd.Timestamp(snapshot_ts, tz="UTC"), pd.Timestamp(expiry)))
    forward = spot * np.exp(0.065 * t)
    return np.asarray(black76_price(forward, k, t, 0.065, iv / 100.0, side), dtype=float)


def make_chain(
    strikes,
    ce_oi,
    pe_oi,
    *,
    spot: float = 100.0,
    underlying: str = "TEST",
    expiry: str = "2025-07-24",
    snapshot_ts: str = "2025-07-10 06:00",
    iv: float = 15.0,
    provider: str = "synthetic",
    model_prices: bool = False,
    **extra,
) -> pd.DataFrame:
    """A canonical chain of one expiry; ``extra`` may give ce_/pe_ arrays of any field.

    Default prices are intrinsic + 2; with ``model_prices`` they are Black-76 prices at
    ``iv`` on the forward ``spot e^{rT}`` (r = 6.5 %, T to 15:30 IST of the expiry), so
    the platform's own IV of every quote is ``iv``.
    """
    k = np.asarray(strikes, dtype=float)
    n = len(k)
    rows = {}
    for side, oi in (("CE", ce_oi), ("PE", pe_oi)):
        intrinsic = np.maximum(spot - k, 0) if side == "CE" else np.maximum(k - spot, 0)
        if model_prices:
            intrinsic = _model_price(k, side, spot, iv, snapshot_ts, expiry) - 2.0
        pre = side.lower() + "_"
        ltp = np.asarray(extra.get(f"{pre}ltp", intrinsic + 2.0), dtype=float)
        rows[side] = {
            "strike": k,
            "option_type": [side] * n,
            "oi": np.asarray(oi, dtype=float),
            "volume": np.asarray(extra.get(f"{pre}volume", np.full(n, 100.0)), dtype=float),
            "oi_change": np.asarray(extra.get(f"{pre}oi_change", np.zeros(n)), dtype=float),
            "iv": np.asarray(extra.get(f"{pre}iv", np.full(n, iv)), dtype=float),
            "ltp": ltp,
            "bid": ltp - 0.05,
            "ask": ltp + 0.05,
        }
    frame = pd.concat([pd.DataFrame(rows["CE"]), pd.DataFrame(rows["PE"])], ignore_index=True)
    frame["underlying"] = underlying
    frame["snapshot_ts"] = pd.Timestamp(snapshot_ts, tz="UTC")
    frame["expiry"] = pd.Timestamp(expiry)
    frame["underlying_price"] = spot
    frame["provider"] = provider
    for col in CHAIN_COLUMNS:
        if col not in frame.columns:
            frame[col] = np.nan
    frame["exchange_ts"] = frame["snapshot_ts"]
    frame["ingested_at"] = frame["snapshot_ts"]
    return frame[list(CHAIN_COLUMNS)]
