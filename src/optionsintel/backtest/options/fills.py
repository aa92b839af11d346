"""Fill prices (bid/ask or slippage), staleness refusals and expiry settlement values.

Conventions
-----------
* A buy fills at the stored ask and a sell at the stored bid when the execution uses
  bid/ask and both are stored at that instant; otherwise at the stored price moved
  against the trader: ``p x (1 + s) + d`` for a buy, ``max(p x (1 - s) - d, 0)`` for a
  sell (``s`` = ``slippage_pct``, ``d`` = ``slippage_points``).
* A price whose last fresh observation is older than the execution's ``staleness`` is
  refused (:class:`~optionsintel.backtest.options.select.Refusal`), never used.
* At expiry a leg is worth its intrinsic value at the settlement price ``S``:
  ``max(S - K, 0)`` for a call, ``max(K - S, 0)`` for a put. NSE settles index options
  in cash at the final settlement price, the underlying's closing value on the expiry
  day. An in-the-money long leg is *exercised* (the holder pays the exercise STT of the
  date's regime, see :mod:`optionsintel.backtest.costs`); an in-the-money short leg is
  *assigned* (no STT); an out-of-the-money leg *expires* at 0 with no cost.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from optionsintel.backtest.options.chains import ChainPanel
from optionsintel.backtest.options.select import Refusal
from optionsintel.backtest.options.spec import Execution

__all__ = ["fill_prices", "settlement_values"]

FloatArray = npt.NDArray[np.float64]


def fill_prices(
    panel: ChainPanel,
    row: int,
    cols: npt.NDArray[np.int64],
    signs: npt.NDArray[np.int64],
    execution: Execution,
) -> FloatArray | Refusal:
    """Prices of orders in contracts ``cols`` at instant ``row``; ``signs`` +1 buy, -1 sell.

    Returns a :class:`Refusal` naming the first contract whose price is stale or missing.
    """
    ages = panel.age(row, cols)
    limit = np.timedelta64(execution.staleness)
    bad = np.isnat(ages) | (ages > limit)
    if bad.any():
        j = int(cols[np.argmax(bad)])
        at = panel.local_time(row)
        what = f"{panel.strikes[j]:g} {panel.option_types[j]} {panel.expiries[j]}"
        age = ages[np.argmax(bad)]
        why = "never traded" if np.isnat(age) else f"last fresh {pd.Timedelta(age)} earlier"
        return Refusal(f"price of {what} at {at} is stale ({why}; tolerance {execution.staleness})")
    mark = panel.mark(np.array([row]), cols)[0]
    bid, ask = panel.bid[row, cols], panel.ask[row, cols]
    quoted = execution.use_bid_ask & np.isfinite(bid) & np.isfinite(ask) & (ask >= bid)
    s, d = execution.slippage_pct, execution.slippage_points
    slipped = np.where(signs > 0, mark * (1 + s) + d, np.maximum(mark * (1 - s) - d, 0.0))
    return np.where(quoted, np.where(signs > 0, ask, bid), slipped)


def settlement_values(
    settlement: float, strikes: FloatArray, option_types: npt.NDArray[np.str_]
) -> FloatArray:
    """Intrinsic value per unit of each leg at the final settlement price."""
    calls = option_types == "CE"
    return np.where(calls, np.maximum(settlement - strikes, 0.0),
                    np.maximum(strikes - settlement, 0.0))  # fmt: skip
