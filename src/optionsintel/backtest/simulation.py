"""Signals to orders with vectorbt's ``Portfolio.from_signals`` and exact dated costs.

Fill model
----------
* ``execution="next_open"`` (default): a signal on bar ``t`` fills at the open of bar
  ``t + 1``; nothing trades at the close of the signal bar. ``"close"`` fills at the
  signal bar's close (only when asked).
* One position per symbol at a time (no pyramiding); an entry and an exit on the same
  bar cancel (vectorbt's ``ignore``).
* Stop-loss, target and trailing stop are fractions of the entry price, checked on each
  bar's high/low after entry; they fill at the stop level (or the open if the bar gaps
  through it). ``max_bars`` exits at the open of the bar ``max_bars`` bars after entry.

Costs (exact, inside the simulation)
------------------------------------
Every Indian cost is linear in a fill's value (:mod:`optionsintel.backtest.costs`), but its
rate depends on the fill's date *and side* (STT on sells, stamp duty on buys). vectorbt
takes one proportional and one fixed fee per (bar, symbol), so the side of every order is
*predicted* from the signals (a bar executing an entry and no exit buys for a long
strategy, anything else sells) and the fees of each cell are the dated rates of that side.
After the run each order's real side is checked. A wrong guess (a stop firing on a bar
that also carries an entry signal) is corrected: with fixed-amount sizing, when cash never
bound, by replacing each order's fee with its exact cost in the order records (vectorbt
derives cash, value and trades from them; no order depends on cash, so the re-run would
place the same orders); otherwise by re-running with the corrected sides. Either way cash,
sizes and P&L include the exact costs (capped-percent brokerage is resolved the same way).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd

from optionsintel.backtest._vbt import vbt
from optionsintel.backtest.costs import CostModel, cost_breakdown, order_fee_rates, trade_dates
from optionsintel.backtest.spec import (
    BacktestSettings,
    Bars,
    Direction,
    Engine,
    ExitRules,
    Sizing,
    align_signals,
)
from optionsintel.errors import BacktestError

__all__ = ["Engine", "Simulation", "simulate"]

_MAX_PASSES = 12


@numba.njit(cache=True)
def _timed_signal_nb(c, entries, exits, is_short, max_bars, entry_bar):  # type: ignore[no-untyped-def]
    """Entries/exits plus an exit ``max_bars`` bars after the entry bar."""
    enter = entries[c.i, c.col]
    leave = exits[c.i, c.col]
    if c.position_now == 0:
        entry_bar[c.col] = -1
    elif entry_bar[c.col] == -1:
        entry_bar[c.col] = c.i - 1  # the order of the previous bar opened the position
    if c.position_now != 0 and c.i - entry_bar[c.col] >= max_bars:
        leave = True
        enter = False
    if is_short:
        return False, False, enter, leave
    return enter, leave, False, False


@dataclass(frozen=True, eq=False)
class Simulation:
    """The vectorbt portfolio of a run and its orders as fills (for the cost breakdown).

    ``passes`` counts simulations run; ``refeed`` says the last one's predicted fees were
    replaced by each order's exact fee without re-running (see :func:`_refee`).
    """

    portfolio: Any
    fills: pd.DataFrame
    passes: int
    refeed: bool = False


def _shift(a: np.ndarray, fill: object) -> np.ndarray:
    out = np.empty_like(a)
    out[0] = fill
    out[1:] = a[:-1]
    return out


def _fee_arrays(
    costs: CostModel | None, dates: np.ndarray, buy: np.ndarray, cap_pct: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Proportional and fixed fee per cell for the predicted sides (``buy``)."""
    if costs is None:
        return np.zeros(buy.shape), np.zeros(buy.shape)
    prop_b, fix_b = order_fee_rates(costs, dates, "buy")
    prop_s, fix_s = order_fee_rates(costs, dates, "sell")
    prop = np.where(buy, prop_b[:, None], prop_s[:, None])
    fixed = np.where(buy, fix_b[:, None], fix_s[:, None])
    b = costs.brokerage
    if b.kind == "percent_capped":
        gst = costs.statutory_rates("gst", "buy", dates)[:, None]
        prop = prop + np.where(cap_pct, b.rate * (1 + gst), 0.0)
        fixed = fixed + np.where(cap_pct, 0.0, b.per_order * (1 + gst))
    return prop, fixed


