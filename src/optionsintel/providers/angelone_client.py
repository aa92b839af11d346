"""Angel One SmartAPI HTTP client: session (TOTP login, JWT refresh), envelope, rate limits.

Endpoints, headers and bodies follow the official SDKs (angel-one/smartapi-python
@ff60852, angel-one/smartapi-javascript @06b091f); see
``docs/reference/SMARTAPI_NOTES.md``. Secrets are held as
:class:`pydantic.SecretStr` and never appear in logs, reprs or error messages: every
error text is also scrubbed of the secret values before it is raised.

Rate limits (requests per second / minute / hour) are the published ones from the
SmartAPI forum post "Changes in API Rate Limit"
(https://smartapi.angelbroking.com/topic/4387/changes-in-api-rate-limit), with the
moderator's correction that ``getCandleData`` allows 180 per minute. Limits of
``optionGreek`` and ``getOIData`` were not found in that table: *UNVERIFIED*, we use
1/s for greeks and the candle limits for OI data.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pyotp
from pydantic import SecretStr

from optionsintel.errors import ConfigurationError
from optionsintel.providers.base import (
    AuthenticationError,
    BlockedError,
    NoDataError,
    ProviderError,
    SchemaDriftError,
    TransientProviderError,
)
from optionsintel.providers.http_bounds import (
    DEFAULT_MAX_BYTES,
    HttpBounds,
    bounded_request,
    retry_after_seconds,
)
from optionsintel.providers.resilience import MonotonicClock, RateLimiter, Sleep

logger = logging.getLogger(__name__)

PROVIDER = "angelone"
ROOT_URL = "https://apiconnect.angelone.in"
LOGIN = "/rest/auth/angelbroking/user/v1/loginByPassword"
GENERATE_TOKENS = "/rest/auth/angelbroking/jwt/v1/generateTokens"
QUOTE = "/rest/secure/angelbroking/market/v1/quote"
CANDLES = "/rest/secure/angelbroking/historical/v1/getCandleData"
OI_DATA = "/rest/secure/angelbroking/historical/v1/getOIData"
OPTION_GREEK = "/rest/secure/angelbroking/marketData/v1/optionGreek"
SEARCH_SCRIP = "/rest/secure/angelbroking/order/v1/searchScrip"

#: (per second, per minute, per hour) of each endpoint; None = no published limit.
RATE_LIMITS: dict[str, tuple[int | None, int | None, int | None]] = {
    LOGIN: (1, None, None),
    GENERATE_TOKENS: (1, None, 1000),
    QUOTE: (10, 500, 5000),
    CANDLES: (3, 180, 5000),
    OI_DATA: (3, 180, 5000),  # UNVERIFIED: assumed equal to getCandleData
    OPTION_GREEK: (1, None, None),  # UNVERIFIED: not in the published table
    SEARCH_SCRIP: (1, None, None),
}
#: Invalid/expired/missing JWT or refresh token, session expired: renew the session.
SESSION_CODES = frozenset({"AG8001", "AG8002", "AG8003", "AB8050", "AB8051", "AB1010", "AB1011"})
#: Credentials rejected at login (wrong client code / PIN / TOTP): do not loop.
LOGIN_CODES = frozenset({"AB1000", "AB1001", "AB1002", "AB1007", "AB1050"})
#: "Something went wrong, try after some time" / internal error / rate limit.
TRANSIENT_CODES = frozenset({"AB1004", "AB2000", "AB2001", "AB1019"})
NO_DATA_CODES = frozenset({"AB1009", "AB1018"})
_RATE_TEXT = "exceeding access rate"


class AngelOneAPIError(ProviderError):
    """SmartAPI answered ``status: false`` with an ``errorcode``."""

    def __init__(self, code: str, message: str, *, retry_after: float | None = None) -> None:
        self.code = code
        self.api_message = message
        text = f"Angel One SmartAPI error {code or '(no code)'}: {message or '(no message)'}"
        super().__init__(text, provider=PROVIDER)
        if retry_after is not None or not hasattr(self, "retry_after"):
            self.retry_after = retry_after


class AngelOneAuthError(AngelOneAPIError, AuthenticationError):
    """Token or login rejected (AG8001-style codes, HTTP 401)."""


class AngelOneTransientError(AngelOneAPIError, TransientProviderError):
    """Rate limit or temporary server trouble; worth retrying."""


class AngelOneNoDataError(AngelOneAPIError, NoDataError):
    """Unknown symbol or no data for the request."""


def api_error(code: str, message: str, *, http_status: int = 200) -> AngelOneAPIError:
    """Map an error code (and HTTP status) to the typed :class:`AngelOneAPIError` subclass."""
    code = (code or "").strip().upper()
    label = code or (f"HTTP{http_status}" if http_status >= 400 else "")
    if code in SESSION_CODES or code in LOGIN_CODES or http_status == 401:
        return AngelOneAuthError(label, message)
    if code in TRANSIENT_CODES or http_status == 429 or http_status >= 500:
        return AngelOneTransientError(label, message)
    if _RATE_TEXT in (message or "").lower():
        return AngelOneTransientError(label, message)
    if code in NO_DATA_CODES:
        return AngelOneNoDataError(code, message)
    return AngelOneAPIError(label, message)


def parse_envelope(status_code: int, text: str, headers: Mapping[str, str] | None = None) -> Any:
    """Return ``data`` of a SmartAPI response or raise the matching typed error.

    Accepts both documented spellings: ``status``/``errorcode`` (REST docs, SDK
    fixtures) and ``success``/``errorCode`` (gateway AG8xxx answers seen on the forum).
    """
    retry_after = _retry_after(headers or {})
    try:
        body = json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        return _non_json_error(status_code, text, retry_after)
    status = body.get("status", body.get("success"))
    code = str(body.get("errorcode") or body.get("errorCode") or "")
    message = str(body.get("message") or "")
    if status is True or str(status).lower() == "true":
        if status_code >= 400:
            raise api_error(code, message, http_status=status_code)
        if "data" not in body:
            raise SchemaDriftError(["data"], provider=PROVIDER, context="SmartAPI envelope")
        return body["data"]
    if status is None and status_code < 400:
        raise SchemaDriftError(["status"], provider=PROVIDER, context="SmartAPI envelope")
    error = api_error(code, message, http_status=status_code)
    if isinstance(error, TransientProviderError) and retry_after is not None:
        error.retry_after = retry_after
    raise error


def _non_json_error(status_code: int, text: str, retry_after: float | None) -> Any:
    snippet = " ".join(text.split())[:160]
    if _RATE_TEXT in text.lower() or status_code == 429:
        raise AngelOneTransientError(f"HTTP{status_code}", snippet, retry_after=retry_after)
    if status_code >= 500:
        raise AngelOneTransientError(f"HTTP{status_code}", snippet, retry_after=retry_after)
    if status_code == 401:
        raise AngelOneAuthError("HTTP401", snippet)
    if "<html" in text.lower():
        raise BlockedError(
            f"SmartAPI answered an HTML page (HTTP {status_code})", provider=PROVIDER
        )
    raise SchemaDriftError(
        ["status", "data"], provider=PROVIDER, context=f"HTTP {status_code} body"
    )


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP-date (against the wall clock)."""
    return retry_after_seconds(headers.get("retry-after") or headers.get("Retry-After"))


