"""Realistic synthetic Indian market: the default offline data source.

Every frame carries ``provider == "synthetic"`` and is a pure function of the seed and
the request. Index underlyings (NIFTY, BANKNIFTY, FINNIFTY) follow a log-SV + jump
daily model with 15-second intraday bridges; option chains cover every listed expiry
and strike, priced with Black-76 on a skewed smile, with open interest and volume
calibrated on recorded NSE chains; a universe of synthetic equities has years of daily
OHLCV from a factor model.
"""

from optionsintel.synthetic.calibration import chain_shape_stats
from optionsintel.synthetic.day import DayChains, SyntheticDay, generate_day, generate_eod_chain
from optionsintel.synthetic.equities import equity_daily_ohlcv, equity_universe
from optionsintel.synthetic.market import SyntheticMarket
from optionsintel.synthetic.quotes import index_daily_ohlc

__all__ = [
    "DayChains",
    "SyntheticDay",
    "SyntheticMarket",
    "chain_shape_stats",
    "equity_daily_ohlcv",
    "equity_universe",
    "generate_day",
    "generate_eod_chain",
    "index_daily_ohlc",
]
