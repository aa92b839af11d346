"""The backtest app's walk-forward panel: train on a window, test on the next, roll.

The panel reads the source, universe, period, settings, sweep grid and ranking metric
from the app's :class:`~optionsintel.ui.backtest_form.BacktestForm`; each window picks
the grid's best combination in-sample and runs it out of sample
(:func:`optionsintel.services.backtests.walk_forward_stored`). Results: the in- vs
out-of-sample metrics side by side, one row per window, and a chart of the ranking
metric per window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from optionsintel.ui import backtest_views as views
from optionsintel.ui.backtest_data import BacktestServices
from optionsintel.ui.backtest_form import BacktestForm

REPORTED = ("total_return", "sharpe_ratio", "max_drawdown", "n_trades")


class WalkForwardPanel(w.VBox):
    """Window lengths, the Walk-forward button and its tables (see the module docstring)."""

    def __init__(
        self,
        form: BacktestForm,
        services: BacktestServices,
        progress: Callable[[float, str], None],
        **kwargs: Any,
    ) -> None:
        self.form, self.services, self._progress = form, services, progress
        self.result: Any = None
        self.train = w.BoundedIntText(120, min=2, max=100_000, description="Train bars")
        self.test = w.BoundedIntText(40, min=1, max=100_000, description="Test bars")
        hint = "bars between windows (0: the test length)"
        self.step = w.BoundedIntText(0, min=0, max=100_000, description="Roll by", tooltip=hint)
        self.button = w.Button(description="Walk-forward", icon="forward")
        self.view = w.HTML()
        wrap = w.Layout(flex_flow="row wrap", align_items="center")
        row = w.HBox([self.train, self.test, self.step, self.button], layout=wrap)
        super().__init__([row, self.view], **kwargs)

    def reset(self) -> None:
        """No result shown; default window lengths."""
        self.result = None
        self.train.value, self.test.value, self.step.value = 120, 40, 0
        self.view.value = ""

    def run(self) -> tuple[str, Any]:
        """Run the walk-forward of the form's grid; (status line, metric chart).

        Raises
        ------
        OptionsIntelError
            Bad form input, a window that does not fit the bars, no finite metric.
        """
        args = self.form.arguments()
        grid = self.form.grid()
        metric = self.form.metric.value
        args.pop("benchmark")
        source = args.pop("source")
        report = tuple(dict.fromkeys((metric, *REPORTED)))
        res = self.services.walk_forward(
            source, grid, train_bars=self.train.value, test_bars=self.test.value,
            step=self.step.value or None, metric=metric, report=report,
            progress=lambda d, n: self._progress(d / n, f"walk-forward backtest {d}/{n}"),
            **args,
        )  # fmt: skip
        self.result = res
        side = res.side_by_side()
        self.view.value = views.walk_forward_html(side, res.windows, res.n_combinations, metric)
        n = len(res.windows)
        line = (
            f"walk-forward: {n} window{'s' if n != 1 else ''}, best of {res.n_combinations} "
            f"combinations in-sample; mean {metric} in-sample "
            f"{views.fmt(metric, side.loc[metric, 'in_sample'])}, out-of-sample "
            f"{views.fmt(metric, side.loc[metric, 'out_of_sample'])}"
        )
        return line, views.walk_forward_figure(res.windows, metric)
