"""Every asset, by group: raw market data, intraday, daily, analytics, operations, alerts."""

from dagster_project.assets.alerts import eod_alert_triggers
from dagster_project.assets.analytics import ml_cluster_labels, signals, support_resistance_levels
from dagster_project.assets.daily import daily_ohlc, daily_option_oi_summary, eod_option_chain
from dagster_project.assets.intraday import intraday_market_data

ALL_ASSETS = [
    intraday_market_data,
    daily_ohlc,
    eod_option_chain,
    daily_option_oi_summary,
    signals,
    support_resistance_levels,
    ml_cluster_labels,
    eod_alert_triggers,
]

__all__ = ["ALL_ASSETS"]
