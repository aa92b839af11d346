"""Quarantine at the provider boundary: check a :class:`Snapshot` before anything is stored.

:func:`validate_snapshot` is a pure function. It drops the chain rows a store would
reject or should never hold (text or infinity where a number belongs, negative
strikes, prices, quantities or OI, a duplicated contract, an expiry before the day or
beyond the horizon, a timestamp far from now, a leg of another underlying) and refuses
the whole snapshot when it cannot be trusted (its quote is of another underlying, has
an absurd timestamp or a bad value, or every chain row was bad). Every dropped row
comes back with its reason, so the collection tick records it and goes on.

Missing values (NaN, NaT) are allowed outside the contract key: a source that does not
publish a field leaves it empty. Checks apply only to the columns a frame has.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from optionsintel.calendar import calendar_coverage
from optionsintel.frames import CHAIN_KEY
from optionsintel.providers.base import Snapshot
from optionsintel.tz import EXCHANGE_TZ, to_utc

__all__ = [
    "MAX_ABS_VALUE",
    "MAX_AGE",
    "MAX_LEAD",
    "MAX_ROW_AGE",
    "NON_NEGATIVE_COLUMNS",
    "SIGNED_COLUMNS",
    "expiry_horizon",
    "summarise_rejections",
    "validate_snapshot",
]

#: Prices, quantities, OI and IV: never below zero.
NON_NEGATIVE_COLUMNS: tuple[str, ...] = (
    "ltp", "bid", "ask", "bid_qty", "ask_qty", "volume", "oi", "iv", "underlying_price",
    "open", "high", "low", "prev_close",
)  # fmt: skip
#: Changes and greeks: any sign, but finite.
SIGNED_COLUMNS: tuple[str, ...] = ("oi_change", "delta", "gamma", "theta", "vega")
#: No real price, quantity or OI comes near this; 1e308-style values are refused.
MAX_ABS_VALUE = 1e12
#: A quote (the snapshot's instant) older than this is absurd for a live snapshot.
MAX_AGE = pd.Timedelta(days=7)
#: A chain row's own exchange time may be its contract's last trade: an illiquid far
#: strike can be weeks old, so rows only have to be from the last year.
MAX_ROW_AGE = pd.Timedelta(days=366)
#: Source timestamps ahead of ``now`` by more than this (clock skew) are absurd.
MAX_LEAD = pd.Timedelta(minutes=5)
#: NSE lists index options up to five years out (half-yearly long-dated contracts).
_LONGEST_CONTRACT = pd.Timedelta(days=5 * 366 + 62)
_SOURCE_TS = ("exchange_ts", "snapshot_ts")  # ingested_at is our own stamp, not the source's


def expiry_horizon(day: dt.date) -> dt.date:
    """The last expiry accepted on ``day``: the calendar's last covered day or five years on.

    The later of the two, so long-dated contracts NSE lists beyond the holiday
    calendar's coverage are kept while an expiry in 2099 is not.
    """
    far = (pd.Timestamp(day) + _LONGEST_CONTRACT).date()
    return max(calendar_coverage().last_date, far)


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
        The underlying that was asked for; rows of any other are refused.
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
        expiry to a date), or None when the whole snapshot is refused.
    rejected : pandas.DataFrame
        The rejected rows as received, with ``part`` (``"quote"``/``"chain"``) and
        ``reason``; when the snapshot is refused every row is listed with that reason.

    Notes
    -----
    Row checks, first failing reason wins: the row's ``underlying`` is the requested
    one; ``option_type`` is CE or PE; ``strike`` is a number > 0; every numeric field
    is a number (not text), finite and within ``MAX_ABS_VALUE``, and the prices,
    quantities and OI of :data:`NON_NEGATIVE_COLUMNS` are >= 0; ``expiry`` is a date
    not before the snapshot's day (IST) and not after :func:`expiry_horizon`; the
    source timestamps (``exchange_ts``, ``snapshot_ts``) are in the window. Then a contract key
    (underlying, expiry, strike, option_type) seen twice keeps its first good row.
    """
    at = to_utc(now)
    upper = underlying.upper()
    quote, chain = snapshot.quote, snapshot.chain
    window = (at - max_age, at + max_lead)
    quote_reasons, quote_clean = _row_reasons(quote, upper, window, day=None, key=False)
    refusal = _quote_refusal(quote, quote_reasons)
    day = _snapshot_day(quote_clean, at)
    window = (at - max(max_age, MAX_ROW_AGE), at + max_lead)
    chain_reasons, chain_clean = _row_reasons(chain, upper, window, day=day, key=True)
    chain_reasons = _mark_duplicates(chain_clean, chain_reasons)
    if refusal is None and len(chain) and chain_reasons.notna().all():
        refusal = f"every one of the {len(chain)} chain rows was rejected"
    if refusal is not None:
        reason = f"snapshot refused: {refusal}"
        everything = pd.Series(reason, index=chain.index, dtype=object)
        rejected = _rejected(quote, pd.Series(reason, index=quote.index, dtype=object), chain,
                             everything)  # fmt: skip
        return None, rejected
    keep = chain_reasons.isna().to_numpy()
    clean = Snapshot(_keep(quote_clean, quote), _keep(chain_clean.loc[keep], chain))
    return clean, _rejected(quote.iloc[:0], quote_reasons.iloc[:0], chain, chain_reasons)