def _as_secret(value: Any) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(str(value))


@dataclass(frozen=True)
class AngelOneCredentials:
    """API key, client code, PIN and TOTP secret (secrets as :class:`SecretStr`)."""

    api_key: SecretStr
    client_code: str
    pin: SecretStr
    totp_secret: SecretStr

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> AngelOneCredentials:
        """Read ``angelone_*`` fields of :class:`~optionsintel.settings.Settings`; overrides win.

        Raises
        ------
        ConfigurationError
            Naming the environment variables that are missing (never their values).
        """
        values: dict[str, Any] = {
            f: overrides.get(f) or getattr(settings, f"angelone_{f}", None)
            for f in ("api_key", "client_code", "pin", "totp_secret")
        }
        missing = [f"OPTIONSINTEL_ANGELONE_{k.upper()}" for k, v in values.items() if not v]
        if missing:
            raise ConfigurationError(
                f"Angel One credentials are incomplete: set {', '.join(missing)} "
                "(or pass them to AngelOneProvider)"
            )
        return cls(
            api_key=_as_secret(values["api_key"]),
            client_code=values["client_code"],
            pin=_as_secret(values["pin"]),
            totp_secret=_as_secret(values["totp_secret"]),
        )

    def secret_values(self) -> tuple[str, ...]:
        """Plain secret strings, only for scrubbing text before it leaves the client."""
        return tuple(s.get_secret_value() for s in (self.api_key, self.pin, self.totp_secret) if s)


