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


class InputError(OptionsIntelError, ValueError):
    """A request's value is malformed or out of range (a username, a role name, a scope...)."""


class AuthenticationError(OptionsIntelError):
    """Credentials are missing, malformed, unknown, expired, revoked or wrong.

    The message never repeats the credential; it says which kind was expected.
    """


class LoginThrottledError(AuthenticationError):
    """Too many failed logins for an account: wait ``retry_after`` seconds before trying again."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermissionDeniedError(OptionsIntelError):
    """The identity is authenticated but its role or key scopes lack the permission."""

    def __init__(self, message: str, *, permission: str) -> None:
        super().__init__(message)
        self.permission = permission


class QuotaExceededError(OptionsIntelError):
    """A subscription-tier limit is used up.

    ``limit`` names it (e.g. ``api_calls_per_day``), ``allowed`` and ``used`` are the
    figures, ``resets_at`` the instant it resets (None for a count that only falls when
    the user deletes something) and ``retryable`` whether waiting helps (HTTP 429) or
    not (HTTP 403).
    """

    def __init__(
        self,
        message: str,
        *,
        limit: str,
        tier: str,
        allowed: int,
        used: int,
        resets_at: object = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.limit, self.tier, self.allowed, self.used = limit, tier, allowed, used
        self.resets_at, self.retryable = resets_at, retryable


class RateLimitedError(OptionsIntelError):
    """A key sent requests faster than its token bucket allows; retry after ``retry_after`` s."""

    def __init__(self, message: str, *, retry_after: float, rate: float, burst: int) -> None:
        super().__init__(message)
        self.retry_after, self.rate, self.burst = retry_after, rate, burst
