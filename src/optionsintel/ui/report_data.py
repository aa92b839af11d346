"""Data of the analytics report's Technical and Fundamental tabs (reads only, one provider each).

:func:`symbol_bars` gives one symbol's daily bars from the provider with the most of them;
:func:`fundamental_view` compares a symbol's latest reported fundamentals with its sector
peers' (``instruments.sector``, ``equity_fundamentals`` of one provider) and attaches the
anomaly label: the stored ``ml_cluster_labels`` row of the symbol when there is one, else a
DBSCAN label computed now over the latest reports of every symbol of that provider
(:func:`optionsintel.research.anomaly.detect_anomalies`), which says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optionsintel.research.anomaly import AnomalyConfig, detect_anomalies
from optionsintel.store import reads
from optionsintel.store.reads.fundamentals import read_fundamentals
from optionsintel.ui.data import DashboardDataError, ReportSource, report_source
from optionsintel.ui.pattern_data import daily_bars

if TYPE_CHECKING:
    from optionsintel.store import Store

FIELDS: dict[str, str] = {
    "eps_growth": "EPS growth (% YoY)",
    "revenue_growth": "Revenue growth (% YoY)",
    "profit_margin": "Net margin (%)",
    "debt_to_equity": "Debt / equity",
    "market_cap": "Market cap (INR crore)",
}
"""Reported fields compared, with their labels."""
_FEATURES = ("eps_growth", "revenue_growth", "profit_margin", "debt_to_equity")
_LIVE_ANOMALY = AnomalyConfig(min_samples=3, min_rows=9, features=_FEATURES)


@dataclass(frozen=True)
class FundamentalView:
    """A symbol's fundamentals against its sector peers, and its anomaly label."""

    symbol: str
    sector: str | None
    provider: str
    as_of: Any
    peers: tuple[str, ...]
    table: pd.DataFrame
    """Index = field label; columns ``value, sector_median, sector_rank_pct, universe_median``."""
    anomaly: dict[str, Any] = field(default_factory=dict)
    """``source`` (stored | computed now), ``is_anomaly``, ``label``, ``score``, ``explanation``,
    ``model``; or ``source`` and ``reason`` when no label could be given."""


def symbol_bars(store: Store, symbol: str) -> tuple[pd.DataFrame, str]:
    """One symbol's daily bars from the provider with the most of them, and that provider.

    Raises
    ------
    DashboardDataError
        No daily bar of ``symbol`` is stored.
    """
    counts = reads.symbol_provider_counts(store, [symbol])
    if counts.empty:
        raise DashboardDataError(f"no daily bars stored for {symbol}")
    provider = str(counts["provider"].iloc[0])
    return daily_bars(store, provider, symbol), provider


def _latest(reports: pd.DataFrame) -> pd.DataFrame:
    return reports.sort_values("as_of").groupby("symbol").tail(1).set_index("symbol")


def _sector(store: Store, symbol: str) -> tuple[str | None, list[str]]:
    inst = store.read("instruments", where={"symbol": symbol}, columns=["symbol", "sector"])
    sector = None if inst.empty or pd.isna(inst["sector"].iloc[0]) else str(inst["sector"].iloc[0])
    if sector is None:
        return None, []
    peers = store.read("instruments", where={"sector": sector}, columns=["symbol"])
    return sector, sorted(str(s) for s in peers["symbol"] if s != symbol)


def fundamental_view(store: Store, symbol: str, provider: str | None = None) -> FundamentalView:
    """Compare ``symbol``'s latest report with its sector peers' (see the module docstring).

    Raises
    ------
    DashboardDataError
        No provider has reported fundamentals of ``symbol``.
    """
    providers = sorted(
        {str(p) for p in store.distinct("equity_fundamentals", "provider", {"symbol": symbol})}
    )
    if not providers or (provider is not None and provider not in providers):
        raise DashboardDataError(
            f"no reported fundamentals of {symbol}"
            + (f" from {provider}" if provider else "")
            + " (index symbols have none; choose an equity)"
        )
    provider = provider or providers[0]
    sector, peers = _sector(store, symbol)
    latest = _latest(read_fundamentals(store, provider=provider))
    mine = latest.loc[symbol]
    group = latest.loc[latest.index.isin(peers)]
    rows = {}
    for col, label in FIELDS.items():
        v, peer_values = float(mine[col]), group[col].dropna().to_numpy(float)
        rank = 100.0 * float(np.mean(peer_values < v)) if len(peer_values) else np.nan
        rows[label] = {"value": v, "sector_median": float(np.median(peer_values))
                       if len(peer_values) else np.nan, "sector_rank_pct": rank,
                       "universe_median": float(latest[col].median())}  # fmt: skip
    return FundamentalView(symbol, sector, provider, mine["as_of"],
                           tuple(str(p) for p in group.index), pd.DataFrame(rows).T,
                           _anomaly(store, symbol, provider, latest))  # fmt: skip


def _anomaly(store: Store, symbol: str, provider: str, latest: pd.DataFrame) -> dict[str, Any]:
    stored = reads.read_cluster_labels(store, provider=provider, entity=symbol, limit=1)
    if not stored.empty:
        row = stored.iloc[0]
        return {"source": f"stored ({row['ts']:%Y-%m-%d})", "is_anomaly": bool(row["is_anomaly"]),
                "label": int(row["label"]), "score": float(row["anomaly_score"]),
                "explanation": row["explanation"] or {},
                "model": f"{row['model_name']} {row['model_version']}"}  # fmt: skip
    feats = latest.loc[:, list(_FEATURES)].reset_index().rename(columns={"symbol": "entity"})
    result = detect_anomalies(feats, _LIVE_ANOMALY)
    if result.status != "OK":
        return {"source": "computed now", "reason": result.reason}
    labels = result.labels
    mine = labels.loc[labels["entity"].astype(str) == symbol]
    if mine.empty:
        return {"source": "computed now", "reason": f"{symbol} has a missing reported field"}
    row = mine.iloc[0]
    return {"source": f"computed now over {len(labels)} symbols of {provider}",
            "is_anomaly": bool(row["is_anomaly"]), "label": int(row["label"]),
            "score": float(row["anomaly_score"]), "explanation": row["explanation"] or {},
            "model": f"{row['model_name']} {row['model_version']}"}  # fmt: skip


def full_report_source(store: Store) -> ReportSource:
    """:func:`~optionsintel.ui.data.report_source` with the Technical and Fundamental tabs' data."""
    return replace(report_source(store), bars=lambda s: symbol_bars(store, s),
                   fundamentals=lambda s: fundamental_view(store, s))  # fmt: skip
