"""The provider interface and its error classes.

Every provider returns the canonical frames of :mod:`optionsintel.frames`, and every
row names the provider that produced it. Providers that simulate time (replay,
synthetic) take a ``clock`` callable returning an aware ``datetime``; live providers
use the wall clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import pandas as pd

from optionsintel.errors import OptionsIntelError

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """Wall-clock time as an aware UTC datetime (the default clock)."""
    return dt.datetime.now(dt.UTC)


class ProviderError(OptionsIntelError):
    """Base class of provider failures."""

    provider: str = "unknown"

    def __init__(self, message: str, *, provider: str | None = None) -> None:
        super().__init__(message)
        if provider is not None:
            self.provider = provider


class TransientProviderError(ProviderError):
    """A failure worth retrying: timeout, 5xx, 429, connection reset."""

    def __init__(
        self, message: str, *, provider: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, provider=provider)
        self.retry_after = retry_after


class AuthenticationError(ProviderError):
    """Credentials or session were rejected and could not be renewed."""


class SchemaDriftError(ProviderError):
    """The response no longer has the shape the parser knows; lists what is missing."""

    def __init__(
        self, missing: list[str], *, provider: str | None = None, context: str = ""
    ) -> None:
        where = f" in {context}" if context else ""
        super().__init__(f"response is missing keys{where}: {missing}", provider=provider)
        self.missing = missing


class BlockedError(ProviderError):
    """The provider answered with an HTML block/challenge page instead of data."""


class NoDataError(ProviderError):
    """The provider has no data for the request (unknown symbol, date not recorded...)."""


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
