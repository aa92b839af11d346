"""``optionsintel backtest``: run (or sweep) a backtest on stored data, list, show, compare."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import typer

from optionsintel.cli._common import LazyModule, console, friendly_errors, new_table

if TYPE_CHECKING:
    from rich.table import Table
from optionsintel.errors import InvalidArgumentError

bt = LazyModule("optionsintel.services.backtests")
_worker = LazyModule("optionsintel.services.backtest_worker")
_store = LazyModule("optionsintel.store")
_reads = LazyModule("optionsintel.store.reads")

app = typer.Typer(
    help="Backtests of patterns, signals and sweeps on stored data; stored runs.",
    no_args_is_help=True,
)

HEADLINE = (
    "total_return", "annual_return", "sharpe_ratio", "sortino_ratio", "max_drawdown",
    "win_rate", "profit_factor", "n_trades", "exposure", "costs_paid", "final_equity",
)  # fmt: skip


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:,.4f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _source(pattern: str | None, exit_pattern: str | None, signal: str | None,
            min_confidence: float, exit_signal: str | None) -> Any:  # fmt: skip
    if (pattern is None) == (signal is None):
        raise InvalidArgumentError("give exactly one of --pattern PIN or --signal TYPE")
    if pattern is not None:
        return bt.PatternSource(pattern, exit=exit_pattern)
    return bt.SignalSource(signal, min_confidence=min_confidence, exit_signal_type=exit_signal)


def _symbols(store: Any, symbols: str | None, provider: str) -> list[str]:
    if symbols:
        out = [s.strip() for s in symbols.split(",") if s.strip()]
        if out:
            return out
    found = _reads.list_symbols(store, provider=provider)
    if not found:
        raise InvalidArgumentError(f"provider {provider!r} has no daily bars; pass --symbols")
    return list(found)


def _dates(start: str | None, end: str | None) -> tuple[dt.date | None, dt.date | None]:
    """Parse ``--start``/``--end`` (YYYY-MM-DD) into dates, first before last."""
    out: list[dt.date | None] = []
    for flag, value in (("--start", start), ("--end", end)):
        try:
            out.append(None if value is None else dt.date.fromisoformat(value.strip()))
        except ValueError:
            raise InvalidArgumentError(f"{flag} {value!r} is not a date (YYYY-MM-DD)") from None
    first, last = out
    if first is not None and last is not None and first > last:
        raise InvalidArgumentError(f"--start {first} is after --end {last}")
    return first, last


def _settings(opts: dict[str, Any]) -> Any:
    exit_rules = {k: opts[k] for k in ("stop_loss", "target", "trailing_stop", "max_bars")}
    sizing = {"kind": opts["sizing"], "amount": opts["amount"], "fraction": opts["fraction"]}
    brokerage = {"kind": opts["brokerage"], "per_order": opts["per_order"], "rate": opts["rate"]}
    return bt.settings_from_plain({
        "direction": opts["direction"], "exit_rules": exit_rules, "sizing": sizing,
        "segment": None if opts["segment"] == "none" else opts["segment"],
        "brokerage": brokerage, "init_cash": opts["init_cash"], "portfolio": opts["portfolio"],
        "execution": opts["execution"],
    })  # fmt: skip


def _progress_bar() -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                    console=console.real, transient=True)  # fmt: skip


def _metrics_table(title: str, columns: dict[str, dict[str, Any]]) -> Table:
    table = new_table(title=title)
    table.add_column("metric")
    for name in columns:
        table.add_column(name, justify="right")
    names = [m for m in HEADLINE if any(m in c for c in columns.values())]
    for m in names:
        table.add_row(m, *(_fmt(c.get(m)) for c in columns.values()))
    return table


@app.command("run")
@friendly_errors
def run(
    provider: str = typer.Option(..., "--provider", help="The one provider of every row read."),
    pattern: str = typer.Option(None, "--pattern", help="Entry pattern pin, e.g. rsi_dip@3."),
    exit_pattern: str = typer.Option(None, "--exit-pattern", help="Exit pattern pin."),
    signal: str = typer.Option(None, "--signal", help="Entry signal type, e.g. PUT_BUILDUP."),
    min_confidence: float = typer.Option(0.0, "--min-confidence", min=0, max=100),
    exit_signal: str = typer.Option(None, "--exit-signal", help="Exit signal type."),
    symbols: str = typer.Option(None, "--symbols", help="Comma-separated; default: all."),
    start: str = typer.Option(None, "--start", help="First date (YYYY-MM-DD)."),
    end: str = typer.Option(None, "--end", help="Last date (YYYY-MM-DD)."),
    direction: str = typer.Option("long", "--direction", help="long or short."),
    stop_loss: float = typer.Option(None, "--stop-loss", help="Fraction, 0.05 = 5 %."),
    target: float = typer.Option(None, "--target", help="Fraction of the entry price."),
    trailing_stop: float = typer.Option(None, "--trailing-stop", help="Fraction."),
    max_bars: int = typer.Option(None, "--max-bars", min=1, help="Bars in trade at most."),
    sizing: str = typer.Option(
        "fixed_amount", "--sizing", help="fixed_amount, percent_equity or volatility_target."
    ),
    amount: float = typer.Option(100_000.0, "--amount", help="Rupees per entry (fixed)."),
    fraction: float = typer.Option(1.0, "--fraction", help="Fraction of equity (percent)."),
    segment: str = typer.Option(
        "equity_delivery",
        "--segment",
        help="equity_delivery, equity_intraday, futures, options, none.",
    ),
    brokerage: str = typer.Option(
        "flat", "--brokerage", help="flat, percent, percent_capped or zero."
    ),
    per_order: float = typer.Option(20.0, "--per-order", help="Brokerage per order (Rs)."),
    rate: float = typer.Option(0.0003, "--rate", help="Brokerage rate (percent kinds)."),
    init_cash: float = typer.Option(1_000_000.0, "--init-cash"),
    portfolio: str = typer.Option("shared", "--portfolio", help="shared or per_symbol."),
    execution: str = typer.Option("next_open", "--execution", help="next_open or close."),
    benchmark: str = typer.Option(None, "--benchmark", help="Benchmark symbol (same provider)."),
    sweep: list[str] = typer.Option(None, "--sweep", help="Grid item name=v1,v2 (repeatable)."),
    metric: str = typer.Option("sharpe_ratio", "--metric", help="Metric ranking a sweep."),
    name: str = typer.Option(None, "--name", help="A label for the stored run."),
    user: str = typer.Option("cli", "--user", help="Recorded as the run's author."),
    save: bool = typer.Option(True, "--save/--no-save", help="Store the run."),
    worker: bool = typer.Option(
        True,
        "--worker/--no-worker",
        help="Run a stored single backtest in the running backtest worker (`optionsintel up`"
        " starts it) when one answers; otherwise in this process.",
    ),
) -> None:
    """Backtest a saved pattern version or a signal on stored daily bars, and store the run."""
    opts = dict(locals())
    source = _source(pattern, exit_pattern, signal, min_confidence, exit_signal)
    first, last = _dates(start, end)
    settings = _settings(opts)
    grid = bt.parse_grid(sweep) if sweep else None
    store = _store.get_store()
    universe = _symbols(store, symbols, provider)
    common = dict(symbols=universe, provider=provider, start=first, end=last,
                  settings=settings, user=user, name=name, save=save)  # fmt: skip
    with _progress_bar() as bar:
        task = bar.add_task(f"backtest on {len(universe)} symbols ({provider})", total=1.0)
        say = lambda f, msg: bar.update(task, completed=f, description=msg)  # noqa: E731
        run_id = None
        if grid is None and save and worker:
            spec = _worker.BacktestSpec.of(source, benchmark=benchmark,
                                           database=_worker.store_identity(store),
                                           **_spec_args(common))  # fmt: skip
            run_id = _worker.submit(spec, progress=say)
        if run_id is not None:
            result = done = None
        elif grid is None:
            done = bt.run_stored(store, source, benchmark=benchmark, **common, progress=say)
            result = None
        else:
            swept = bt.sweep_stored(store, source, grid, metric=metric, **common,
                                    progress=lambda d, n: bar.update(
                                        task, completed=d / n,
                                        description=f"combination {d}/{n}"))  # fmt: skip
            result, done = swept.sweep, swept.best
            console.print(f"sweep operation {swept.operation.operation_id}: "
                          f"{swept.operation.status}")  # fmt: skip
    if run_id is not None:  # stored by the worker: read back what it stored
        rec = bt.read_run(store, run_id).record
        console.print(f"ran in the backtest worker ({_worker.socket_path()})")
        _print_metrics(run_id, rec.provider, dict(rec.metrics), dict(rec.costs), None)
    else:
        _print_run(done, result)


def _spec_args(common: dict[str, Any]) -> dict[str, Any]:
    """``run``'s common arguments as :meth:`BacktestSpec.of` takes them."""
    keep = ("symbols", "provider", "start", "end", "settings", "user", "name")
    return {k: common[k] for k in keep}


