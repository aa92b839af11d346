"""Builders of small stored universes for the scan tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optionsintel.store import Store


def bars_frame(closes: dict[str, np.ndarray], days, provider: str = "synthetic") -> pd.DataFrame:
    """``daily_ohlc`` rows: one per (symbol, day), volume rising by symbol index."""
    rows = []
    for k, (s, cl) in enumerate(closes.items()):
        for d, c in zip(days, cl, strict=True):
            if np.isfinite(c):
                rows.append({"symbol": s, "trade_date": d, "open": c, "high": c + 1,
                             "low": c - 1, "close": c, "volume": 1000.0 + 10 * k,
                             "provider": provider})  # fmt: skip
    return pd.DataFrame(rows)


def random_closes(symbols: list[str], n: int, seed: int = 3) -> dict[str, np.ndarray]:
    """Random-walk closes per symbol (reproducible)."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0, 0.02, (n, len(symbols)))
    paths = 100 * np.exp(np.cumsum(steps, axis=0))
    return {s: paths[:, j] for j, s in enumerate(symbols)}


def instruments_frame(symbols: list[str], sector: str = "IT") -> pd.DataFrame:
    """Equity ``instruments`` rows of ``symbols``."""
    return pd.DataFrame({"symbol": symbols, "segment": "equity", "exchange": "NSE",
                         "name": symbols, "sector": sector, "provider": "synthetic"})  # fmt: skip


def seed_universe(store: Store, symbols: list[str], days, seed: int = 3) -> None:
    """Bars of ``symbols`` over ``days`` and their instruments rows."""
    store.write("daily_ohlc", bars_frame(random_closes(symbols, len(days), seed), days))
    store.write("instruments", instruments_frame(symbols))
