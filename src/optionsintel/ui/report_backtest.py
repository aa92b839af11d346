"""The analytics report's risk gauges and its backtest summary panel.

:func:`risk_gauges` draws one gauge per symbol: annual volatility against the report's
volatility thresholds, titled with the risk level :func:`optionsintel.research.build_report`
graded (volatility and one-day VaR). :class:`BacktestPanel` backtests a chosen pattern or
signal (a rule in the text form, e.g. ``BREAKOUT(ascending_triangle) > 0``) on one symbol's
bars with :func:`optionsintel.backtest.run_backtest` and shows win rate, average win and
average loss. It runs only on the button (vectorbt loads on first use, seconds), with a
progress bar; nothing runs at page load.

Public interface (traitlets) of the panel: ``rule_text``, ``hold_bars``, ``state``
(``idle | running | ok | error``), ``message``, ``progress``, ``summary`` (dict).
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd
import traitlets as t

from optionsintel.errors import OptionsIntelError
from optionsintel.geometry import PATTERNS
from optionsintel.research.report import RISK_LEVELS, Report
from optionsintel.rules import evaluate, parse_rule
from optionsintel.ui import panels

_BANDS = ("#c8e6c9", "#fff9c4", "#ffe0b2", "#ffcdd2")
SIGNALS: dict[str, str] = {
    "Breakout up, any pattern": "BREAKOUT(any) > 0",
    "Breakdown, any pattern (short)": "BREAKOUT(any) < 0",
    **{f"Breakout up: {p.replace('_', ' ')}": f"BREAKOUT({p}) > 0" for p in PATTERNS},
    "Breakout on 1.5x volume with RSI < 70": "BREAKOUT(any, 1, 1.5) > 0 AND RSI(14) < 70",
    "Close crosses above SMA(50)": "close CROSSES ABOVE SMA(50)",
}
"""Patterns and signals offered (each a rule text; the user may edit it)."""


def _arc(f0: float, f1: float, r: float = 70.0) -> str:
    """SVG path of the gauge's arc from fraction ``f0`` to ``f1`` (0 = left, 1 = right)."""
    (x0, y0), (x1, y1) = (_point(f0, r), _point(f1, r))
    return f"M {x0:.1f} {y0:.1f} A {r:g} {r:g} 0 0 1 {x1:.1f} {y1:.1f}"


def _point(f: float, r: float) -> tuple[float, float]:
    angle = np.pi * (1.0 - min(max(f, 0.0), 1.0))
    return 90.0 + r * np.cos(angle), 90.0 - r * np.sin(angle)


def risk_gauge_svg(symbol: str, level: str, vol: float, thresholds: tuple[float, ...]) -> str:
    """An SVG gauge: annual volatility ``vol`` (fraction) on bands at ``thresholds``.

    The scale runs to 1.5x the last threshold (or further when ``vol`` is beyond it); the
    needle points at ``vol``; the title carries the risk ``level`` the report graded.
    """
    top = max(1.5 * thresholds[-1], vol * 1.1 if np.isfinite(vol) else 0.0)
    edges = [0.0, *thresholds, top]
    arcs = "".join(
        f'<path d="{_arc(a / top, b / top)}" stroke="{c}" stroke-width="18" fill="none"/>'
        for a, b, c in zip(edges[:-1], edges[1:], _BANDS, strict=True)
    )
    needle = ""
    if np.isfinite(vol):
        x, y = _point(vol / top, 58.0)
        needle = (f'<line x1="90" y1="90" x2="{x:.1f}" y2="{y:.1f}" stroke="#37474f" '
                  'stroke-width="3"/><circle cx="90" cy="90" r="4" fill="#37474f"/>')  # fmt: skip
    value = f"{100 * vol:.1f} %" if np.isfinite(vol) else "–"
    return (f'<div class="oi-gauge" data-level="{html.escape(level)}" style="display:inline-block;'
            f'width:180px;text-align:center"><svg viewBox="0 0 180 100" width="180" height="100" '
            f'role="img" aria-label="risk {html.escape(level)}">{arcs}{needle}</svg>'
            f"<div><b>{html.escape(symbol)}</b>: risk {html.escape(level)}</div>"
            f"<div><small>annual volatility {value}</small></div></div>")  # fmt: skip