def summarise_rejections(rejected: pd.DataFrame) -> str:
    """One line counting rejected rows by reason (``"oi is negative (2); ..."``)."""
    if rejected.empty:
        return ""
    counts = rejected["reason"].value_counts(sort=False)
    return "; ".join(f"{reason} ({n})" for reason, n in counts.items())


def _quote_refusal(quote: pd.DataFrame, reasons: pd.Series) -> str | None:
    if len(quote) != 1:
        return f"expected one quote row, got {len(quote)}"
    if reasons.notna().any():
        return f"its quote is bad: {reasons.dropna().iloc[0]}"
    return None


def _snapshot_day(quote: pd.DataFrame, at: pd.Timestamp) -> dt.date:
    """The IST trading day of the snapshot: its source timestamp's, else ``now``'s."""
    for col in _SOURCE_TS:
        if col in quote and len(quote) and pd.notna(quote[col].iloc[0]):
            return pd.Timestamp(quote[col].iloc[0]).tz_convert(EXCHANGE_TZ).date()
    return at.tz_convert(EXCHANGE_TZ).date()


def _row_reasons(
    frame: pd.DataFrame,
    underlying: str,
    window: tuple[pd.Timestamp, pd.Timestamp],
    *,
    day: dt.date | None,
    key: bool,
) -> tuple[pd.Series, pd.DataFrame]:
    """The first failing reason of every row (NaN when good) and the coerced frame."""
    reasons = pd.Series(np.nan, index=frame.index, dtype=object)
    out = frame.copy()

    def flag(mask: pd.Series | np.ndarray, reason: str | pd.Series) -> None:
        mask = np.asarray(mask, dtype=bool) & reasons.isna().to_numpy()
        if isinstance(reason, pd.Series):
            reasons[mask] = reason[mask]
        else:
            reasons[mask] = reason

    if "underlying" in out:
        names = out["underlying"].astype(object)
        other = names.isna() | (names.astype(str).str.upper() != underlying)
        flag(other, "underlying " + names.astype(str) + f" is not the requested {underlying}")
    if key and "option_type" in out:
        flag(~out["option_type"].isin(["CE", "PE"]), "option_type is not CE or PE")
    if key and "strike" in out:
        out["strike"] = _numeric(out["strike"], "strike", flag, required=True)
        flag(out["strike"] <= 0, "strike is not > 0")
    for col in (*NON_NEGATIVE_COLUMNS, *SIGNED_COLUMNS):
        if col in out:
            out[col] = _numeric(out[col], col, flag, required=False)
            if col in NON_NEGATIVE_COLUMNS:
                flag(out[col] < 0, f"{col} is negative")
    if key and "expiry" in out and day is not None:
        out["expiry"] = _expiry(out["expiry"], day, flag)
    for col in _SOURCE_TS:
        if col in out:
            out[col] = _timestamps(out[col], col, window, flag)
    return reasons, out


