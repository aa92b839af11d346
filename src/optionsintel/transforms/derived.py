"""Analytics tables: signals, support/resistance levels and ML cluster labels.

Each function maps the output of an analytics module onto a store table:
:func:`signals_for_snapshots` (``optionsintel.signals``) -> ``signals``,
:func:`levels_to_rows` (``optionsintel.chain``) -> ``support_resistance_levels``,
:func:`cluster_labels` (``optionsintel.research``) -> ``ml_cluster_labels``.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.chain import pivot_levels, support_resistance
from optionsintel.frames import require_columns, to_jsonable
from optionsintel.research import AnomalyConfig, AnomalyResult, detect_anomalies, extract_features
from optionsintel.signals import DEFAULT_SIGNAL_CONFIG, SignalConfig, detect_signals
from optionsintel.transforms.daily import trade_date_of
from optionsintel.tz import EXCHANGE_TZ

SIGNAL_COLUMNS = (
    "underlying", "provider", "snapshot_ts", "expiry", "signal_type", "confidence", "strength",
    "strikes", "supporting",
)  # fmt: skip
LEVEL_COLUMNS = (
    "underlying", "provider", "trade_date", "method", "level_type", "rank", "level", "strength",
    "details",
)  # fmt: skip
_PIVOTS = {"s1": ("SUPPORT", 1), "s2": ("SUPPORT", 2), "s3": ("SUPPORT", 3),
           "r1": ("RESISTANCE", 1), "r2": ("RESISTANCE", 2), "r3": ("RESISTANCE", 3),
           "pivot": ("PIVOT", 1)}  # fmt: skip


def signals_to_rows(signals: pd.DataFrame) -> pd.DataFrame:
    """Map a ``detect_signals`` frame onto ``signals`` rows (JSON-safe strikes/supporting)."""
    if signals is None or signals.empty:
        return pd.DataFrame(columns=list(SIGNAL_COLUMNS))
    require_columns(signals, SIGNAL_COLUMNS, "signals")
    out = signals.loc[:, list(SIGNAL_COLUMNS)].copy()
    out["strikes"] = [to_jsonable(v) if v is not None else [] for v in out["strikes"]]
    out["supporting"] = [to_jsonable(v) if v is not None else {} for v in out["supporting"]]
    out["snapshot_ts"] = pd.to_datetime(out["snapshot_ts"], utc=True)
    # One row per key: the store's natural key has no room for duplicates.
    key = ["underlying", "provider", "snapshot_ts", "expiry", "signal_type"]
    return out.sort_values("confidence").drop_duplicates(key, keep="last").reset_index(drop=True)


def signals_for_snapshots(
    snapshots: pd.DataFrame, config: SignalConfig | None = None
) -> pd.DataFrame:
    """Signals between every pair of consecutive snapshots of a day (all underlyings at once).

    Parameters
    ----------
    snapshots
        Canonical chain snapshots of one provider (several ticks of one day).
    config
        Signal thresholds (default :data:`optionsintel.signals.DEFAULT_SIGNAL_CONFIG`).

    Returns
    -------
    pandas.DataFrame
        ``signals`` rows (see :func:`signals_to_rows`). Each pair is evaluated with the
        day's earlier snapshots as the volume baseline (``history``); with fewer than
        two snapshots nothing can fire and the frame is empty.
    """
    cfg = config or DEFAULT_SIGNAL_CONFIG
    if snapshots.empty:
        return signals_to_rows(None)
    ts = pd.to_datetime(snapshots["snapshot_ts"], utc=True)
    ticks = np.sort(ts.unique())
    frames = []
    for i, (prev, cur) in enumerate(itertools.pairwise(ticks)):
        history = snapshots.loc[(ts < prev).to_numpy()] if i else None
        current = snapshots.loc[(ts == cur).to_numpy()]
        previous = snapshots.loc[(ts == prev).to_numpy()]
        frames.append(detect_signals(previous, current, cfg, history))
    frames = [f for f in frames if f is not None and len(f)]
    return signals_to_rows(pd.concat(frames, ignore_index=True) if frames else None)


def levels_to_rows(eod_chain: pd.DataFrame, daily_bars: pd.DataFrame) -> pd.DataFrame:
    """Support/resistance levels of a day: OI walls per expiry and price pivots.

    Parameters
    ----------
    eod_chain
        Canonical chain of the day's close (see
        :func:`~optionsintel.transforms.daily.eod_to_chain`).
    daily_bars
        ``daily_ohlc`` rows of the same day; their pivots are the levels for the
        next session (method ``pivot_classic``).

    Returns
    -------
    pandas.DataFrame
        :data:`LEVEL_COLUMNS`; OI walls use ``rank`` = expiry order (1 = nearest),
        ``strength`` = the wall's dominance and ``details`` its OI, share and expiry.
    """
    parts = []
    if len(eod_chain):
        walls = support_resistance(eod_chain).sort_values(["underlying", "expiry"])
        walls["rank"] = walls.groupby(["underlying", "provider"], observed=True).cumcount() + 1
        walls["trade_date"] = trade_date_of(walls["snapshot_ts"])
        for side, kind in (("support", "SUPPORT"), ("resistance", "RESISTANCE")):
            w = walls.dropna(subset=[side])
            parts.append(pd.DataFrame({
                "underlying": w["underlying"].astype(str), "provider": w["provider"].astype(str),
                "trade_date": w["trade_date"], "method": "oi_wall", "level_type": kind,
                "rank": w["rank"], "level": w[side], "strength": w[f"{side}_dominance"],
                "details": _details(w, side),
            }))  # fmt: skip
    if len(daily_bars):
        piv = pivot_levels(daily_bars)
        for col, (kind, rank) in _PIVOTS.items():
            parts.append(pd.DataFrame({
                "underlying": piv["symbol"].astype(str), "provider": piv["provider"].astype(str),
                "trade_date": pd.to_datetime(piv["trade_date"]), "method": "pivot_classic",
                "level_type": kind, "rank": rank, "level": piv[col], "strength": np.nan,
                "details": [{"applies_to": "next_session"}] * len(piv),
            }))  # fmt: skip
    if not parts:
        return pd.DataFrame(columns=list(LEVEL_COLUMNS))
    return pd.concat(parts, ignore_index=True).loc[:, list(LEVEL_COLUMNS)]


def _details(walls: pd.DataFrame, side: str) -> list[dict[str, Any]]:
    expiry = pd.to_datetime(walls["expiry"]).dt.strftime("%Y-%m-%d")
    oi, share = walls[f"{side}_oi"].to_numpy(float), walls[f"{side}_share"].to_numpy(float)
    return [
        {"expiry": e, "oi": to_jsonable(o), "share": to_jsonable(s)}
        for e, o, s in zip(expiry, oi, share, strict=True)
    ]


def cluster_features(summaries: pd.DataFrame, daily_bars: pd.DataFrame) -> pd.DataFrame:
    """Feature rows per (underlying and expiry, trade date) for the anomaly model.

    The entity is ``"<underlying> <expiry>"`` so each listed expiry is tracked as its
    own series; the underlying's daily close joins in as ``close``.
    """
    s = summaries.assign(
        entity=summaries["underlying"].astype(str) + " "
        + pd.to_datetime(summaries["expiry"]).dt.strftime("%Y-%m-%d"),
        ts=pd.to_datetime(summaries["trade_date"]),
        pcr=summaries["pcr_oi"], total_oi=summaries["total_ce_oi"] + summaries["total_pe_oi"],
        total_volume=summaries["total_ce_volume"] + summaries["total_pe_volume"],
        gex=summaries["gex_total"],
    )  # fmt: skip
    if len(daily_bars):
        bars = daily_bars.assign(ts=pd.to_datetime(daily_bars["trade_date"]))
        s = s.merge(bars[["symbol", "ts", "close"]].rename(columns={"symbol": "underlying"}),
                    on=["underlying", "ts"], how="left")  # fmt: skip
    keep = ["entity", "ts", "pcr", "total_oi", "total_volume", "atm_iv", "gex", "close"]
    return extract_features(s[[c for c in keep if c in s]])


def cluster_labels(
    summaries: pd.DataFrame,
    daily_bars: pd.DataFrame,
    provider: str,
    config: AnomalyConfig | None = None,
) -> tuple[pd.DataFrame, AnomalyResult]:
    """Label the feature rows of ``summaries`` and map them onto ``ml_cluster_labels``.

    Returns the rows (empty when the model reports ``INSUFFICIENT_DATA``) and the
    model result, whose ``status``/``reason`` say why nothing was labelled.
    """
    result = detect_anomalies(cluster_features(summaries, daily_bars), config)
    labels = result.labels.copy()
    if result.status != "OK" or labels.empty:
        return pd.DataFrame(columns=[*labels.columns, "provider"]), result
    labels["ts"] = pd.to_datetime(labels["ts"]).dt.tz_localize(EXCHANGE_TZ).dt.tz_convert("UTC")
    labels["provider"] = provider
    labels["explanation"] = [to_jsonable(v) for v in labels["explanation"]]
    labels["params"] = [to_jsonable(v) for v in labels["params"]]
    return labels, result
