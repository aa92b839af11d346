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


class BacktestRunNotFoundError(RecordNotFoundError):
    """No stored backtest run has the id asked for."""


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


# -- market-data providers (raised by optionsintel.providers; core so that the synthetic
# market generator and the providers share them without importing each other) --


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


class DeadlineExceededError(TransientProviderError):
    """An HTTP call (connect, every redirect hop and the whole body) outlasted its deadline."""


class ResponseTooLargeError(ProviderError):
    """A response body (as sent or once decompressed) passed the size cap; reading stopped."""


class RedirectRefusedError(ProviderError):
    """The server redirected to another origin (scheme, host or port); not followed."""


class RedirectLoopError(ProviderError):
    """The server's redirects loop or chain beyond the limit."""


class BacktestError(OptionsIntelError):
    """A backtest's inputs are inconsistent (misaligned frames, unknown option, empty data)."""


class BacktestWorkerError(BacktestError):
    """The backtest worker failed internally or broke off a request (see its log)."""


class CostTableError(BacktestError):
    """A cost table is malformed, or a fill is dated where the table has no rate."""


class InputError(OptionsIntelError, ValueError):
    """A request's value is malformed or out of range (a username, a role name, a scope...)."""


class CredentialsError(OptionsIntelError):
    """API credentials are missing, malformed, unknown, expired, revoked or wrong.

    The message never repeats the credential; it says which kind was expected.
    """


class LoginThrottledError(CredentialsError):
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


class AlertRuleError(OptionsIntelError, ValueError):
    """An alert rule is invalid (unknown type, missing threshold, bad channel or schedule)."""


class DuplicateAlertRuleError(AlertRuleError, DuplicateRecordError):
    """The owner already has an alert rule of that name (409 ``conflict`` in the API)."""


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


class GeometryError(OptionsIntelError, ValueError):
    """Chart geometry (:mod:`optionsintel.geometry`) got bad input: shapes, parameters, bars."""


class ExchangeError(OptionsIntelError):
    """Base class of export and import errors (see :mod:`optionsintel.exchange`)."""


class ExportError(ExchangeError):
    """An export cannot be written (unknown format, bad compression, a sheet too large...)."""


class OperationNotReadyError(OptionsIntelError):
    """A long operation's result was asked for before the operation finished."""


class ExportCancelledError(ExportError):
    """A bulk export's record was moved to CANCELLED; the export stopped where it was."""


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


class ScanSpecError(OptionsIntelError, ValueError):
    """A scan specification (universe, pattern pins, detectors, as-of) is malformed."""


class WatchlistError(OptionsIntelError, ValueError):
    """A watchlist command cannot be applied (missing list, name taken, bad name)."""


class BulkOperationError(OptionsIntelError):
    """A bulk operation cannot be started, resumed or cancelled in its current state."""
