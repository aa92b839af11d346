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


class AlertRuleError(OptionsIntelError, ValueError):
    """An alert rule is invalid (unknown type, missing threshold, bad channel or schedule)."""


class DeliveryError(OptionsIntelError):
    """A notification could not be delivered over a channel.

    Messages never contain a secret (SMTP password, webhook secret, bot token, API key).
    """


class PermanentDeliveryError(DeliveryError):
    """Delivery failed in a way retrying cannot fix (HTTP 4xx other than 408/429, bad address)."""


class TransientDeliveryError(DeliveryError):
    """Delivery failed but may succeed later (timeout, refused connection, HTTP 5xx/408/429).

    ``retry_after`` is the server's ``Retry-After`` in seconds when it sent one.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WebhookVerificationError(DeliveryError):
    """A received webhook's signature, timestamp or headers do not verify."""