def _print_run(done: Any, sweep: Any) -> None:
    res = done.result
    costs = None if res.costs is None else dict(res.costs.totals)
    _print_metrics(done.run_id, res.inputs.provider, res.metrics.to_dict(), costs, sweep)


def _print_metrics(
    run_id: str | None, provider: str | None, metrics: dict[str, Any], costs: Any, sweep: Any
) -> None:
    title = f"backtest {run_id or '(not stored)'} · {provider}"
    console.print(_metrics_table(title, {"value": metrics}))
    if costs:
        totals = ", ".join(f"{k} {float(v):,.2f}" for k, v in costs.items())
        console.print(f"costs (Rs): {totals}")
    if sweep is not None:
        table = new_table(title=sweep.warning)
        best = sweep.best_table(10)
        for col in best.columns:
            table.add_column(str(col), justify="right")
        for _, row in best.iterrows():
            table.add_row(*(_fmt(v) for v in row.tolist()))
        console.print(table)


@app.command("worker")
@friendly_errors
def worker_(
    socket_file: str = typer.Option(
        None, "--socket", help="Unix socket path (default: backtest-worker.sock in the data home)."
    ),
) -> None:
    """Keep vectorbt and its kernels loaded and run stored backtests handed over by clients."""
    from pathlib import Path

    path = Path(socket_file) if socket_file else _worker.socket_path()
    raise typer.Exit(code=_worker.serve(_store.get_store(), path))


