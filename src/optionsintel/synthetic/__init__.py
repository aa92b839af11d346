"""Realistic synthetic Indian market: the default offline data source."""

from optionsintel.synthetic.day import DayChains, SyntheticDay, generate_day, generate_eod_chain
from optionsintel.synthetic.quotes import index_daily_ohlc

__all__ = ["DayChains", "SyntheticDay", "generate_day", "generate_eod_chain", "index_daily_ohlc"]
