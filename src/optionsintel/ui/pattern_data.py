"""The pattern builder's data access: use cases of :mod:`optionsintel.services.patterns`.

The builder receives a :class:`PatternSource` of plain callables (bound to a store by
:func:`pattern_source`), so tests inject their own and no SQL lives in widget code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from optionsintel.rules import Rule
from optionsintel.services import patterns as svc
from optionsintel.store import Store, reads
from optionsintel.ui.data import DashboardDataError


@dataclass(frozen=True)
class PatternSource:
    """What the builder may ask for, each a callable (see :func:`pattern_source`)."""

    providers: Callable[[], list[str]]
    """Providers with stored daily bars (one is chosen per preview; never mixed)."""
    symbols: Callable[[str], list[str]]
    """Symbols with daily bars of a provider."""
    evaluate: Callable[..., svc.PatternEvaluation]
    """``(rule, provider=, symbols=, progress=)`` -> the evaluation at the newest bar."""
    save: Callable[..., svc.SavedPattern]
    """``(pattern_id, rule, user=, name=, note=)`` -> the saved (or unchanged) version."""
    patterns: Callable[[], list[svc.PatternHead]]
    versions: Callable[[str], list[svc.PatternVersion]]
    load: Callable[[str], tuple[svc.PatternVersion, Rule]]
    """A pin ``pattern_id@version`` -> the version and its rule."""
    diff: Callable[[str, int, int], svc.RuleDiff]
    history: Callable[[str, str], pd.DataFrame] | None = None
    """``(provider, symbol)`` -> that symbol's daily bars from that provider (the canvas)."""


def daily_providers(store: Store) -> list[str]:
    """Providers with stored daily bars, the one covering most symbols first (the default)."""
    found = reads.list_providers(store, "daily_ohlc")
    size = {p: len(reads.list_symbols(store, provider=p)) for p in found}
    return sorted(found, key=lambda p: (-size[p], p))


def daily_bars(store: Store, provider: str, symbol: str) -> pd.DataFrame:
    """One symbol's daily ``open high low close volume`` from one provider (date index).

    Raises
    ------
    DashboardDataError
        The provider has no daily bar of ``symbol``.
    """
    raw = reads.read_daily_ohlc(store, provider=provider, symbols=symbol)
    if raw.empty:
        raise DashboardDataError(f"no daily bars of {symbol} from {provider}")
    bars = raw.set_index(pd.DatetimeIndex(pd.to_datetime(raw["trade_date"]), name="date"))
    return bars[["open", "high", "low", "close", "volume"]].astype(float).sort_index()


def pattern_source(store: Store) -> PatternSource:
    """Bind the builder's data functions to ``store``."""

    def evaluate(
        rule: Any, *, provider: str, symbols: Sequence[str] | None = None, progress: Any = None
    ) -> svc.PatternEvaluation:
        return svc.evaluate_pattern(
            store,
            rule,
            provider=provider,
            symbols=symbols,
            progress=progress,
            flag_anomalies=True,
        )

    return PatternSource(
        providers=lambda: daily_providers(store),
        symbols=lambda p: sorted(reads.list_symbols(store, provider=p)),
        evaluate=evaluate,
        save=lambda pid, rule, **kw: svc.save_pattern(store, pid, rule, **kw),
        patterns=lambda: svc.list_patterns(store),
        versions=lambda pid: svc.version_history(store, pid),
        load=lambda pin: svc.load_pinned(store, pin),
        diff=lambda pid, a, b: svc.diff_versions(store, pid, a, b),
        history=lambda p, s: daily_bars(store, p, s),
    )
