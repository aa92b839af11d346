"""The strategy builder's pieces: templates, pricing from a chain, figure, cards, tables.

Pure helpers over :mod:`optionsintel.strategies` (no widgets): the builder composes them.
Every number comes from the library's analytics (exact breakevens, lognormal POP with its
stated conventions, per-leg and net greeks, the margin ESTIMATE with its method).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optionsintel.backtest.options import ExitRule, LegRule, OptionsStrategySpec
from optionsintel.calendar import listed_expiries
from optionsintel.strategies import (
    LegSpec,
    Strategy,
    StrategyAnalysis,
    bear_put_spread,
    build_strategy,
    bull_call_spread,
    chain_quotes,
    iron_butterfly,
    iron_condor,
    long_straddle,
    long_strangle,
    market_from_chain,
    payoff_at,
    payoff_at_expiry,
    price_grid,
    short_straddle,
    short_strangle,
)
from optionsintel.ui import theme

__all__ = ["TEMPLATES", "build_from_chain", "payoff_figure", "relative_spec"]

Template = Callable[[float, float, dt.date, int], list[LegSpec]]
TEMPLATES: dict[str, Template] = {
    "Short straddle": lambda a, s, e, w: short_straddle(a, e),
    "Long straddle": lambda a, s, e, w: long_straddle(a, e),
    "Short strangle": lambda a, s, e, w: short_strangle(a, s, e, w),
    "Long strangle": lambda a, s, e, w: long_strangle(a, s, e, w),
    "Bull call spread": lambda a, s, e, w: bull_call_spread(a, s, e, w),
    "Bear put spread": lambda a, s, e, w: bear_put_spread(a, s, e, w),
    "Iron condor": lambda a, s, e, w: iron_condor(a, s, e, w, w),
    "Iron butterfly": lambda a, s, e, w: iron_butterfly(a, s, e, w),
}


def build_from_chain(
    chain: pd.DataFrame, underlying: str, as_of: pd.Timestamp, specs: list[LegSpec], lots: int
) -> Strategy:
    """Price leg specs at the chain's quotes (mid, else LTP; the chain's IV, else solved)."""
    market = market_from_chain(chain, underlying, as_of)
    return build_strategy(underlying, specs, market, chain_quotes(chain, underlying, as_of),
                          lots=lots)  # fmt: skip


def payoff_figure(strategy: Strategy, analysis: StrategyAnalysis, days: float, iv_shift: float):
    """Payoff at the front expiry and at T+``days`` with the IV shift, with +-1/2 sigma marks."""
    grid = price_grid(strategy, points=2001)
    expiry = payoff_at_expiry(strategy, grid)
    later = payoff_at(strategy, grid, days=days, iv_shift=iv_shift)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=grid, y=expiry, name="at expiry", line={"color": "#1f77b4"}))
    label = f"T+{days:g} d, IV {iv_shift * 100:+.0f} pts"
    fig.add_trace(go.Scatter(x=grid, y=later, name=label, line={"color": "#ff7f0e", "dash": "dot"}))
    fig.add_hline(y=0, line={"color": "#888", "width": 1})
    fig.add_vline(x=strategy.market.spot, line={"color": "#2ca02c", "width": 1},
                  annotation_text="spot")  # fmt: skip
    for k, level in analysis.sigma_levels.items():
        fig.add_vline(x=level, line={"color": "#bbb", "width": 1, "dash": "dash"},
                      annotation_text=f"{k:+g}σ", annotation_font_size=10)  # fmt: skip
    fig.update_layout(height=360, margin={"l": 50, "r": 10, "t": 30, "b": 40},
                      legend={"orientation": "h", "y": -0.2}, xaxis_title="underlying",
                      yaxis_title="P&L (₹)", autosize=True)  # fmt: skip
    return fig


def _money(x: float) -> str:
    if not np.isfinite(x):
        return "unbounded"
    return f"₹{theme.fmt(x, 0)}"


def _card(label: str, value: str, sub: str = "") -> str:
    return (f"<div class='oi-card'><div class='label'>{html.escape(label)}</div>"
            f"<div class='value'>{html.escape(value)}</div>"
            f"<div class='sub'>{html.escape(sub)}</div></div>")  # fmt: skip


def cards_html(a: StrategyAnalysis) -> str:
    """Breakevens, POP, max profit/loss, expected value and the margin estimate as cards."""
    be = ", ".join(theme.fmt(p) for p in a.breakevens.prices) or "none"
    pr = a.profit_range
    return "<div class='oi-cards'>" + "".join([
        _card("Breakevens", be, a.breakevens.method),
        _card("POP", f"{a.pop.probability:.1%}", "lognormal, front ATM IV"),
        _card("Max profit", "unbounded" if pr.profit_unbounded else _money(pr.max_profit)),
        _card("Max loss", "unbounded" if pr.loss_unbounded else _money(pr.max_loss)),
        _card("Expected value", _money(a.expected_value), "risk-neutral"),
        _card("Margin", _money(a.margin.total), a.margin.label),
    ]) + f"</div><div class='oi-note'>{html.escape(a.pop.conventions)}</div>"  # fmt: skip


def table_html(frame: pd.DataFrame, css: str, digits: int = 2) -> str:
    """A small escaped HTML table."""
    shown = frame.copy()
    for col in shown.select_dtypes("number"):
        shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else theme.fmt(v, digits))
    return shown.to_html(classes=css, index=False, escape=True, border=0)


def legs_frame(strategy: Strategy) -> pd.DataFrame:
    """One row per leg as the builder shows it."""
    return pd.DataFrame([{
        "leg": leg.label, "side": leg.side, "type": leg.instrument, "strike": leg.strike,
        "expiry": str(leg.expiry), "lots": leg.lots, "qty": leg.quantity,
        "premium": leg.premium, "IV %": None if leg.iv is None else leg.iv * 100,
    } for leg in strategy.legs])  # fmt: skip


def relative_spec(
    strategy: Strategy, name: str, step: float, atm: float, stop_loss: float | None = None
) -> OptionsStrategySpec:
    """The builder's legs as relative rules for the backtester (ATM +- n steps, n-th expiry).

    Raises
    ------
    ValueError
        A future leg (the options backtester trades options only) or an expiry not among
        the four nearest listed on the builder's date.
    """
    day = strategy.market.as_of.tz_convert("Asia/Kolkata").date()
    listed = [d.date() for d in listed_expiries(strategy.underlying, day) if d.date() >= day]
    rules = []
    for leg in strategy.legs:
        if leg.instrument == "FUT" or leg.strike is None:
            raise ValueError("the options backtester trades option legs only (remove futures)")
        if leg.expiry not in listed[:4]:
            raise ValueError(f"expiry {leg.expiry} is not among the 4 nearest listed on {day}")
        rules.append(LegRule(leg.instrument, leg.side, lots=leg.lots,
                             offset=round((leg.strike - atm) / step),
                             expiry_index=listed.index(leg.expiry)))  # fmt: skip
    return OptionsStrategySpec(name, strategy.underlying, tuple(rules),
                               exit=ExitRule(stop_loss=stop_loss))  # fmt: skip


def spec_json(strategy: Strategy) -> list[dict[str, Any]]:
    """Legs as JSON-ready dicts (the saved record)."""
    return [{"instrument": leg.instrument, "side": leg.side, "strike": leg.strike,
             "expiry": str(leg.expiry), "lots": leg.lots, "lot_size": leg.lot_size,
             "premium": leg.premium, "iv": leg.iv} for leg in strategy.legs]  # fmt: skip