@app.command("list")
@friendly_errors
def list_(
    kind: str = typer.Option(None, "--kind", help="signal or options."),
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
) -> None:
    """Stored runs, newest first."""
    if kind not in (None, "signal", "options"):
        raise InvalidArgumentError("--kind is signal or options")
    runs = bt.list_runs(_store.get_store(), kind=kind, limit=limit)
    table = new_table(title=f"{len(runs)} stored backtest runs")
    cols = ["run_id", "kind", "name", "created_at", "provider", "total_return",
            "sharpe_ratio", "max_drawdown", "n_trades"]  # fmt: skip
    for c in cols:
        table.add_column(c, no_wrap=c == "run_id")
    for _, row in runs.iterrows():
        table.add_row(*(_fmt(row.get(c)) for c in cols))
    console.print(table)


def _header(rec: Any) -> str:
    """``run_id kind · name · by who``; an unnamed run has no empty name slot."""
    parts = (rec.kind, rec.name, f"by {rec.created_by}")
    return f"[bold]{rec.run_id}[/] " + " · ".join(p for p in parts if p)


@app.command("show")
@friendly_errors
def show(
    run_id: str = typer.Argument(..., help="A stored run's id (see `backtest list`)."),
    trades: int = typer.Option(10, "--trades", min=0, help="Trades to print."),
) -> None:
    """One stored run: inputs, metrics, costs and its first trades."""
    rec = bt.read_run(_store.get_store(), run_id).record
    console.print(_header(rec))
    console.print(f"source: {rec.source}  pins: {list(rec.pattern_versions)}")
    more = " ..." if len(rec.universe) > 20 else ""
    console.print(f"universe: {', '.join(rec.universe[:20])}{more}")
    console.print(f"period: {rec.period_start:%Y-%m-%d} .. {rec.period_end:%Y-%m-%d} · provider "
                  f"{rec.provider} · cost table {rec.cost_table_version}")  # fmt: skip
    console.print(_metrics_table("metrics", {"value": dict(rec.metrics)}))
    if rec.costs:
        console.print("costs (Rs): " + ", ".join(f"{k} {_fmt(v)}" for k, v in rec.costs.items()))
    if trades and len(rec.trades):
        console.print(rec.trades.head(trades).to_string(index=False))


@app.command("compare")
@friendly_errors
def compare(
    a: str = typer.Argument(..., help="First run id."),
    b: str = typer.Argument(..., help="Second run id."),
) -> None:
    """Two stored runs side by side: metrics with the difference, and differing inputs."""
    cmp = bt.compare_runs(_store.get_store(), a, b)
    table = new_table(title=f"{a} vs {b}")
    for c in ("metric", a, b, "b - a"):
        table.add_column(c, justify="right")
    for m, row in cmp.metrics.iterrows():
        table.add_row(str(m), *(_fmt(float(v)) for v in row.tolist()))
    console.print(table)
    if len(cmp.inputs):
        diff = new_table(title="inputs that differ")
        for c in ("input", a, b):
            diff.add_column(c)
        for k, row in cmp.inputs.iterrows():
            diff.add_row(str(k), *map(str, row.tolist()))
        console.print(diff)
    else:
        console.print("same inputs")