def totp_code(secret: SecretStr, at: float, *, digits: int = 6) -> str:
    """RFC 6238 TOTP (SHA-1, 30 s step) of ``secret`` (base32) at Unix time ``at``.

    Notes
    -----
    ``TOTP = HOTP(K, floor(at / 30))`` with HOTP of RFC 4226 (HMAC-SHA-1, dynamic
    truncation, ``mod 10**digits``); computed by :mod:`pyotp`. SmartAPI expects 6 digits.

    Examples
    --------
    RFC 6238 appendix B, ``K = "12345678901234567890"`` (base32 ``GEZDGNBV...``), T = 59:

    >>> import base64
    >>> key = SecretStr(base64.b32encode(b"12345678901234567890").decode())
    >>> totp_code(key, 59, digits=8)
    '94287082'
    """
    return pyotp.TOTP(secret.get_secret_value(), digits=digits).at(int(at))


class AngelOneClient:
    """Logged-in SmartAPI session with per-endpoint rate limiting.

    Parameters
    ----------
    credentials
        API key, client code, PIN, TOTP secret.
    http
        An :class:`httpx.Client` (tests pass one over :class:`httpx.MockTransport`).
    base_url
        REST root (``https://apiconnect.angelone.in``).
    timeout
        HTTP timeout in seconds (the SDK's 7 s) per socket operation.
    deadline
        Seconds a whole call may take (connect, redirects, headers and body); defaults
        to ``timeout``.
    max_response_bytes
        Largest body accepted, as sent and once decompressed.
    time_source
        Unix time in seconds, used for the TOTP.
    clock, sleep
        Monotonic clock and sleep of the rate limiters.
    rate_limits
        ``{path: (per_second, per_minute, per_hour)}``; defaults to :data:`RATE_LIMITS`.
    local_ip, public_ip, mac_address
        Values of the ``X-ClientLocalIP``, ``X-ClientPublicIP``, ``X-MACAddress`` headers.

    Notes
    -----
    Session renewal on a token error (AG8001-style code or HTTP 401): refresh the JWT
    with the refresh token once (``generateTokens``); if that is rejected, log in again
    once (``loginByPassword`` with a fresh TOTP); if the call is still rejected, raise
    :class:`AngelOneAuthError`.
    """

    def __init__(
        self,
        credentials: AngelOneCredentials,
        *,
        http: httpx.Client | None = None,
        base_url: str = ROOT_URL,
        timeout: float = 7.0,
        deadline: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_BYTES,
        time_source: Callable[[], float] = time.time,
        clock: MonotonicClock = time.monotonic,
        sleep: Sleep = time.sleep,
        rate_limits: Mapping[str, tuple[int | None, int | None, int | None]] | None = None,
        local_ip: str = "127.0.0.1",
        public_ip: str = "127.0.0.1",
        mac_address: str = "00:00:00:00:00:00",
    ) -> None:
        self.credentials = credentials
        self.base_url = base_url.rstrip("/")
        self._http = http or httpx.Client(timeout=timeout)
        self.bounds = HttpBounds(deadline=deadline or timeout, max_bytes=max_response_bytes)
        self._time = time_source
        limits = RATE_LIMITS if rate_limits is None else rate_limits
        self._limiters = {
            path: RateLimiter.from_limits(*lim, clock=clock, sleep=sleep)
            for path, lim in limits.items()
        }
        self._ids = (local_ip, public_ip, mac_address)
        self._jwt: SecretStr | None = None
        self._refresh_token: SecretStr | None = None
        self.feed_token: SecretStr | None = None

    def __repr__(self) -> str:
        client = self.credentials.client_code
        return f"AngelOneClient(client_code={client!r}, logged_in={self.logged_in})"

    @property
    def logged_in(self) -> bool:
        """True once a JWT is held."""
        return self._jwt is not None

    def headers(self, *, authorised: bool = True) -> dict[str, str]:
        """Request headers as the SDK sends them (``Authorization`` once logged in)."""
        local_ip, public_ip, mac = self._ids
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-UserType": "USER",
            "X-SourceID": "WEB",
            "X-ClientLocalIP": local_ip,
            "X-ClientPublicIP": public_ip,
            "X-MACAddress": mac,
            "X-PrivateKey": self.credentials.api_key.get_secret_value(),
        }
        if authorised and self._jwt is not None:
            headers["Authorization"] = f"Bearer {self._jwt.get_secret_value()}"
        return headers

    def login(self) -> None:
        """Log in with client code, PIN and a fresh 6-digit TOTP (``loginByPassword``)."""
        body = {
            "clientcode": self.credentials.client_code,
            "password": self.credentials.pin.get_secret_value(),
            "totp": totp_code(self.credentials.totp_secret, self._time()),
        }
        data = self._send(LOGIN, body, authorised=False)
        self._store_tokens(data, "loginByPassword")
        logger.info("Angel One login succeeded for client %s", self.credentials.client_code)

    def refresh(self) -> None:
        """Renew the JWT with the refresh token (``generateTokens``)."""
        if self._refresh_token is None:
            raise AngelOneAuthError("NOREFRESH", "no refresh token held; log in first")
        data = self._send(GENERATE_TOKENS, {"refreshToken": self._refresh_token.get_secret_value()})
        self._store_tokens(data, "generateTokens")
        logger.info("Angel One JWT refreshed")

    def _store_tokens(self, data: Any, context: str) -> None:
        if not isinstance(data, dict) or not data.get("jwtToken"):
            raise SchemaDriftError(["jwtToken"], provider=PROVIDER, context=context)
        jwt = str(data["jwtToken"]).removeprefix("Bearer ").strip()
        self._jwt = SecretStr(jwt)
        if data.get("refreshToken"):
            self._refresh_token = SecretStr(str(data["refreshToken"]))
        if data.get("feedToken"):
            self.feed_token = SecretStr(str(data["feedToken"]))

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST an authorised request and return ``data``, renewing the session if needed.

        Raises
        ------
        AngelOneAuthError
            When the session cannot be renewed by a refresh or a fresh login.
        AngelOneTransientError
            On rate limiting, timeouts and server errors (retry later).
        """
        if self._jwt is None:
            self.login()
        try:
            return self._send(path, body)
        except AngelOneAuthError as exc:
            logger.info("Angel One token rejected (%s); refreshing the JWT", exc.code)
        try:
            self.refresh()
            return self._send(path, body)
        except AngelOneAuthError as exc:
            logger.info("Angel One refresh did not help (%s); logging in again", exc.code)
        self.login()
        try:
            return self._send(path, body)
        except AngelOneAuthError as exc:
            raise AngelOneAuthError(
                exc.code,
                f"{exc.api_message} (still rejected after a token refresh and a fresh login: "
                "check the API key and that the client code is enabled for SmartAPI)",
            ) from None

    def _send(self, path: str, body: Mapping[str, Any], *, authorised: bool = True) -> Any:
        limiter = self._limiters.get(path)
        if limiter is not None:
            limiter.acquire()
        try:
            response = bounded_request(
                self._http, "POST", self.base_url + path, bounds=self.bounds, provider=PROVIDER,
                content=json.dumps(body), headers=self.headers(authorised=authorised),
            )  # fmt: skip
            return parse_envelope(response.status_code, response.text, response.headers)
        except httpx.TimeoutException:
            raise AngelOneTransientError("TIMEOUT", f"SmartAPI {path} timed out") from None
        except httpx.TransportError as exc:
            raise AngelOneTransientError("NETWORK", f"{type(exc).__name__} on {path}") from None
        except ProviderError as exc:
            self._scrub(exc)
            raise

    def _scrub(self, exc: BaseException) -> None:
        secrets = [s for s in self.credentials.secret_values() if s]
        for token in (self._jwt, self._refresh_token, self.feed_token):
            if token is not None:
                secrets.append(token.get_secret_value())

        def clean(text: str) -> str:
            for s in secrets:
                text = text.replace(s, "***")
            return text

        exc.args = tuple(clean(a) if isinstance(a, str) else a for a in exc.args)
        if isinstance(exc, AngelOneAPIError):
            exc.api_message = clean(exc.api_message)
