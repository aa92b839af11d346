"""Rules compiled into columns: one row per (rule, instrument), parameters as arrays.

Validation happens once (:func:`~optionsintel.alerts.rules.parse_rule`); compiling a
list of rules into a :class:`RuleBook` happens once per change of the rule set; the
evaluator then works on the book's columns only, so N rules cost a handful of NumPy
operations per tick instead of N Python calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.alerts.rules import (
    AlertRule,
    OIChangeCondition,
    PatternCondition,
    PriceCondition,
    ScanCondition,
    SignalCondition,
    VolatilityCondition,
    VolumeSpikeCondition,
)
from optionsintel.errors import AlertRuleError
from optionsintel.signals.config import SignalType, Strength
from optionsintel.tz import to_utc

SIGNAL_BITS: dict[str, int] = {s.value: 1 << i for i, s in enumerate(SignalType)}
STRENGTH_RANK: dict[str, int] = {s.value: i for i, s in enumerate(Strength)}
DIRECTIONS = {"up": 1, "down": -1, "either": 0}
DAY_CODES = {"trading_days": 0, "weekdays": 1, "every_day": 2}
#: Placeholder expiry / strike in the OI aggregate keys of coarser scopes.
NO_EXPIRY = pd.Timestamp("1970-01-01")
NO_STRIKE = 0.0


@dataclass(frozen=True)
class RuleBook:
    """Compiled rules.

    Attributes
    ----------
    rules
        The rules, in order; ``rows.rule`` indexes this tuple.
    rows
        One row per (rule, instrument): ``rule``, ``owner``, ``rule_name``,
        ``instrument``, ``type`` and the numeric parameters of every condition type
        (NaN where a parameter does not apply).
    """

    rules: tuple[AlertRule, ...]
    rows: pd.DataFrame
    #: condition type -> (positions in ``rows``, those rows), split once at compile time.
    parts: dict[str, tuple[np.ndarray, pd.DataFrame]]
    #: "owner\x1frule\x1finstrument" of each row, to join stored state without a merge.
    keys: pd.Index

    def __len__(self) -> int:
        return len(self.rows)


def compile_rules(
    rules: Sequence[AlertRule], watchlists: Mapping[tuple[str, str], Sequence[str]] | None = None
) -> RuleBook:
    """Expand rules over their instruments and lay their parameters out as columns.

    Parameters
    ----------
    rules
        Validated rules.
    watchlists
        ``(owner, watchlist name) -> symbols`` for rules that name a watchlist.

    Raises
    ------
    AlertRuleError
        When a rule names a watchlist its owner does not have.
    """
    records: list[dict[str, Any]] = []
    for i, rule in enumerate(rules):
        base = {"rule": i, "owner": rule.owner, "rule_name": rule.name, **_params(rule)}
        for symbol in _instruments(rule, watchlists or {}):
            records.append({**base, "instrument": symbol})
    rows = pd.DataFrame.from_records(records, columns=_COLUMNS)
    rows = rows.astype({c: "float64" for c in _FLOATS} | {"rule": "int64"})
    rows["expiry"] = pd.to_datetime(rows["expiry"])
    for c in _TEXT:  # plain object arrays: to_numpy() per tick is then free
        rows[c] = rows[c].astype(object)
    _precompute(rows)
    rows = rows.reset_index(drop=True)
    kinds = rows["type"].to_numpy()
    parts = {}
    for kind in pd.unique(kinds):
        where = np.flatnonzero(kinds == kind)
        parts[str(kind)] = (where, rows.iloc[where].reset_index(drop=True))
    return RuleBook(tuple(rules), rows, parts, state_keys(rows))


SIDE_CODES = {"CE": 0, "PE": 1, "both": 2}
SCOPE_CODES = {"strike": 0, "expiry": 1, "total": 2}


def _precompute(rows: pd.DataFrame) -> None:
    """Per-row codes the evaluator would otherwise derive on every tick."""
    rows["scope_code"] = rows["scope"].map(SCOPE_CODES).fillna(0).astype("int64")
    rows["side_code"] = rows["side"].map(SIDE_CODES).fillna(0).astype("int64")
    rows["expiry_day"] = rows["expiry"].to_numpy(dtype="datetime64[D]").astype("int64")
    version = rows["version"].fillna(0).astype("int64").astype(str)
    pattern = rows["instrument"] + "\x1f" + rows["pattern"].fillna("") + "\x1f" + version
    scan = rows["instrument"] + "\x1f" + rows["scan_id"].fillna("")
    rows["match_key"] = np.where(rows["type"] == "PATTERN", pattern, scan).astype(object)


def state_keys(frame: pd.DataFrame) -> pd.Index:
    """The join key of (owner, rule_name, instrument) rows."""
    sep = "\x1f"
    joined = frame["owner"].astype(str) + sep + frame["rule_name"].astype(str) + sep
    return pd.Index(joined + frame["instrument"].astype(str))


def _instruments(rule: AlertRule, watchlists: Mapping[tuple[str, str], Sequence[str]]) -> list:
    if rule.symbols:
        return list(rule.symbols)
    key = (rule.owner, str(rule.watchlist))
    if key not in watchlists:
        raise AlertRuleError(
            f"alert rule {rule.name!r} names watchlist {rule.watchlist!r}, which owner "
            f"{rule.owner!r} does not have: create it or list symbols instead"
        )
    return list(dict.fromkeys(watchlists[key]))


_FLOATS = (
    "value", "window_s", "direction", "op", "multiple", "window_n", "signal_mask",
    "min_confidence", "min_strength", "strike", "version", "cooldown_s", "from_s", "until_s",
    "day_code", "expires_ns", "max_per_day", "hysteresis",
)  # fmt: skip
_TEXT = ("owner", "rule_name", "instrument", "type", "sub", "side", "scope", "measure",
         "pattern", "scan_id")  # fmt: skip
_COLUMNS = (
    "rule", "owner", "rule_name", "instrument", "type", "sub", "side", "scope", "measure",
    "expiry", "pattern", "scan_id", *_FLOATS,
)  # fmt: skip


def _seconds(t: Any) -> float:
    return float(t.hour * 3600 + t.minute * 60 + t.second)


def _params(rule: AlertRule) -> dict[str, Any]:
    """The rule's parameters as one flat record of the book's columns."""
    nan = float("nan")
    out: dict[str, Any] = dict.fromkeys(_FLOATS, nan)
    out.update(type=rule.condition.type, sub=None, side=None, scope=None, measure=None)
    out.update(expiry=pd.NaT, pattern=None, scan_id=None)
    out.update(
        cooldown_s=float(rule.cooldown_seconds),
        from_s=_seconds(rule.active_from),
        until_s=_seconds(rule.active_until),
        day_code=float(DAY_CODES[rule.active_days]),
        expires_ns=float(to_utc(rule.expires_at).value) if rule.expires_at else nan,
        max_per_day=float(rule.max_triggers_per_day or nan),
        hysteresis=float(rule.hysteresis),
    )
    out.update(_condition_params(rule.condition))
    return out


def _condition_params(c: Any) -> dict[str, Any]:
    if isinstance(c, PriceCondition):
        return {
            "sub": c.op,
            "value": c.value,
            "window_s": float(c.window_minutes or 0) * 60 or float("nan"),
            "direction": float(DIRECTIONS[c.direction]),
        }
    if isinstance(c, OIChangeCondition):
        return {
            "scope": c.scope,
            "side": c.side,
            "measure": c.measure,
            "value": c.threshold,
            "direction": float(DIRECTIONS[c.direction]),
            "strike": c.strike if c.strike is not None else NO_STRIKE,
            "expiry": pd.Timestamp(c.expiry) if c.expiry is not None else NO_EXPIRY,
        }
    if isinstance(c, VolumeSpikeCondition):
        return {"multiple": c.multiple, "window_n": float(c.window)}
    if isinstance(c, VolatilityCondition):
        return {
            "sub": c.metric,
            "op": 1.0 if c.op == "above" else -1.0,
            "value": c.value,
            "window_s": float(c.window_minutes or 0) * 60 or float("nan"),
        }
    if isinstance(c, SignalCondition):
        mask = sum(SIGNAL_BITS[t.value] for t in c.signal_types) or sum(SIGNAL_BITS.values())
        return {
            "signal_mask": float(mask),
            "min_confidence": c.min_confidence,
            "min_strength": float(STRENGTH_RANK[c.min_strength.value]),
        }
    if isinstance(c, PatternCondition):
        return {"pattern": c.pattern, "version": float(c.version)}
    if isinstance(c, ScanCondition):
        return {"scan_id": c.scan_id}
    raise AlertRuleError(f"unknown condition {type(c).__name__}")  # pragma: no cover


def as_int(values: pd.Series | np.ndarray) -> np.ndarray:
    """Float-coded integer parameters as int64 (NaN -> 0)."""
    return np.nan_to_num(np.asarray(values, dtype="float64"), nan=0.0).astype("int64")