def risk_gauges(report: Report) -> str:
    """One gauge per symbol of ``report`` and the legend of the levels (HTML)."""
    gauges = "".join(
        risk_gauge_svg(sym, str(report.risk_level.get(sym, "UNKNOWN")),
                       float(report.metrics.loc[sym, "annual_volatility"]),
                       report.config.vol_thresholds)
        for sym in report.symbols
    )  # fmt: skip
    return f"<div class='oi-gauges' style='display:flex;flex-wrap:wrap;gap:8px'>{gauges}</div>" + (
        risk_legend(report)
    )


def risk_legend(report: Report) -> str:
    """The thresholds behind the levels, for under the gauges."""
    vol = " / ".join(f"{100 * v:g} %" for v in report.config.vol_thresholds)
    var = " / ".join(f"{100 * v:g} %" for v in report.config.var_thresholds)
    return (f"<p><small>Risk levels {' < '.join(RISK_LEVELS)}: the higher grade of annual "
            f"volatility (bands at {vol}) and one-day VaR (at {var}).</small></p>")  # fmt: skip


def _panel(bars: pd.DataFrame, symbol: str) -> dict[str, pd.DataFrame]:
    return {k: bars[[k]].rename(columns={k: symbol}).astype(float) for k in bars.columns}


def backtest_rule(
    bars: pd.DataFrame, symbol: str, rule_text: str, *, hold_bars: int = 10,
    direction: str = "long", provider: str = "", progress: Any = None,
) -> dict[str, Any]:  # fmt: skip
    """Backtest entries where ``rule_text`` holds on ``symbol``'s bars; exit after ``hold_bars``.

    ``direction`` is ``long`` or ``short``; entries fill at the next bar's open, no costs.
    Returns trade statistics of closed trades
    (``win_rate``, ``average_win``, ``average_loss`` in INR per trade, ``n_trades``,
    ``profit_factor``) and ``total_return``, with the provider and the rule.
    """
    from optionsintel.backtest import Bars, ExitRules, run_backtest

    step = progress or (lambda _f, _t: None)
    step(0.1, "evaluating the rule on the bars")
    rule = parse_rule(rule_text)
    entries = evaluate(rule, _panel(bars, symbol)).matches
    step(0.4, f"{int(entries.to_numpy().sum())} entry bars; backtesting (vectorbt)")
    short = direction == "short"
    frames = _panel(bars, symbol)
    result = run_backtest(
        Bars(close=frames["close"], open=frames["open"], high=frames["high"], low=frames["low"]),
        entries, direction="short" if short else "long",
        exit_rules=ExitRules(max_bars=hold_bars), signal_source=rule_text, provider=provider,
    )  # fmt: skip
    step(1.0, "done")
    m = result.metrics
    keys = ("n_trades", "win_rate", "average_win", "average_loss", "profit_factor",
            "total_return")  # fmt: skip
    return {**{k: float(m.get(k, np.nan)) for k in keys}, "direction": "short" if short else
            "long", "provider": provider, "rule": rule_text, "symbol": symbol,
            "hold_bars": hold_bars}  # fmt: skip


def summary_html(s: dict[str, Any]) -> str:
    """Cards of a :func:`backtest_rule` summary (every value escaped)."""
    f = panels.fmt_number
    items = [
        ("Trades", f(s["n_trades"], 0), f"{s['direction']}, exit after {s['hold_bars']} bars"),
        ("Win rate", f(100 * s["win_rate"], 1, "%"), "closed trades"),
        ("Average win", f(s["average_win"], 0, " INR"), "per winning trade"),
        ("Average loss", f(s["average_loss"], 0, " INR"), "per losing trade"),
        ("Profit factor", f(s["profit_factor"], 2), ""),
        ("Total return", f(100 * s["total_return"], 2, "%"), "of starting cash"),
    ]
    head = (f"<p><b>{html.escape(s['symbol'])}</b> · <code>{html.escape(s['rule'])}</code> · "
            f"provider {html.escape(s['provider'])}</p>")  # fmt: skip
    return head + panels.cards(items)


