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
from optionsintel.backtest.costs import (
    CostBreakdown,
    CostModel,
    fill_cost_breakdown,
    order_fee_rates,
    trade_dates,
)
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

__all__ = ["Engine", "Simulation", "order_cost_breakdown", "simulate"]

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


@numba.njit(cache=True)
def _signal_cells_nb(ent, ext, shift, entry_buys):  # type: ignore[no-untyped-def]
    """Column-major entries/exits (moved one bar later if ``shift``) and predicted buys.

    A cell buys when it executes an entry and no exit (for a long strategy; a short one
    buys on everything else). One pass instead of a shift, a copy and a mask per array.
    """
    n, m = ent.shape
    e_out, x_out = np.empty((m, n), np.bool_).T, np.empty((m, n), np.bool_).T
    buy = np.empty((m, n), np.bool_).T
    for j in range(m):
        for i in range(n):
            src = i - 1 if shift else i
            e = ent[src, j] if src >= 0 else False
            x = ext[src, j] if src >= 0 else False
            e_out[i, j], x_out[i, j] = e, x
            buy[i, j] = entry_buys if (e and not x) else not entry_buys
    return e_out, x_out, buy


@numba.njit(cache=True)
def _fee_cells_nb(buy, cap_pct, prop_b, prop_s, fix_b, fix_s, cap_prop, flat_fixed, capped):  # type: ignore[no-untyped-def]
    """Column-major proportional and fixed fee of each cell for its predicted side.

    ``capped`` (capped-percent brokerage): a cell adds the percentage (``cap_prop``) when
    ``cap_pct`` else the per-order amount (``flat_fixed``), with GST, to the side's rates.
    """
    n, m = buy.shape
    prop, fixed = np.empty((m, n)).T, np.empty((m, n)).T
    for j in range(m):
        for i in range(n):
            b = buy[i, j]
            p = prop_b[i] if b else prop_s[i]
            f = fix_b[i] if b else fix_s[i]
            if capped:
                c = cap_pct[i, j]
                p = p + (cap_prop[i] if c else 0.0)
                f = f + (0.0 if c else flat_fixed[i])
            prop[i, j], fixed[i, j] = p, f
    return prop, fixed


