"""The provider interfaces and their error classes.

Every provider returns the canonical frames of :mod:`optionsintel.frames`, and every
row names the provider that produced it. Providers that simulate time (replay,
synthetic) take a ``clock`` callable returning an aware ``datetime``; live providers
use the wall clock.

Two interfaces:

* :class:`MarketDataProvider` answers "now": quotes, chains, candles and a whole
  :class:`Snapshot` (quote and chain of one underlying) in as few requests as the
  source allows;
* :class:`BackfillSource` serves whole past trading days (:class:`DaySnapshots`) and
  their daily candles; only sources that can serve the past (replay, synthetic) are one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pandas as pd

from optionsintel.errors import (  # re-exported: every provider raises these
    AuthenticationError,
    BlockedError,
    DeadlineExceededError,
    NoDataError,
    ProviderError,
    RedirectLoopError,
    RedirectRefusedError,
    ResponseTooLargeError,
    SchemaDriftError,
    TransientProviderError,
)

__all__ = [
    "AuthenticationError",
    "BackfillSource",
    "BlockedError",
    "Clock",
    "DaySnapshots",
    "DeadlineExceededError",
    "MarketDataProvider",
    "NoDataError",
    "ProviderError",
    "RedirectLoopError",
    "RedirectRefusedError",
    "ResponseTooLargeError",
    "SchemaDriftError",
    "Snapshot",
    "TransientProviderError",
    "snapshot_of",
    "utc_now",
]

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """Wall-clock time as an aware UTC datetime (the default clock)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Snapshot:
    """The quote and the full option chain of one underlying at one instant.

    Attributes
    ----------
    quote
        One-row canonical quote (:data:`~optionsintel.frames.QUOTE_COLUMNS`).
    chain
        Canonical option chain, every listed expiry (:data:`~optionsintel.frames.CHAIN_COLUMNS`).
    """

    quote: pd.DataFrame
    chain: pd.DataFrame

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(quote, chain)``."""
        return (self.quote, self.chain)

    def copy(self) -> Snapshot:
        """A deep copy (frames and their ``attrs``)."""
        return Snapshot(self.quote.copy(), self.chain.copy())


@dataclass
class DaySnapshots:
    """Every snapshot of one trading day from a :class:`BackfillSource`.

    Attributes
    ----------
    quotes, chains
        Canonical quote and chain frames of every snapshot of the day.
    requests
        Units of work behind them (snapshots generated or files read), for the
        source's fetch statistics.
    notes
        Human-readable remarks (e.g. underlyings the source has no data for).
    """

    quotes: pd.DataFrame
    chains: pd.DataFrame
    requests: int
    notes: list[str] = field(default_factory=list)


@runtime_checkable
class MarketDataProvider(Protocol):
    """What every market-data provider offers.

    Methods return canonical frames (:data:`optionsintel.frames.QUOTE_COLUMNS`,
    :data:`~optionsintel.frames.CHAIN_COLUMNS`, :data:`~optionsintel.frames.CANDLE_COLUMNS`).
    """

    name: str

    def get_quote(self, underlying: str) -> pd.DataFrame:
        """Latest quote of one underlying (one row)."""
        ...

    def get_option_chain(self, underlying: str, expiry: dt.date | None = None) -> pd.DataFrame:
        """Latest option chain; all listed expiries when ``expiry`` is None."""
        ...

    def get_candles(
        self, symbol: str, interval: str, start: dt.datetime, end: dt.datetime
    ) -> pd.DataFrame:
        """OHLCV bars of ``interval`` (``1m``, ``3m``, ``15m``, ``1h``, ``1d``) in [start, end]."""
        ...

    def snapshot(self, underlying: str) -> Snapshot:
        """Quote and full chain of ``underlying`` now, in as few requests as the source allows."""
        ...


def snapshot_of(provider: MarketDataProvider, underlying: str) -> Snapshot:
    """A :class:`Snapshot` built from two calls (``get_quote`` then ``get_option_chain``).

    For sources whose chain answer does not carry the underlying's quote.
    """
    return Snapshot(provider.get_quote(underlying), provider.get_option_chain(underlying))


@runtime_checkable
class BackfillSource(Protocol):
    """A source that serves past trading days (replay of recordings, the synthetic market).

    Attributes
    ----------
    name
        Provider name stamped on every row.
    regular_cadence
        True when a day's snapshots lie on the aligned interval grid (synthetic), False
        when they are sparse recordings (replay): gap checks apply only to the former.
    """

    name: str
    regular_cadence: bool

    def day_snapshots(
        self, day: dt.date, underlyings: Sequence[str], interval_seconds: int
    ) -> DaySnapshots:
        """Every snapshot of ``day`` (``interval_seconds`` apart where the source has a grid).

        Raises
        ------
        NoDataError
            If the source has nothing for any of ``underlyings`` that day.
        """
        ...

    def daily_candles(self, underlying: str, day: dt.date) -> pd.DataFrame:
        """The ``1d`` candle of ``day`` (canonical candle frame).

        Raises
        ------
        NoDataError
            If the source has no daily bar of ``underlying`` that day.
        """
        ...