def _check_orders(
    rec: np.ndarray, buy: np.ndarray, cap_pct: np.ndarray, costs: CostModel | None
) -> np.ndarray:
    """Correct predicted sides/brokerage branches in place; mask of mispriced orders."""
    idx, col = rec["idx"], rec["col"]
    real_buy = rec["side"] == 0
    wrong = buy[idx, col] != real_buy
    buy[idx, col] = real_buy
    if costs is not None and costs.brokerage.kind == "percent_capped":
        b = costs.brokerage
        real_pct = b.rate * rec["size"] * rec["price"] < b.per_order
        wrong |= cap_pct[idx, col] != real_pct
        cap_pct[idx, col] = real_pct
    return wrong


def _fills(rec: np.ndarray, index: pd.Index, columns: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "timestamp": index[rec["idx"]],
            "symbol": columns[rec["col"]],
            "side": np.where(rec["side"] == 0, "buy", "sell"),
            "price": rec["price"],
            "quantity": rec["size"],
            "fees": rec["fees"],
        }
    )


def simulate(
    bars: Bars,
    entries: pd.DataFrame | pd.Series,
    exits: pd.DataFrame | pd.Series | None = None,
    settings: BacktestSettings | None = None,
    *,
    rerun_only: bool = False,
    **overrides: Any,
) -> Simulation:
    """Run the signals through vectorbt with dated Indian costs.

    Parameters
    ----------
    bars
        OHLC frames, index = bars, columns = symbols.
    entries, exits
        Boolean frames on (a subset of) the bars and symbols; missing cells are False.
    settings
        Direction, exits, sizing, costs, cash, portfolio mode, execution and engine
        (:class:`~optionsintel.backtest.spec.BacktestSettings`; defaults when None).
    rerun_only
        Correct wrong side guesses by re-running only (never by re-feeing the orders);
        for verification.
    overrides
        Fields of ``settings`` to replace for this call (``sizing=Sizing(amount=1e4)``).

    Returns
    -------
    Simulation
        The vectorbt portfolio and its fills.

    Raises
    ------
    BacktestError
        Misaligned or non-boolean signals, bad option, or costs that cannot settle.
    """
    cfg = BacktestSettings.resolve(settings, overrides)
    rules, size_spec, costs = cfg.exit_rules, cfg.sizing, cfg.costs
    direction, portfolio, init_cash = cfg.direction, cfg.portfolio, cfg.init_cash
    close = bars.close
    ent, ext = align_signals(entries, close, "entries"), align_signals(exits, close, "exits")
    size, size_type = size_spec.size_arrays(close, cfg.periods_per_year)
    if cfg.execution == "next_open":
        ent, ext, size = _shift(ent, False), _shift(ext, False), _shift(size, np.nan)
        price = bars.field("open")
    else:
        price = close
    entry_buys = direction == "long"
    buy = np.where(ent & ~ext, entry_buys, not entry_buys)
    cap_pct = np.zeros(close.shape, dtype=bool)
    if costs is not None and costs.brokerage.kind == "percent_capped" and size_type == "value":
        cap_pct[:] = costs.brokerage.rate * size_spec.amount < costs.brokerage.per_order
    dates = trade_dates(close.index)
    for n_pass in range(1, _MAX_PASSES + 1):
        kwargs = _vbt_kwargs(bars, ent, ext, direction, rules, close)  # fresh timer state
        fees, fixed = _fee_arrays(costs, dates, buy, cap_pct)
        pf = vbt.Portfolio.from_signals(
            close,
            size=size,
            size_type=size_type,
            price=price,
            fees=fees,
            fixed_fees=fixed,
            size_granularity=size_spec.lot_size or np.nan,
            init_cash=init_cash,
            cash_sharing=portfolio == "shared",
            group_by=True if portfolio == "shared" else None,
            freq=_freq(close.index),
            engine=cfg.engine,
            **kwargs,
        )
        rec = pf.order_records
        wrong = (
            np.zeros(len(rec), bool) if costs is None else _check_orders(rec, buy, cap_pct, costs)
        )
        if not wrong.any():
            return Simulation(pf, _fills(rec, close.index, close.columns), n_pass)
        if size_type == "value" and not rerun_only and costs is not None:
            cash = init_cash if portfolio == "shared" else np.full(close.shape[1], init_cash)
            patched = _refee(pf, rec, wrong, costs, close, size_spec, cash, entry_buys)
            if patched is not None:
                fills = _fills(patched.order_records, close.index, close.columns)
                return Simulation(patched, fills, n_pass, refeed=True)
    raise BacktestError(
        f"order sides did not settle after {_MAX_PASSES} simulations (a shared portfolio "
        "short of cash, whose orders change with the costs); use portfolio='per_symbol' "
        "or more init_cash"
    )