def _numeric(values: pd.Series, col: str, flag, *, required: bool) -> pd.Series:
    """``values`` as floats; text, infinity and absurd magnitudes are flagged."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        number = pd.to_numeric(values.astype(object), errors="coerce")
        flag(number.isna() & values.notna(), f"{col} is not a number")
    else:
        number = values
    number = number.astype(float)
    if required:
        flag(number.isna(), f"{col} is missing")
    flag(np.isinf(number), f"{col} is not finite")
    flag(number.abs() > MAX_ABS_VALUE, f"{col} is beyond {MAX_ABS_VALUE:g}")
    return number


def _expiry(values: pd.Series, day: dt.date, flag) -> pd.Series:
    expiry = pd.to_datetime(values, errors="coerce")
    if getattr(expiry.dt, "tz", None) is not None:
        expiry = expiry.dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None)
    expiry = expiry.dt.normalize()
    flag(expiry.isna(), "expiry is missing or not a date")
    flag(expiry < pd.Timestamp(day), f"expiry is before the day {day}")
    horizon = expiry_horizon(day)
    flag(expiry > pd.Timestamp(horizon), f"expiry is beyond the horizon {horizon}")
    return expiry


def _timestamps(
    values: pd.Series, col: str, window: tuple[pd.Timestamp, pd.Timestamp], flag
) -> pd.Series:
    """``values`` as aware UTC (naive = IST); absent is allowed, far from now is not."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        stamps = values.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(values):
        stamps = values.dt.tz_localize(EXCHANGE_TZ).dt.tz_convert("UTC")
    else:  # text, numbers, mixed: one by one (only hostile answers get here)
        stamps = pd.Series([_one_timestamp(v) for v in values], index=values.index)
        stamps = pd.to_datetime(stamps, utc=True)
        flag(stamps.isna() & values.notna(), f"{col} is not a timestamp")
    lo, hi = window
    span = f"{lo:%Y-%m-%d %H:%M} to {hi:%Y-%m-%d %H:%M} UTC"
    flag((stamps < lo) | (stamps > hi), f"{col} is outside {span}")
    return stamps


def _one_timestamp(value: object) -> pd.Timestamp | None:
    if value is None or isinstance(value, float | int | np.number) or pd.isna(value):
        return None  # bare numbers are not instants (epoch seconds would read as 1970)
    try:
        return to_utc(value)
    except (ValueError, TypeError, OverflowError):
        return None


def _mark_duplicates(chain: pd.DataFrame, reasons: pd.Series) -> pd.Series:
    """Flag every good row whose contract key a previous good row already has."""
    cols = [c for c in CHAIN_KEY if c in chain]
    if len(cols) < len(CHAIN_KEY):
        return reasons
    good = reasons.isna()
    dup = chain.loc[good, cols].duplicated(keep="first")
    out = reasons.copy()
    out.loc[dup[dup].index] = "duplicated contract (first one kept)"
    return out


def _keep(clean: pd.DataFrame, original: pd.DataFrame) -> pd.DataFrame:
    """The kept rows, their ``attrs`` carried over."""
    out = clean.reset_index(drop=True)
    out.attrs = dict(original.attrs)
    return out


def _rejected(
    quote: pd.DataFrame, quote_reasons: pd.Series, chain: pd.DataFrame, chain_reasons: pd.Series
) -> pd.DataFrame:
    parts = []
    for part, frame, reasons in (("quote", quote, quote_reasons), ("chain", chain, chain_reasons)):
        bad = reasons.notna().to_numpy()
        if bad.any():
            rows = frame.loc[bad].astype(object)
            parts.append(rows.assign(part=part, reason=reasons[bad].to_numpy()))
    if not parts:
        return pd.DataFrame(columns=["part", "reason"])
    return pd.concat(parts, ignore_index=True)