class BacktestPanel(w.VBox):
    """Backtest summary for a chosen pattern or signal (see the module docstring)."""

    rule_text = t.Unicode(SIGNALS["Breakout up, any pattern"])
    hold_bars = t.Int(10)
    direction = t.Unicode("long")
    state = t.Unicode("idle")
    message = t.Unicode("")
    progress = t.Float(0.0)
    summary: t.Dict[str, Any] = t.Dict()

    def __init__(self, bars_for: Any, **kwargs: Any) -> None:
        self._bars_for = bars_for  # () -> (bars, symbol, provider) or None
        self.signal = w.Dropdown(description="Signal", options=list(SIGNALS.items()),
                                 layout=w.Layout(width="auto", max_width="100%"))  # fmt: skip
        self.text = w.Text(layout=w.Layout(width="100%"), continuous_update=False)
        self.hold = w.BoundedIntText(10, min=1, max=250, description="Hold bars",
                                     layout=w.Layout(width="180px"))  # fmt: skip
        self.side = w.ToggleButtons(options=["long", "short"], style={"button_width": "60px"})
        self.run_button = w.Button(description="Run backtest", icon="play", button_style="primary")
        self.bar = w.FloatProgress(0.0, min=0.0, max=1.0, layout=w.Layout(width="98%"))
        self.status, self.result = w.HTML(), w.HTML()
        t.link((self.text, "value"), (self, "rule_text"))
        t.link((self.hold, "value"), (self, "hold_bars"))
        t.link((self.side, "value"), (self, "direction"))
        t.dlink((self, "progress"), (self.bar, "value"))
        self.signal.observe(lambda _c: self._choose(), "value")
        self.run_button.on_click(lambda _b: self.run())
        wrap = w.Layout(flex_flow="row wrap", align_items="center")
        super().__init__([w.HTML("<h4>Backtest a pattern or signal</h4>"),
                          w.HBox([self.signal, self.side, self.hold, self.run_button], layout=wrap),
                          self.text, self.bar, self.status, self.result], **kwargs)  # fmt: skip
        self.text.value = self.signal.value

    def _choose(self) -> None:
        self.rule_text = self.signal.value
        self.direction = "short" if "(short)" in self.signal.label else "long"

    def run(self) -> dict[str, Any] | None:
        """Run the backtest of ``rule_text`` on the chosen symbol (progress while it runs)."""
        got = self._bars_for()
        if got is None:
            self._done("error", "Choose a symbol on the chart first.")
            return None
        bars, symbol, provider = got
        self.state, self.progress, self.run_button.disabled = "running", 0.0, True
        try:
            self.summary = backtest_rule(
                bars, symbol, self.rule_text, hold_bars=self.hold_bars,
                direction=self.direction, provider=provider, progress=self._step,
            )  # fmt: skip
        except (OptionsIntelError, ValueError) as exc:
            self._done("error", str(exc))
            return None
        finally:
            self.run_button.disabled = False
        self.result.value = summary_html(self.summary)
        note = "" if self.summary["n_trades"] else " No trade: the signal never fired."
        self._done("ok", f"Backtest of {symbol} done.{note}")
        return dict(self.summary)

    def _step(self, fraction: float, text: str) -> None:
        self.progress = float(fraction)
        self.status.value = panels.message("info", text)

    def _done(self, state: str, text: str) -> None:
        self.state, self.message = state, text
        self.status.value = panels.message("error" if state == "error" else "info", text)
        if state == "error":
            self.result.value = ""