def _refee(
    pf: Any,
    rec: np.ndarray,
    wrong: np.ndarray,
    costs: CostModel,
    close: pd.DataFrame,
    sizing: Sizing,
    init_cash: float | np.ndarray,
    long: bool,
) -> Any:
    """The portfolio with the mispriced orders' exact fees, when no order depended on cash.

    With fixed-amount sizing an order's size does not depend on cash unless cash ran
    short; if cash (after the corrected fees) always covered a whole entry, every order is
    the one a re-run would place, and vectorbt's cash, value and trades follow from the
    order records. Otherwise ``None`` (the caller re-runs the simulation).
    """
    fixed = rec.copy()
    exact = cost_breakdown(_fills(rec[wrong], close.index, close.columns), costs)
    fixed["fees"][wrong] = exact.per_fill["total"].to_numpy()
    worst = sizing.amount * 1.01 + costs.brokerage.per_order * 1.2  # entry + any fee on it
    if long:
        low = _lowest_cash(fixed, init_cash)
    else:  # short sales add cash but owe the position: use vectorbt's free cash
        low = np.nanmin(np.asarray(pf.replace(order_records=fixed).cash(free=True), float))
    return pf.replace(order_records=fixed) if low >= worst else None


def _lowest_cash(rec: np.ndarray, init_cash: float | np.ndarray) -> float:
    """Lowest cash balance of a long-only run (cash changes only at orders)."""
    if len(rec) == 0:
        return float(np.min(init_cash))
    flow = np.where(rec["side"] == 0, -1.0, 1.0) * rec["size"] * rec["price"] - rec["fees"]
    if np.ndim(init_cash) == 0:  # shared cash: one balance in time order
        order = np.lexsort((rec["col"], rec["idx"]))
        return float(init_cash + np.cumsum(flow[order]).min())
    order = np.lexsort((rec["idx"], rec["col"]))  # per symbol: each column's own balance
    col, running = rec["col"][order], np.cumsum(flow[order])
    starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
    offset = np.repeat(running[starts] - flow[order][starts], np.diff(np.r_[starts, len(col)]))
    return float((np.asarray(init_cash)[col] + running - offset).min())


def _vbt_kwargs(
    bars: Bars,
    ent: np.ndarray,
    ext: np.ndarray,
    direction: Direction,
    rules: ExitRules,
    close: pd.DataFrame,
) -> dict[str, object]:
    """Signals (or the timed signal function) and stops as from_signals arguments."""
    kw: dict[str, object] = {
        "open": bars.field("open"),
        "high": bars.field("high"),
        "low": bars.field("low"),
        "sl_stop": rules.trailing_stop or rules.stop_loss or np.nan,
        "sl_trail": rules.trailing_stop is not None,
        "tp_stop": rules.target or np.nan,
        # stops are fractions of the entry *fill* (vectorbt's default is the bar's close)
        "stop_entry_price": "fillprice",
    }
    if rules.max_bars is None:
        if direction == "long":
            kw.update(entries=ent, exits=ext)
        else:
            kw.update(short_entries=ent, short_exits=ext)
        return kw
    state = np.full(close.shape[1], -1, dtype=np.int64)
    kw["signal_func_nb"] = _timed_signal_nb
    kw["signal_args"] = (ent, ext, direction == "short", int(rules.max_bars), state)
    return kw


def _freq(index: pd.Index) -> str | None:
    """A frequency for vectorbt's annualised stats (unused by our metrics)."""
    if isinstance(index, pd.DatetimeIndex) and len(index) > 2:
        return "1D"
    return None