def _fee_arrays(
    costs: CostModel | None, dates: np.ndarray, buy: np.ndarray, cap_pct: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Proportional and fixed fee per cell for the predicted sides (``buy``), column-major.

    vectorbt walks each column down the bars, so per-cell arrays are laid out column by
    column (Fortran order, as a DataFrame's values already are); a row-major array made
    the same simulation ~30-70 % slower (bench_backtest.py ``overhead``). The dated rates
    are looked up once per bar and side, then spread over the cells in one numba pass.
    """
    if costs is None:
        return np.zeros(buy.shape, order="F"), np.zeros(buy.shape, order="F")
    prop_b, fix_b = order_fee_rates(costs, dates, "buy")
    prop_s, fix_s = order_fee_rates(costs, dates, "sell")
    b = costs.brokerage
    capped = b.kind == "percent_capped"
    if capped:
        gst = costs.statutory_rates("gst", "buy", dates)
        cap_prop, flat_fixed = b.rate * (1 + gst), b.per_order * (1 + gst)
    else:
        cap_prop = flat_fixed = np.zeros(len(dates))
    return _fee_cells_nb(buy, cap_pct, prop_b, prop_s, fix_b, fix_s, cap_prop, flat_fixed, capped)


@numba.njit(cache=True)
def _check_sides_nb(idx, col, side, buy):  # type: ignore[no-untyped-def]
    """Orders whose predicted side was wrong; ``buy`` then holds the real sides.

    All cells are read before any is written, as ``buy[idx, col]`` then an assignment.
    """
    wrong = np.empty(len(idx), np.bool_)
    for k in range(len(idx)):
        wrong[k] = buy[idx[k], col[k]] != (side[k] == 0)
    for k in range(len(idx)):
        buy[idx[k], col[k]] = side[k] == 0
    return wrong


def _check_orders(
    rec: np.ndarray, buy: np.ndarray, cap_pct: np.ndarray, costs: CostModel | None
) -> np.ndarray:
    """Correct predicted sides/brokerage branches in place; mask of mispriced orders."""
    idx, col = rec["idx"], rec["col"]
    wrong = _check_sides_nb(idx, col, rec["side"], buy)
    if costs is not None and costs.brokerage.kind == "percent_capped":
        b = costs.brokerage
        real_pct = b.rate * rec["size"] * rec["price"] < b.per_order
        wrong |= cap_pct[idx, col] != real_pct
        cap_pct[idx, col] = real_pct
    return wrong


_SIDES = pd.Index(["buy", "sell"])  # vectorbt's OrderSide: 0 buy, 1 sell


def _fills(rec: np.ndarray, index: pd.Index, columns: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "timestamp": index[rec["idx"]],
            "symbol": columns[rec["col"]],
            # taken from a two-string index: building 10^5 strings one by one cost ~5 ms
            "side": _SIDES.take(rec["side"]),
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
    next_open = cfg.execution == "next_open"
    size, size_type = _sizes(size_spec, close, cfg.periods_per_year, next_open)
    price = bars.field("open") if next_open else close
    entry_buys = direction == "long"
    # column-major like the price frames' values: vectorbt reads each column down the bars
    ent, ext, buy = _signal_cells_nb(ent, ext, next_open, entry_buys)
    cap_pct = np.zeros(close.shape, dtype=bool, order="F")
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
        # the patch writes the fresh records in place; an engine handing out read-only
        # records (not seen with numba) takes the re-run instead
        writable = bool(rec.flags.writeable)
        if size_type == "value" and not rerun_only and costs is not None and writable:
            cash = init_cash if portfolio == "shared" else np.full(close.shape[1], init_cash)
            patched = _refee(pf, rec, wrong, costs, dates, size_spec, cash, entry_buys)
            if patched is not None:
                fills = _fills(rec, close.index, close.columns)
                return Simulation(patched, fills, n_pass, refeed=True)
    raise BacktestError(
        f"order sides did not settle after {_MAX_PASSES} simulations (a shared portfolio "
        "short of cash, whose orders change with the costs); use portfolio='per_symbol' "
        "or more init_cash"
    )


def _sizes(
    sizing: Sizing, close: pd.DataFrame, periods_per_year: float, shift: bool
) -> tuple[float | np.ndarray, str]:
    """Size per fill bar (per signal bar moved one bar later if ``shift``), size type.

    A size that is the same on every bar stays a scalar (vectorbt broadcasts it; a 2-D
    array of one value cost a fill, a copy and a read per cell). The first bar's size, NaN
    after the shift, is never read: no signal executes on the first bar.
    """
    size, size_type = sizing.size_arrays(close, periods_per_year)
    if not isinstance(size, np.ndarray):
        return size, size_type
    if shift:
        size = np.vstack([np.full((1, size.shape[1]), np.nan), size[:-1]])
    return np.asfortranarray(size), size_type


def order_cost_breakdown(rec: np.ndarray, dates: np.ndarray, costs: CostModel) -> CostBreakdown:
    """:func:`~optionsintel.backtest.costs.cost_breakdown` of vectorbt order records.

    ``dates`` are the bars' trade dates; the per-fill frame has a default index (the
    records' order, as :attr:`Simulation.fills`).
    """
    value = np.abs(rec["price"] * rec["size"])
    return fill_cost_breakdown(costs, dates, rec["idx"], rec["side"] == 0, value)


def _refee(
    pf: Any,
    rec: np.ndarray,
    wrong: np.ndarray,
    costs: CostModel,
    dates: np.ndarray,
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
    exact = order_cost_breakdown(rec[wrong], dates, costs)
    # in place: the portfolio was just made here and nothing of it is computed yet (a
    # ``replace`` built a second Portfolio, ~0.03 s at 1,000 symbols); if the fees do not
    # stand, the caller drops this portfolio and re-runs
    rec["fees"][wrong] = exact.per_fill["total"].to_numpy()
    worst = sizing.amount * 1.01 + costs.brokerage.per_order * 1.2  # entry + any fee on it
    # short sales add cash but owe the position: vectorbt's free cash then
    low = _lowest_cash(rec, init_cash) if long else np.nanmin(np.asarray(pf.cash(free=True), float))
    return pf if low >= worst else None


def _lowest_cash(rec: np.ndarray, init_cash: float | np.ndarray) -> float:
    """Lowest cash balance of a long-only run (cash changes only at orders)."""
    if len(rec) == 0:
        return float(np.min(init_cash))
    flow = np.where(rec["side"] == 0, -1.0, 1.0) * rec["size"] * rec["price"] - rec["fees"]
    if np.ndim(init_cash) == 0:  # shared cash: one balance in time order
        order = _sorted_order(rec["idx"], rec["col"])
        return float(init_cash + np.cumsum(flow[order]).min())
    order = _sorted_order(rec["col"], rec["idx"])  # per symbol: each column's own balance
    col, running = rec["col"][order], np.cumsum(flow[order])
    starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
    offset = np.repeat(running[starts] - flow[order][starts], np.diff(np.r_[starts, len(col)]))
    return float((np.asarray(init_cash)[col] + running - offset).min())


def _sorted_order(major: np.ndarray, minor: np.ndarray) -> np.ndarray | slice:
    """Order of records by (major, minor): vectorbt's usually already are (no sort then)."""
    dm, dn = np.diff(major), np.diff(minor)
    if ((dm > 0) | ((dm == 0) & (dn > 0))).all():
        return slice(None)
    return np.lexsort((minor, major))


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
