"""Exception hierarchy of optionsintel.

Every error a user can meet says what was wrong and what to do about it. Catch
:class:`OptionsIntelError` to handle anything raised deliberately by the library.
"""

from __future__ import annotations


class OptionsIntelError(Exception):
    """Base class of every deliberate optionsintel error."""


class ConfigurationError(OptionsIntelError):
    """A setting is missing or malformed."""


class StoreError(OptionsIntelError):
    """Base class of database errors."""


class DatabaseUnreachableError(StoreError):
    """The configured PostgreSQL server cannot be reached."""


class StoreWriteError(StoreError):
    """The database rejected a write (constraint violation, wrong type...); nothing was kept."""


class SchemaOutdatedError(StoreError):
    """The database schema is behind (or ahead of) the code's migrations."""


class EmbeddedDatabaseError(StoreError):
    """The embedded PostgreSQL could not be started (locked or damaged data directory)."""


class FrameValidationError(OptionsIntelError):
    """A DataFrame handed to the library does not have the required shape."""


class CalendarError(OptionsIntelError):
    """A date lies outside the calendar's coverage or a rule cannot be applied."""


class DuplicateRecordError(StoreWriteError):
    """An insert-only (append) write met a natural key that is already stored.

    Immutable records (audit log, notification attempts, pattern versions, backtest runs)
    are never updated: nothing of the write was stored. ``table`` names the table and
    ``keys`` lists (some of) the already-stored natural keys as column -> value dicts.
    """

    def __init__(self, message: str, *, table: str, keys: list[dict[str, object]]) -> None:
        super().__init__(message)
        self.table = table
        self.keys = keys


class RecordNotFoundError(StoreError):
    """A state transition named a natural key that no stored row has."""


class InvalidStateError(StoreError):
    """A state transition or claim named a state column or value the schema does not allow."""


class StrategyError(OptionsIntelError, ValueError):
    """An options strategy or one of its legs is invalid (side, lots, strike, expiry, IV...)."""


class LegQuoteError(StrategyError):
    """A leg's premium or implied volatility cannot be taken from the chain given."""


class ExchangeError(OptionsIntelError):
    """Base class of export and import errors (see :mod:`optionsintel.exchange`)."""


class ExportError(ExchangeError):
    """An export cannot be written (unknown format, bad compression, a sheet too large...)."""


class ImportFileError(ExchangeError):
    """A file offered for import is unreadable or hostile and was refused before parsing.

    Wrong encoding, too large, a decompression bomb, malformed Excel, nesting too deep, a
    formula: nothing of the file was stored.
    """


class ImportValidationError(ExchangeError):
    """Rows of an import failed validation; nothing was stored.

    ``report`` is the :class:`optionsintel.exchange.validate.ValidationReport` listing every
    error by row and column.
    """

    def __init__(self, message: str, *, report: object) -> None:
        super().__init__(message)
        self.report = report


class ProviderNameError(ExchangeError):
    """An import's provider name is malformed, built in, or already used by other data."""
