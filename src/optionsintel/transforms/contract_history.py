"""``eod_option_chain`` rows from NSE contract-wise option histories (all dates at once).

NSE's contract-wise archive (parsed by
:func:`optionsintel.providers.replay_history.parse_contract_history`) has, per date and
contract, open/high/low/close, LTP, the settle price, contracts traded and OI in shares.
Here OI becomes contracts (``/ lot_size``), ``volume`` is contracts traded, ``ltp`` is NaN
where NSE wrote 0 (no trade), ``settle_price`` NaN where NSE wrote 0 (expiry day), and
``underlying_price`` is NSE's ``Underlying Value``. IV is left NaN (the platform's own IV
is computed by the chain analytics, not invented here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optionsintel.transforms.daily import EOD_COLUMNS

__all__ = ["eod_rows_from_contract_history"]


def eod_rows_from_contract_history(
    history: pd.DataFrame, *, lot_size: int, provider: str
) -> pd.DataFrame:
    """Rows of ``eod_option_chain`` for every date of a parsed contract history.

    Raises
    ------
    ValueError
        If ``lot_size`` is not positive or ``provider`` is empty.
    """
    if lot_size <= 0 or not provider:
        raise ValueError("a contract history load needs a positive lot_size and a provider name")

    def positive(col: str) -> np.ndarray:
        values = history[col].to_numpy(np.float64)
        return np.where(values > 0, values, np.nan)

    rows = pd.DataFrame(
        {
            "underlying": history["symbol"].to_numpy(object),
            "provider": provider,
            "trade_date": history["date"].dt.date.to_numpy(),
            "expiry": history["expiry"].dt.date.to_numpy(),
            "strike": history["strike"].to_numpy(np.float64),
            "option_type": history["option_type"].to_numpy(object),
            "open": positive("open"), "high": positive("high"), "low": positive("low"),
            "close": positive("close"), "settle_price": positive("settle"),
            "ltp": positive("ltp"),
            "volume": history["contracts"].to_numpy(np.float64),
            "oi": history["oi_shares"].to_numpy(np.float64) / lot_size,
            "oi_change": history["oi_change_shares"].to_numpy(np.float64) / lot_size,
            "iv": np.nan,
            "underlying_price": history["underlying_value"].to_numpy(np.float64),
            "provider_iv": np.nan,
            "iv_price_source": None,
        }
    )  # fmt: skip
    return rows.loc[:, list(EOD_COLUMNS)].reset_index(drop=True)
