"""Seeded synthetic panels for the rule-engine tests and benchmark."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_panel(
    bars: int = 300, symbols: int = 6, seed: int = 7, start: str = "2024-01-01"
) -> dict[str, pd.DataFrame]:
    """Daily OHLCV bars (geometric random walk) for ``symbols`` symbols."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=bars, freq="B")
    cols = pd.Index([f"SYM{i:04d}" for i in range(symbols)])
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, (bars, symbols)), axis=0))
    spread = np.abs(rng.normal(0, 0.01, (bars, symbols)))
    frame = lambda a: pd.DataFrame(a, index=idx, columns=cols)  # noqa: E731
    return {
        "open": frame(close * (1 + rng.normal(0, 0.005, (bars, symbols)))),
        "high": frame(close * (1 + spread)),
        "low": frame(close * (1 - spread)),
        "close": frame(close),
        "volume": frame(rng.integers(10_000, 50_000, (bars, symbols)).astype(float)),
    }
