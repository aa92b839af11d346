"""Data-quality validations behind the pipeline's asset checks (pure functions).

Each function returns a :class:`CheckOutcome`: whether the data passed, a one-line
description for people, and JSON-safe metadata (counts and a few offending examples)
that the Dagster asset checks show in the UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.calendar import is_market_open
from optionsintel.transforms.ticks import missing_ticks

_EXAMPLES = 5


@dataclass(frozen=True)
class CheckOutcome:
    """Result of one validation: ``passed``, a ``description`` and ``metadata``."""

    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)


def _examples(frame: pd.DataFrame, cols: list[str]) -> list[dict[str, Any]]:
    head = frame.loc[:, cols].head(_EXAMPLES).astype(str)
    return head.to_dict("records")


def check_freshness(
    latest: Any, now: Any, interval_seconds: int, max_lag_intervals: int = 4
) -> CheckOutcome:
    """During the session the newest snapshot is at most ``max_lag_intervals`` old.

    Outside market hours the check passes (nothing is expected).
    """
    now_ts = pd.Timestamp(now)
    if not bool(is_market_open(now_ts)):
        return CheckOutcome(True, "market closed: no freshness requirement", {"now": str(now_ts)})
    limit = pd.Timedelta(seconds=interval_seconds * max_lag_intervals)
    if latest is None or pd.isna(latest):
        return CheckOutcome(False, "market open but no snapshot stored today", {"now": str(now_ts)})
    lag = now_ts - pd.Timestamp(latest)
    meta = {
        "latest": str(latest),
        "lag_seconds": lag.total_seconds(),
        "limit_seconds": limit.total_seconds(),
    }
    ok = lag <= limit
    return CheckOutcome(ok, f"newest snapshot is {lag.total_seconds():.0f}s old", meta)


def check_no_gaps(
    observed: Any, day: Any, interval_seconds: int | None, until: Any = None
) -> CheckOutcome:
    """Every aligned tick of the session (up to ``until``) has a snapshot.

    ``interval_seconds=None`` means the source has no fixed cadence (recorded
    snapshots): the check passes and says so. ``metadata["missing_fraction"]`` lets
    the caller grade a failure (a few missed ticks versus a lost session).
    """
    if interval_seconds is None:
        return CheckOutcome(True, "source has no fixed cadence: gap rule not applicable", {})
    gaps = missing_ticks(observed, day, interval_seconds, until)
    expected = len(missing_ticks([], day, interval_seconds, until))
    meta: dict[str, Any] = {
        "expected_interval_seconds": interval_seconds, "expected_ticks": expected,
        "missing_ticks": len(gaps), "missing_fraction": len(gaps) / expected if expected else 0.0,
        "first_missing": [str(t) for t in gaps[:_EXAMPLES]],
    }  # fmt: skip
    if len(gaps):
        return CheckOutcome(False, f"{len(gaps)} missing {interval_seconds}s ticks", meta)
    return CheckOutcome(True, "no missing ticks", meta)


def check_oi_non_negative(chain: pd.DataFrame) -> CheckOutcome:
    """Open interest is never negative."""
    bad = chain.loc[chain["oi"].to_numpy(dtype=float) < 0]
    meta: dict[str, Any] = {"rows": len(chain), "negative_oi_rows": len(bad)}
    if len(bad):
        meta["examples"] = _examples(bad, ["underlying", "expiry", "strike", "option_type", "oi"])
        return CheckOutcome(False, f"{len(bad)} rows with negative OI", meta)
    return CheckOutcome(True, "no negative OI", meta)


def check_no_crossed_quotes(chain: pd.DataFrame) -> CheckOutcome:
    """No quote has ``bid > ask`` (both sides present and positive)."""
    bid, ask = chain["bid"].to_numpy(dtype=float), chain["ask"].to_numpy(dtype=float)
    crossed = (bid > 0) & (ask > 0) & (bid > ask)
    meta: dict[str, Any] = {"rows": len(chain), "crossed_rows": int(crossed.sum())}
    if crossed.any():
        meta["examples"] = _examples(
            chain.loc[crossed], ["underlying", "expiry", "strike", "option_type", "bid", "ask"]
        )
        return CheckOutcome(False, f"{int(crossed.sum())} crossed quotes (bid > ask)", meta)
    return CheckOutcome(True, "no crossed quotes", meta)


def check_complete_chain(
    chain: pd.DataFrame,
    expected_expiries: dict[str, list[Any]] | None = None,
    window_pct: float = 5.0,
    near_expiries: int = 2,
) -> CheckOutcome:
    """Both sides at near-the-money strikes of the near expiries; every expected expiry present.

    Parameters
    ----------
    chain
        Snapshots to check.
    expected_expiries
        Per underlying, the expiries that must be present (e.g. the calendar's listed
        expiries); None checks only the two-sided strikes.
    window_pct, near_expiries
        Strikes within ``window_pct`` percent of the underlying, in the
        ``near_expiries`` nearest expiries of each snapshot, must be quoted on both
        sides. Elsewhere exchanges omit contracts without quotes (NSE's chain does:
        every recorded real chain is two-sided there but not in far months), so
        one-sided strikes outside that zone are counted in the metadata only.
    """
    keys = ["underlying", "provider", "snapshot_ts", "expiry", "strike"]
    c = chain.assign(
        underlying=chain["underlying"].astype(str), provider=chain["provider"].astype(str)
    )
    g = c.groupby(keys, observed=True)
    sides = g["option_type"].nunique()
    spot = g["underlying_price"].max().to_numpy(dtype=float)
    strikes = sides.index.get_level_values("strike").to_numpy(dtype=float)
    exp_rank = (
        sides.index.to_frame(index=False)
        .groupby(["underlying", "provider", "snapshot_ts"])["expiry"]
        .rank(method="dense")
        .to_numpy()
    )
    near = (np.abs(strikes / spot - 1.0) * 100.0 <= window_pct) & (exp_rank <= near_expiries)
    one_sided = (sides < 2).to_numpy()
    bad = sides[one_sided & near].reset_index()
    meta: dict[str, Any] = {"strikes_checked": len(sides), "near_money_window_pct": window_pct,
                            "near_expiries": near_expiries, "one_sided_near_money": len(bad),
                            "one_sided_far_from_money": int((one_sided & ~near).sum())}  # fmt: skip
    problems = []
    if len(bad):
        meta["examples"] = _examples(bad, ["underlying", "snapshot_ts", "expiry", "strike"])
        problems.append(f"{len(bad)} near-the-money strikes quoted on one side only")
    missing = _missing_expiries(c, expected_expiries or {})
    if missing:
        meta["missing_expiries"] = missing[:_EXAMPLES]
        problems.append(f"{len(missing)} listed expiries missing from snapshots")
    if problems:
        return CheckOutcome(False, "; ".join(problems), meta)
    return CheckOutcome(True, "near-the-money strikes two-sided, listed expiries present", meta)


def _missing_expiries(chain: pd.DataFrame, expected: dict[str, list[Any]]) -> list[str]:
    out = []
    have = chain.groupby(["underlying", "snapshot_ts"], observed=True)["expiry"].unique()
    for (underlying, ts), expiries in have.items():
        want = {pd.Timestamp(e).normalize() for e in expected.get(underlying, [])}
        got = {pd.Timestamp(e).normalize() for e in expiries}
        out += [f"{underlying} {e.date()} at {ts}" for e in sorted(want - got)]
    return out


def check_row_counts(counts: pd.Series, min_rows: int = 1, tolerance: float = 0.5) -> CheckOutcome:
    """Rows per snapshot are at least ``min_rows`` and within ``tolerance`` of their median.

    Parameters
    ----------
    counts
        Rows per snapshot; with a MultiIndex ``(underlying, snapshot_ts)`` each
        underlying is compared with its own median.
    """
    if counts.empty:
        return CheckOutcome(False, "no snapshots stored for the partition", {"snapshots": 0})
    values = counts.to_numpy(dtype=float)
    # Underlyings list different strike ranges: compare each with its own median.
    by = counts.groupby(level=0) if counts.index.nlevels > 1 else counts.groupby(lambda _: 0)
    medians = by.transform("median").to_numpy(dtype=float)
    median = float(np.median(values))
    bad = (values < min_rows) | (np.abs(values - medians) > tolerance * medians)
    meta: dict[str, Any] = {
        "snapshots": len(values), "median_rows": median, "min_rows": float(values.min()),
        "max_rows": float(values.max()), "outliers": int(bad.sum()),
    }  # fmt: skip
    if bad.any():
        meta["examples"] = [str(i) for i in counts.index[bad][:_EXAMPLES]]
        return CheckOutcome(False, f"{int(bad.sum())} snapshots with implausible row counts", meta)
    return CheckOutcome(True, f"{len(values)} snapshots, about {median:.0f} rows each", meta)
