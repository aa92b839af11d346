"""Small deterministic markets for the backtest tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optionsintel.backtest.spec import Bars


def random_bars(n_bars: int, n_symbols: int, seed: int, start: str = "2024-01-01") -> Bars:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range(start, periods=n_bars)
    cols = [f"S{i:02d}" for i in range(n_symbols)]
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.015, (n_bars, n_symbols)), axis=0))
    prev = np.vstack([close[:1], close[:-1]])
    op = prev * np.exp(rng.normal(0, 0.006, close.shape))
    hi = np.maximum(op, close) * np.exp(np.abs(rng.normal(0, 0.006, close.shape)))
    lo = np.minimum(op, close) * np.exp(-np.abs(rng.normal(0, 0.006, close.shape)))
    frame = lambda a: pd.DataFrame(a, index=idx, columns=cols)  # noqa: E731
    return Bars(close=frame(close), open=frame(op), high=frame(hi), low=frame(lo))


def random_signals(bars: Bars, seed: int, p: float = 0.08) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    shape = bars.close.shape
    mk = lambda a: pd.DataFrame(a, index=bars.close.index, columns=bars.close.columns)  # noqa: E731
    return mk(rng.random(shape) < p), mk(rng.random(shape) < p)


@pytest.fixture
def market() -> Bars:
    return random_bars(250, 6, seed=7)
