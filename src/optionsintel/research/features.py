"""Feature extraction per underlying and date for the anomaly (cluster-label) model.

Input: a tidy frame, one row per ``(entity, ts)``, e.g. the daily output of
``optionsintel.chain.chain_summary`` joined with underlying prices and (for
equities) fundamentals. Recognised columns -- every one except the keys is optional,
and features whose inputs are missing are simply not produced:

* ``pcr`` -> ``pcr`` (put OI / call OI, as given); else ``put_oi / call_oi``.
* ``total_oi`` -> ``oi_change_ratio = OI_t / OI_{t-1} - 1`` (or ``oi_change_ratio`` given).
* ``atm_iv`` -> ``iv_rank = (IV - min) / (max - min)`` over ``iv_rank_window`` rows
  (or ``iv_rank`` given, 0..1).
* ``gex`` -> ``gamma_exposure`` (net dealer gamma, as given).
* ``total_volume`` and ``total_oi`` -> ``volume_oi = volume / OI``.
* ``close`` -> ``return_1d = C_t / C_{t-1} - 1`` and
  ``realised_vol = std(ln C_t / C_{t-1}) * sqrt(252)`` over ``vol_window`` rows.
  One-period changes (``return_1d``, ``oi_change_ratio``) are NaN on the first row after
  a gap in the NSE trading calendar (:func:`optionsintel.research.series.after_gap`).
* fundamentals ``eps_growth``, ``revenue_growth``, ``profit_margin``,
  ``debt_to_equity`` -> passed through (equities).

Aliases accepted: ``underlying``/``symbol`` for ``entity``; ``date``/``snapshot_ts``
for ``ts``; ``gamma_exposure`` for ``gex``; ``volume`` for ``total_volume``;
``underlying_price`` for ``close``; ``iv`` for ``atm_iv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optionsintel.errors import FrameValidationError
from optionsintel.research._common import ResearchInputError
from optionsintel.research.series import after_gap

__all__ = ["FEATURE_COLUMNS", "FUNDAMENTAL_COLUMNS", "extract_features"]

FUNDAMENTAL_COLUMNS = ("eps_growth", "revenue_growth", "profit_margin", "debt_to_equity")
FEATURE_COLUMNS = (
    "pcr", "oi_change_ratio", "iv_rank", "gamma_exposure", "volume_oi",
    "return_1d", "realised_vol", *FUNDAMENTAL_COLUMNS,
)  # fmt: skip
_ALIASES = {
    "underlying": "entity", "symbol": "entity", "date": "ts", "snapshot_ts": "ts",
    "gamma_exposure": "gex", "volume": "total_volume", "underlying_price": "close",
    "iv": "atm_iv",
}  # fmt: skip


def _canonical(summary: pd.DataFrame) -> pd.DataFrame:
    rename = {
        c: _ALIASES[c] for c in summary.columns if c in _ALIASES and _ALIASES[c] not in summary
    }
    frame = summary.rename(columns=rename)
    missing = [c for c in ("entity", "ts") if c not in frame.columns]
    if missing:
        raise FrameValidationError(
            f"feature input is missing key columns {missing}; pass 'entity' (or 'underlying') "
            "and 'ts' (or 'date')"
        )
    return frame.sort_values(["entity", "ts"]).reset_index(drop=True)


def _per_entity(frame: pd.DataFrame) -> pd.core.groupby.DataFrameGroupBy:
    return frame.groupby("entity", sort=False)


def extract_features(
    summary: pd.DataFrame,
    iv_rank_window: int = 252,
    vol_window: int = 20,
    periods_per_year: float = 252.0,
) -> pd.DataFrame:
    """Build the model's feature frame from a per-entity-per-day summary.

    Parameters
    ----------
    summary
        Tidy frame with ``entity``, ``ts`` and any of the columns in the module
        table (missing optional columns are tolerated).
    iv_rank_window
        Rows of IV history for the IV rank (``min_periods`` = a quarter of it).
    vol_window
        Rows for realised volatility.
    periods_per_year
        Annualisation of realised volatility.

    Returns
    -------
    DataFrame
        Columns ``entity``, ``ts`` and the features of :data:`FEATURE_COLUMNS` that
        could be computed (all-NaN features are dropped); ``attrs["features"]`` lists
        them and ``attrs["missing_features"]`` the rest.

    Raises
    ------
    FrameValidationError
        Without the key columns.
    ResearchInputError
        If no feature at all can be computed.
    """
    f = _canonical(summary)
    g = _per_entity(f)
    out = f[["entity", "ts"]].copy()
    gap = f.groupby("entity", sort=False)["ts"].transform(lambda s: after_gap(s)).astype(bool)
    if "pcr" in f:
        out["pcr"] = f["pcr"].astype(float)
    elif {"put_oi", "call_oi"} <= set(f.columns):
        out["pcr"] = f["put_oi"] / f["call_oi"].where(f["call_oi"] > 0)
    if "oi_change_ratio" in f:
        out["oi_change_ratio"] = f["oi_change_ratio"].astype(float)
    elif "total_oi" in f:
        out["oi_change_ratio"] = g["total_oi"].pct_change(fill_method=None).mask(gap)
    if "iv_rank" in f:
        out["iv_rank"] = f["iv_rank"].astype(float)
    elif "atm_iv" in f:
        roll = g["atm_iv"].rolling(iv_rank_window, min_periods=max(iv_rank_window // 4, 2))
        lo, hi = roll.min().droplevel(0), roll.max().droplevel(0)
        out["iv_rank"] = (f["atm_iv"] - lo) / (hi - lo).where(hi > lo)
    if "gex" in f:
        out["gamma_exposure"] = f["gex"].astype(float)
    if {"total_volume", "total_oi"} <= set(f.columns):
        out["volume_oi"] = f["total_volume"] / f["total_oi"].where(f["total_oi"] > 0)
    if "close" in f:
        out["return_1d"] = g["close"].pct_change(fill_method=None).mask(gap)
        logret = np.log(out["return_1d"] + 1.0)
        vol = logret.groupby(f["entity"]).rolling(vol_window, min_periods=vol_window).std()
        out["realised_vol"] = vol.droplevel(0) * np.sqrt(periods_per_year)
    for col in FUNDAMENTAL_COLUMNS:
        if col in f:
            out[col] = f[col].astype(float)
    feats = [c for c in FEATURE_COLUMNS if c in out.columns and out[c].notna().any()]
    if not feats:
        raise ResearchInputError(
            "no feature could be computed; provide at least one of pcr, total_oi, atm_iv, "
            "gex, total_volume+total_oi, close or the fundamentals columns"
        )
    out = out[["entity", "ts", *feats]]
    out.attrs["features"] = feats
    out.attrs["missing_features"] = [c for c in FEATURE_COLUMNS if c not in feats]
    return out
