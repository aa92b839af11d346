"""Monte Carlo of a backtest: bootstrap of trade P&L and block bootstrap of daily returns.

* ``method="trades"``: the closed trades' P&L (rupees, after costs) resampled with
  replacement, as many trades as the backtest had, added in sequence to the initial
  capital (fixed-size positions: P&L does not compound).
* ``method="daily_block"``: the daily returns resampled in circular blocks of ``block``
  bars (keeps volatility clustering and short-range autocorrelation; Politis & Romano's
  circular block bootstrap), compounded from the initial capital, as many bars as the
  backtest had.

Paths come from ``np.random.default_rng(seed)``: the same seed gives the same bands.
Max drawdown of a path is ``min_t (W_t / max_{s<=t} W_s - 1)`` with the initial capital
as the first peak (the :mod:`optionsintel.research` convention).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from optionsintel.backtest.results import BacktestResult
from optionsintel.errors import BacktestError

__all__ = ["MonteCarloResult", "monte_carlo"]

_CHUNK = 500


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """Final equity and max drawdown of every path, and quantile bands of the paths."""

    method: str
    seed: int
    final_equity: np.ndarray
    max_drawdown: np.ndarray
    bands: pd.DataFrame
    quantiles: tuple[float, ...]

    def summary(self) -> pd.DataFrame:
        """Quantiles of final equity and max drawdown (rows = quantiles)."""
        q = list(self.quantiles)
        return pd.DataFrame(
            {
                "final_equity": np.quantile(self.final_equity, q),
                "max_drawdown": np.quantile(self.max_drawdown, q),
            },
            index=pd.Index(q, name="quantile"),
        )


def _drawdowns(paths: np.ndarray, start: float) -> np.ndarray:
    peak = np.maximum.accumulate(np.maximum(paths, start), axis=1)
    return np.minimum((paths / peak - 1.0).min(axis=1), 0.0)


def _trade_paths(pnl: np.ndarray, start: float, n: int, rng: np.random.Generator) -> np.ndarray:
    picks = rng.integers(0, len(pnl), size=(n, len(pnl)))
    return start + np.cumsum(pnl[picks], axis=1)


def _block_paths(
    r: np.ndarray, start: float, n: int, block: int, rng: np.random.Generator
) -> np.ndarray:
    T = len(r)
    n_blocks = -(-T // block)
    starts = rng.integers(0, T, size=(n, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)).reshape(n, -1)[:, :T] % T
    return start * np.cumprod(1.0 + r[idx], axis=1)


def monte_carlo(
    result: BacktestResult,
    *,
    method: Literal["trades", "daily_block"] = "trades",
    n_paths: int = 2000,
    seed: int = 0,
    block: int = 20,
    quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95),
    progress: Callable[[int, int], None] | None = None,
) -> MonteCarloResult:
    """Bootstrap a backtest's trades or daily returns into confidence bands.

    Parameters
    ----------
    result
        A finished backtest.
    method
        ``"trades"`` or ``"daily_block"`` (see the module docstring).
    n_paths, seed, block
        Number of paths, the generator's seed, block length in bars.
    quantiles
        Levels of the bands and of :meth:`MonteCarloResult.summary`.
    progress
        ``progress(done, total)`` after each chunk of paths.

    Returns
    -------
    MonteCarloResult

    Raises
    ------
    BacktestError
        No closed trades (``trades``), no returns, or a bad parameter.
    """
    if n_paths < 1 or block < 1 or not all(0 <= q <= 1 for q in quantiles):
        raise BacktestError("n_paths and block must be positive; quantiles within [0, 1]")
    rng = np.random.default_rng(seed)
    start = float(result.equity.iloc[0] / (1.0 + result.returns.iloc[0]))
    if method == "trades":
        sample = result.trades.loc[result.trades["closed"], "pnl"].to_numpy(float)
    elif method == "daily_block":
        sample = result.returns.fillna(0.0).to_numpy(float)
    else:
        raise BacktestError("method is 'trades' or 'daily_block'")
    if len(sample) == 0:
        raise BacktestError(f"nothing to resample for method {method!r} (no closed trades?)")
    chunks = []
    for done in range(0, n_paths, _CHUNK):
        n = min(_CHUNK, n_paths - done)
        if method == "trades":
            chunks.append(_trade_paths(sample, start, n, rng))
        else:
            chunks.append(_block_paths(sample, start, n, block, rng))
        if progress is not None:
            progress(done + n, n_paths)
    paths = np.vstack(chunks)
    bands = pd.DataFrame(np.quantile(paths, list(quantiles), axis=0).T, columns=list(quantiles))
    bands.index.name = "trade" if method == "trades" else "bar"
    return MonteCarloResult(
        method=method,
        seed=seed,
        final_equity=paths[:, -1],
        max_drawdown=_drawdowns(paths, start),
        bands=bands,
        quantiles=tuple(quantiles),
    )
