"""Quarantine at the provider boundary: check a :class:`Snapshot` before anything is stored.

:func:`validate_snapshot` is a pure function. The row rules (numbers, signs, magnitudes,
dates, instants, the underlying, repeated contracts) and their constants are
:mod:`optionsintel.validation`'s, run on the quote and the chain by
:func:`~optionsintel.validation.validate_market_frame`. This module adds only what is
about the snapshot as a whole: the window of sane source timestamps around the
collection instant (narrow for the quote, a year for chain rows), the snapshot's trading
day (no expired contract), and refusing the whole snapshot when it cannot be trusted
(its quote is missing, of another underlying, has an absurd timestamp or a bad value, or
every chain row was bad). Every dropped row comes back with its reason, so the
collection tick records it and goes on.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from optionsintel.providers.base import Snapshot
from optionsintel.tz import EXCHANGE_TZ, to_utc
from optionsintel.validation import MAX_ABS_VALUE, expiry_horizon, validate_market_frame

__all__ = [
    "MAX_ABS_VALUE",
    "MAX_AGE",
    "MAX_LEAD",
    "MAX_ROW_AGE",
    "expiry_horizon",
    "summarise_rejections",
    "validate_snapshot",
]

#: A quote (the snapshot's instant) older than this is absurd for a live snapshot.
MAX_AGE = pd.Timedelta(days=7)
#: A chain row's own exchange time may be its contract's last trade: an illiquid far
#: strike can be weeks old, so rows only have to be from the last year.
MAX_ROW_AGE = pd.Timedelta(days=366)
#: Source timestamps ahead of ``now`` by more than this (clock skew) are absurd.
MAX_LEAD = pd.Timedelta(minutes=5)
_SOURCE_TS = ("exchange_ts", "snapshot_ts")  # ingested_at is our own stamp, not the source's


def validate_snapshot(
    snapshot: Snapshot,
    *,
    underlying: str,
    now: pd.Timestamp | dt.datetime,
    max_age: pd.Timedelta = MAX_AGE,
    max_lead: pd.Timedelta = MAX_LEAD,
) -> tuple[Snapshot | None, pd.DataFrame]:
    """Split a provider's snapshot into what may be stored and what is quarantined.

    Parameters
    ----------
    snapshot
        The provider's answer (canonical quote and chain frames).
    underlying
        The underlying that was asked for (any case); rows of any other are refused.
    now
        The collection instant (aware, or naive IST); the quote's source timestamps
        must lie in ``[now - max_age, now + max_lead]``, the chain rows' in
        ``[now - MAX_ROW_AGE, now + max_lead]``.
    max_age, max_lead
        The window of sane quote timestamps around ``now``.

    Returns
    -------
    clean : Snapshot or None
        The snapshot without the rejected chain rows (numbers coerced to floats, the
        expiry to a date, instants to UTC), or None when the whole snapshot is refused.
    rejected : pandas.DataFrame
        The rejected rows as received, with ``part`` (``"quote"``/``"chain"``) and
        ``reason``; when the snapshot is refused every row is listed with that reason.

    Notes
    -----
    The rows are checked by :func:`~optionsintel.validation.validate_market_frame`
    (every failing rule is named, ``"; "``-separated), with the windows above and, for
    the chain, the snapshot's trading day: the IST day of the quote's source timestamp,
    else of ``now``; an expiry before it is refused, and the expiry horizon
    (:func:`~optionsintel.validation.expiry_horizon`) counts from it. A contract repeated
    identically keeps its first copy; repeated with different values, every copy goes.
    """
    at = to_utc(now)
    upper = underlying.upper()
    quote, chain = snapshot.quote, snapshot.chain
    quote_check = validate_market_frame(
        quote, "quote", symbol=upper, window=(at - max_age, at + max_lead), partial=True
    )
    refusal = _quote_refusal(quote, quote_check.rejected)
    chain_check = validate_market_frame(
        chain,
        "chain",
        symbol=upper,
        window=(at - max(max_age, MAX_ROW_AGE), at + max_lead),
        trading_day=_snapshot_day(quote_check.clean, at),
        partial=True,
    )
    if refusal is None and len(chain) and chain_check.clean.empty:
        refusal = f"every one of the {len(chain)} chain rows was rejected"
    if refusal is not None:
        reason = f"snapshot refused: {refusal}"
        return None, _rejected(quote.assign(reason=reason), chain.assign(reason=reason))
    clean = Snapshot(_keep(quote_check.clean, quote), _keep(chain_check.clean, chain))
    return clean, _rejected(quote.iloc[:0].assign(reason=""), chain_check.rejected)


def summarise_rejections(rejected: pd.DataFrame) -> str:
    """One line counting rejected rows by reason (``"oi is negative (2); ..."``)."""
    if rejected.empty:
        return ""
    counts = rejected["reason"].value_counts(sort=False)
    return "; ".join(f"{reason} ({n})" for reason, n in counts.items())


def _quote_refusal(quote: pd.DataFrame, rejected: pd.DataFrame) -> str | None:
    if len(quote) != 1:
        return f"expected one quote row, got {len(quote)}"
    if len(rejected):
        return f"its quote is bad: {rejected['reason'].iloc[0]}"
    return None


def _snapshot_day(quote: pd.DataFrame, at: pd.Timestamp) -> dt.date:
    """The IST trading day of the snapshot: its source timestamp's, else ``now``'s."""
    for col in _SOURCE_TS:
        if col in quote and len(quote) and pd.notna(quote[col].iloc[0]):
            return pd.Timestamp(quote[col].iloc[0]).tz_convert(EXCHANGE_TZ).date()
    return at.tz_convert(EXCHANGE_TZ).date()


def _keep(clean: pd.DataFrame, original: pd.DataFrame) -> pd.DataFrame:
    """The kept rows, their ``attrs`` carried over."""
    out = clean.reset_index(drop=True)
    out.attrs = dict(original.attrs)
    return out


def _rejected(quote: pd.DataFrame, chain: pd.DataFrame) -> pd.DataFrame:
    """Both parts' rejected rows (each with ``reason``), as objects, tagged with ``part``."""
    parts = [
        rows.drop(columns="reason")
        .astype(object)
        .assign(part=part, reason=rows["reason"].to_numpy())
        for part, rows in (("quote", quote), ("chain", chain))
        if len(rows)
    ]
    if not parts:
        return pd.DataFrame(columns=["part", "reason"])
    return pd.concat(parts, ignore_index=True)
