"""The backtest app's form: source, universe, period, exits, sizing, costs and sweep grid.

:meth:`BacktestForm.arguments` turns the widgets into the keyword arguments of
:func:`optionsintel.services.backtests.run_stored`; bad input raises an
:class:`~optionsintel.errors.OptionsIntelError` with a one-line message for the app.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from optionsintel.errors import InvalidArgumentError
from optionsintel.services import backtests as bt
from optionsintel.signals import SignalType
from optionsintel.ui import theme
from optionsintel.ui.backtest_data import BacktestServices

NONE = ("(none)", "")
METRICS = ("sharpe_ratio", "total_return", "sortino_ratio", "calmar_ratio", "max_drawdown",
           "profit_factor", "expectancy", "win_rate")  # fmt: skip
_WIDE = w.Layout(width="auto", min_width="220px")


def _num(description: str, value: float = 0.0, step: float = 0.01) -> w.BoundedFloatText:
    # the label as wide as its text: the default 80 px cut 'Per order (Rs)' to 'Per order …'
    return w.BoundedFloatText(value, min=0.0, max=1e12, step=step, description=description,
                              layout=_WIDE, style={"description_width": "initial"})  # fmt: skip


class BacktestForm(w.VBox):
    """The inputs of a backtest (see the module docstring)."""

    def __init__(self, services: BacktestServices, **kwargs: Any) -> None:
        self.services = services
        self.kind = w.ToggleButtons(options=["Pattern", "Signal"], description="Source")
        self.pattern, self.exit_pattern = (
            w.Dropdown(description="Entry"),
            w.Dropdown(description="Exit pattern"),
        )
        signals = [s.value for s in SignalType]
        self.signal = w.Dropdown(options=signals, description="Signal")
        self.min_conf = w.FloatSlider(60.0, min=0, max=100, step=5, description="Min conf.")
        self.exit_signal = w.Dropdown(options=[NONE, *[(s, s) for s in signals]],
                                      description="Exit signal")  # fmt: skip
        self.provider = w.Dropdown(description="Data", layout=_WIDE)
        self.provider.observe(lambda _c: self._load_symbols(), "value")
        self.universe = w.SelectMultiple(description="Universe", rows=6, layout=_WIDE)
        self.benchmark = w.Dropdown(description="Benchmark", layout=_WIDE)
        self.start, self.end = w.DatePicker(description="From"), w.DatePicker(description="To")
        self.direction = w.Dropdown(options=["long", "short"], description="Direction")
        self.stop_loss, self.target = _num("Stop loss"), _num("Target")
        self.trailing = _num("Trailing stop")
        self.max_bars = w.BoundedIntText(0, min=0, max=10_000, description="Max bars")
        self.sizing = w.Dropdown(options=["fixed_amount", "percent_equity", "volatility_target"],
                                 description="Sizing")  # fmt: skip
        self.amount = _num("Amount (Rs)", 100_000.0, 1000.0)
        self.fraction = _num("Fraction", 0.1, 0.05)
        self.segment = w.Dropdown(options=["equity_delivery", "equity_intraday", "futures",
                                           "options", "none"], description="Costs")  # fmt: skip
        self.brokerage = w.Dropdown(options=["flat", "percent_capped", "percent", "zero"],
                                    description="Brokerage")  # fmt: skip
        self.per_order = _num("Per order (Rs)", 20.0, 1.0)
        self.init_cash = _num("Cash (Rs)", 1_000_000.0, 10_000.0)
        self.portfolio = w.Dropdown(options=["shared", "per_symbol"], description="Portfolio")
        example = "stop_loss=0.03,0.05,0.08; max_bars=5,10,20"
        self.grid_text = w.Text(description="Sweep grid", placeholder=example,
                                layout=w.Layout(width="100%"))  # fmt: skip
        self.metric = w.Dropdown(options=METRICS, description="Rank by")
        self.kind.observe(lambda _c: self._show_source(), "value")
        self.source_box = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        super().__init__(self._rows(), **kwargs)

    def _rows(self) -> list[w.Widget]:
        wrap = w.Layout(flex_flow="row wrap", align_items="center")
        return [
            self.kind,
            self.source_box,
            w.HBox([self.provider, self.universe, self.benchmark], layout=wrap),
            w.HBox([self.start, self.end, self.direction, self.portfolio], layout=wrap),
            w.HBox([self.stop_loss, self.target, self.trailing, self.max_bars], layout=wrap),
            w.HBox([self.sizing, self.amount, self.fraction, self.init_cash], layout=wrap),
            w.HBox([self.segment, self.brokerage, self.per_order], layout=wrap),
            w.HBox([self.grid_text], layout=wrap),
            w.HBox([self.metric], layout=wrap),
        ]

    def _show_source(self) -> None:
        if self.kind.value == "Pattern":
            self.source_box.children = [self.pattern, self.exit_pattern]
        else:
            self.source_box.children = [self.signal, self.min_conf, self.exit_signal]

    def _load_symbols(self) -> None:
        provider = self.provider.value or ""
        symbols = self.services.symbols(provider) if provider else []
        self.universe.options = symbols
        first = theme.pick_default(symbols)  # the viewer's default underlying leads
        picked = [first] if first else []
        self.universe.value = tuple(picked + [s for s in symbols if s != first][: 10 - len(picked)])
        self.benchmark.options = [NONE, *[(s, s) for s in symbols]]
        self.benchmark.value = ""

    def reset(self) -> None:
        """Defaults, and the providers, symbols and pattern versions reloaded."""
        pins = self.services.pins()
        self.pattern.options = pins
        self.pattern.value = pins[0] if pins else None
        self.exit_pattern.options = [NONE, *[(p, p) for p in pins]]
        self.exit_pattern.value = ""
        self.kind.value = "Pattern" if pins else "Signal"
        providers = self.services.providers()
        self.provider.options = providers
        self.provider.value = providers[0] if providers else None
        self._load_symbols()
        self.start.value = self.end.value = None
        self.exit_signal.value = ""
        for box in (self.stop_loss, self.target, self.trailing):
            box.value = 0.0
        self.max_bars.value, self.grid_text.value = 0, ""
        self._show_source()

    def source(self) -> Any:
        """The chosen source (a pattern version pin, or a signal with its minimum)."""
        if self.kind.value == "Pattern":
            if not self.pattern.value:
                raise InvalidArgumentError("no saved pattern version: save one in the builder")
            return bt.PatternSource(self.pattern.value, exit=self.exit_pattern.value or None)
        return bt.SignalSource(self.signal.value, min_confidence=self.min_conf.value,
                               exit_signal_type=self.exit_signal.value or None)  # fmt: skip

    def arguments(self) -> dict[str, Any]:
        """Keyword arguments of ``run_stored`` (and ``source``)."""
        if not self.provider.value:
            raise InvalidArgumentError("no provider has daily bars: load data first")
        if not self.universe.value:
            raise InvalidArgumentError("choose at least one symbol of the universe")
        opt = lambda box: box.value or None  # noqa: E731 - 0 means "not used"
        settings = bt.settings_from_plain({
            "direction": self.direction.value,
            "exit_rules": {"stop_loss": opt(self.stop_loss), "target": opt(self.target),
                           "trailing_stop": opt(self.trailing), "max_bars": opt(self.max_bars)},
            "sizing": {"kind": self.sizing.value, "amount": self.amount.value,
                       "fraction": self.fraction.value},
            "segment": None if self.segment.value == "none" else self.segment.value,
            "brokerage": {"kind": self.brokerage.value, "per_order": self.per_order.value},
            "init_cash": self.init_cash.value, "portfolio": self.portfolio.value,
        })  # fmt: skip
        return {
            "source": self.source(),
            "symbols": list(self.universe.value),
            "provider": self.provider.value,
            "start": self.start.value,
            "end": self.end.value,
            "settings": settings,
            "benchmark": self.benchmark.value or None,
        }

    def grid(self) -> dict[str, list[Any]]:
        """The sweep grid typed as ``name=v1,v2; name=...``."""
        items = [p.strip() for p in self.grid_text.value.split(";") if p.strip()]
        if not items:
            raise InvalidArgumentError("type a sweep grid, e.g. stop_loss=0.03,0.05; max_bars=5,10")
        return bt.parse_grid(items)
