"""Helpers of the research notebooks (kept here so the notebooks stay a few lines a cell).

- :func:`connect` — the configured store; says what to run when it holds no data (it never
  writes: demo data comes from ``optionsintel demo`` / ``optionsintel up``).
- :func:`oi_by_strike_figure` — OI (or OI change) by strike of one chain.
- :func:`replay_pair` / :func:`replay_signal_study` — OI signals on recorded NSE days.
- :func:`equity_prices` / :func:`universe_risk` — risk across the synthetic equities.
- :func:`equity_features` — anomaly-model features of the synthetic equities.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

from optionsintel.calendar import session_bounds
from optionsintel.chain import oi_change_by_strike
from optionsintel.errors import OptionsIntelError
from optionsintel.research import compute_all_metrics, extract_features, risk_level
from optionsintel.services.demo import REPLAY_PAIR_DAYS
from optionsintel.signals import detect_signals
from optionsintel.store.reads import list_underlyings, read_chain_as_of
from optionsintel.ui.chain_view import trader_chain

if TYPE_CHECKING:
    from optionsintel.store import Store

NO_DATA_HINT = (
    "holds no option-chain snapshots: load the demo history first with `optionsintel demo` "
    "(materialises recent synthetic days and the recorded real NSE days through the Dagster "
    "asset graph, then exits) or `optionsintel up` (the same, then serves the Dagster UI and "
    "the dashboards), then run this cell again"
)


class EmptyStoreError(OptionsIntelError):
    """The store a notebook connected to holds no market data yet."""


def connect() -> Store:
    """Return the configured store (embedded unless ``DATABASE_URL`` is set).

    Never writes: a notebook that fills the store as a side effect would hide which
    pipeline produced its data.

    Raises
    ------
    EmptyStoreError
        When the store holds no option-chain snapshot; the message says what to run.
    """
    from optionsintel.store import get_store

    store = get_store()
    if not list_underlyings(store):
        raise EmptyStoreError(f"the store {store} {NO_DATA_HINT}")
    return store


def oi_by_strike_figure(chain: pd.DataFrame, field: str = "oi", strikes: int = 20) -> go.Figure:
    """Bar chart of calls/puts ``field`` (``oi`` or ``oi_change``) by strike, nearest expiry."""
    first = pd.to_datetime(chain["expiry"]).min()
    one = chain.loc[pd.to_datetime(chain["expiry"]) == first]
    table = trader_chain(one, strikes_each_side=strikes)
    fig = go.Figure([go.Bar(x=table["strike"], y=table[f"ce_{field}"], name="Calls"),
                     go.Bar(x=table["strike"], y=table[f"pe_{field}"], name="Puts")])  # fmt: skip
    fig.update_layout(title=f"{field} by strike, expiry {first:%d %b %Y}", barmode="group")
    return fig


def replay_pair(
    store: Store, underlying: str = "NIFTY", days: Sequence[dt.date] = REPLAY_PAIR_DAYS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the recorded (replay) chains at the close of two days: ``(previous, current)``."""
    if len(days) != 2:
        raise ValueError("replay_pair needs exactly two days (previous, current)")
    chains = [read_chain_as_of(store, underlying, session_bounds(d, tz="UTC")[1],
                               provider="replay") for d in days]  # fmt: skip
    for day, chain in zip(days, chains, strict=True):
        if chain.empty:
            raise LookupError(f"no replay chain of {underlying} on {day}: run `optionsintel "
                              "demo` (it materialises every recorded real day)")  # fmt: skip
    return chains[0], chains[1]


def replay_signal_study(
    previous: pd.DataFrame, current: pd.DataFrame, top: int = 10
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the signals between two snapshots and the ``top`` strikes by |OI change|."""
    signals = detect_signals(previous, current)
    changes = oi_change_by_strike(current, previous)
    changes["abs_change"] = changes[["ce_oi_change", "pe_oi_change"]].abs().max(axis=1)
    return signals, changes.nlargest(top, "abs_change").drop(columns="abs_change")


def equity_prices(n_symbols: int = 50, start: str = "2024-01-01", end: str = "2025-12-31",
                  seed: int = 0) -> pd.DataFrame:  # fmt: skip
    """Return wide daily closes of the first ``n_symbols`` synthetic equities."""
    from optionsintel.synthetic import equity_daily_ohlcv

    bars = equity_daily_ohlcv(n_symbols, start, end, seed=seed)
    wide = bars.pivot_table(index="ts", columns="symbol", values="close", observed=True)
    wide.columns = wide.columns.astype(str)
    return wide


def universe_risk(prices: pd.DataFrame) -> pd.DataFrame:
    """Return every metric and the risk level of each column of a wide price frame."""
    metrics = compute_all_metrics(prices.pct_change(fill_method=None).iloc[1:])
    level = risk_level(metrics["annual_volatility"], metrics["var_historical"])
    return metrics.assign(risk_level=level)


def equity_features(n_symbols: int = 30, start: str = "2025-01-01", end: str = "2025-12-31",
                    seed: int = 0) -> pd.DataFrame:  # fmt: skip
    """Return anomaly-model features (returns, realised vol, volume/OI) of synthetic equities."""
    from optionsintel.synthetic import equity_daily_ohlcv

    bars = equity_daily_ohlcv(n_symbols, start, end, seed=seed)
    frame = bars.assign(entity=bars["symbol"].astype(str), ts=bars["ts"])
    return extract_features(frame[["entity", "ts", "close", "volume"]])
