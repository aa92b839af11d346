"""Exception hierarchy of optionsintel.

Every error a user can meet says what was wrong and what to do about it. Catch
:class:`OptionsIntelError` to handle anything raised deliberately by the library.
"""

from __future__ import annotations


class OptionsIntelError(Exception):
    """Base class of every deliberate optionsintel error."""


class ConfigurationError(OptionsIntelError):
    """A setting is missing or malformed."""


class InvalidArgumentError(OptionsIntelError):
    """A value typed by the user (a command-line argument or option) is malformed."""


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


class PatternNotFoundError(RecordNotFoundError):
    """No stored custom pattern (or no such version of it) has the id or pin asked for."""


class PatternConflictError(StoreWriteError):
    """A concurrent save moved a pattern's head first; nothing was stored: reload and save again."""


class InvalidStateError(StoreError):
    """A state transition or claim named a state column or value the schema does not allow."""


class StrategyError(OptionsIntelError, ValueError):
    """An options strategy or one of its legs is invalid (side, lots, strike, expiry, IV...)."""


class LegQuoteError(StrategyError):
    """A leg's premium or implied volatility cannot be taken from the chain given."""


class RuleError(OptionsIntelError):
    """Base class of errors of the custom-pattern rule language (:mod:`optionsintel.rules`)."""


class RuleValidationError(RuleError, ValueError):
    """A rule (JSON tree or text) is not valid; ``errors`` lists every ``(path, message)``.

    ``path`` names the offending node, e.g. ``condition.conditions[2].left.params.window``.
    """

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = list(errors)
        shown = "; ".join(f"{path or '<rule>'}: {msg}" for path, msg in self.errors[:5])
        more = f" (+{len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(f"invalid rule: {shown}{more}")


class RuleSyntaxError(RuleValidationError):
    """Rule text does not parse; carries the ``line``, ``column`` and ``expected`` tokens."""

    def __init__(self, message: str, line: int, column: int, expected: list[str]) -> None:
        self.line, self.column, self.expected = line, column, sorted(expected)
        hint = f"; expected one of: {', '.join(self.expected)}" if self.expected else ""
        super().__init__([(f"line {line}, column {column}", message + hint)])


class RuleDataError(RuleError):
    """A rule needs a dataset that the panel handed to the evaluator does not contain."""
