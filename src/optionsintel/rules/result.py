"""What an evaluation returns: the matches, and why each symbol did or did not match."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optionsintel.errors import RuleDataError

if TYPE_CHECKING:
    from optionsintel.rules.plan import Plan


@dataclass(frozen=True)
class ConditionTrace:
    """One condition at one (bar, symbol): its text, operand values and outcome.

    ``held`` is True, False, or None when a value it needs is missing (unknown).
    """

    path: str
    text: str
    held: bool | None
    values: dict[str, float]
    depth: int


@dataclass
class RuleResult:
    """Matches of a rule over a panel, with per-condition states for explanations."""

    plan: Plan
    index: pd.Index
    columns: pd.Index
    states: dict[str, tuple[np.ndarray, np.ndarray]] = field(repr=False)
    values: dict[Any, Any] = field(repr=False)
    cache_hits: int = 0
    cache_misses: int = 0
    anomaly: np.ndarray | None = field(default=None, repr=False)
    """The panel's DBSCAN anomaly flags (bars x symbols, 1/0/NaN) when it held them."""

    @property
    def matches(self) -> pd.DataFrame:
        """Boolean wide frame (bars x symbols): True where the whole rule holds."""
        held, _ = self.states[self.plan.root]
        return pd.DataFrame(held, index=self.index, columns=self.columns)

    def matching_symbols(self, at: Any = None) -> list[Any]:
        """Symbols matching at bar ``at`` (the last bar when None)."""
        i = self._row(at)
        return list(self.columns[self.states[self.plan.root][0][i]])

    def _row(self, at: Any) -> int:
        if at is None:
            return len(self.index) - 1
        if at not in self.index:
            raise RuleDataError(f"bar {at!r} is not in the evaluated panel")
        return int(self.index.get_loc(at))

    def _col(self, symbol: Any) -> int:
        if symbol not in self.columns:
            raise RuleDataError(f"symbol {symbol!r} is not in the evaluated universe")
        return int(self.columns.get_loc(symbol))

    def explain(self, symbol: Any, at: Any = None) -> list[ConditionTrace]:
        """Every condition of the rule for ``symbol`` at bar ``at``, root first.

        Parameters
        ----------
        symbol
            A column of the panel.
        at
            A bar label; the last bar when None.

        Returns
        -------
        list of ConditionTrace
            Pre-order (root, then each group's members), with the operand values.
        """
        i, j = self._row(at), self._col(symbol)
        traces = []
        for cond in reversed(self.plan.conditions):  # post-order reversed = root first
            held, known = self.states[cond.path]
            h = held[i, j] if held.ndim == 2 else held
            k = known[i, j] if known.ndim == 2 else known
            vals = {self.plan.operands[key].text: self._value(key, i, j) for key in cond.operands}
            state = bool(h) if bool(k) or bool(h) else None
            traces.append(ConditionTrace(cond.path, cond.text, state, vals, cond.path.count(".")))
        return sorted(traces, key=lambda t: _order(t.path))

    def _value(self, key: Any, i: int, j: int) -> float:
        v = self.values[key]
        return float(v[i, j]) if np.ndim(v) == 2 else float(v)

    def why_not(self, symbol: Any, at: Any = None) -> list[ConditionTrace]:
        """The leaf conditions that failed (False) or could not be decided (None).

        Empty when the rule matched ``symbol`` at ``at``.
        """
        traces = self.explain(symbol, at)
        if traces[0].held:
            return []
        leaves = {c.path for c in self.plan.conditions if not c.children}
        return [t for t in traces if t.path in leaves and t.held is not True]

    def explanations(self, at: Any = None) -> pd.DataFrame:
        """One row per (matching symbol, condition) at bar ``at`` (last bar when None).

        Columns: ``symbol, bar, path, condition, held, values`` and ``anomaly``: True
        where the match is a DBSCAN anomaly among its peers (the panel's ``anomaly``
        labels), None when the panel carried no labels.
        """
        i = self._row(at)
        bar = self.index[i]
        rows = [
            {
                "symbol": s,
                "bar": bar,
                "path": t.path,
                "condition": t.text,
                "held": t.held,
                "values": t.values,
                "anomaly": self._anomalous(i, s),
            }
            for s in self.matching_symbols(at)
            for t in self.explain(s, at)
        ]
        cols = ["symbol", "bar", "path", "condition", "held", "values", "anomaly"]
        return pd.DataFrame(rows, columns=cols)

    def _anomalous(self, i: int, symbol: Any) -> bool | None:
        if self.anomaly is None:
            return None
        flag = self.anomaly[i, self._col(symbol)]
        return None if np.isnan(flag) else bool(flag > 0.5)


def _order(path: str) -> tuple[Any, ...]:
    """Sort key putting a group before its members, members in their order."""
    parts: list[Any] = []
    for piece in path.replace("]", "").split("."):
        name, _, idx = piece.partition("[")
        parts.extend([name, int(idx) if idx else -1])
    return tuple(parts)
