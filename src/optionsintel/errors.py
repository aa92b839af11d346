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


class BacktestError(OptionsIntelError):
    """A backtest's inputs are inconsistent (misaligned frames, unknown option, empty data)."""


class CostTableError(BacktestError):
    """A cost table is malformed, or a fill is dated where the table has no rate."""
