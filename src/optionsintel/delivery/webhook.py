"""Webhooks signed per the Standard Webhooks specification (standardwebhooks.com).

Headers: ``webhook-id`` (the outbox key: the same on every retry, so a receiver can
drop repeats), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``:
``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` under the endpoint's secret, written
``whsec_<base64 key>``. Receivers check with :func:`verify` (constant-time comparison,
timestamp tolerance against replays). The secret of an endpoint comes from the
environment variable the rule names (``OPTIONSINTEL_WEBHOOK_SECRET_<NAME>``); it is never
stored in the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from optionsintel.delivery._redact import register_secret
from optionsintel.delivery.base import Notification, Receipt, check_http, post
from optionsintel.errors import PermanentDeliveryError, WebhookVerificationError

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


def _key(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError(
            "a webhook secret is 'whsec_' followed by base64; this one is not valid base64"
        ) from None


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value ``v1,<base64>`` of one message.

    >>> sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
    ...      1614265330, b'{"test": 2432232314}')
    'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
    """
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """Check a received webhook and return its parsed JSON body.

    Parameters
    ----------
    secret
        The endpoint's ``whsec_`` secret.
    headers
        The request headers (any mapping; names are matched case-insensitively).
    body
        The raw request body, exactly as received.
    tolerance
        Largest accepted distance (seconds) between the timestamp and ``now``.

    Raises
    ------
    WebhookVerificationError
        Missing headers, a timestamp outside the tolerance, or no matching signature.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        msg_id, stamp, signatures = (
            lower["webhook-id"],
            lower["webhook-timestamp"],
            lower["webhook-signature"],
        )
        timestamp = int(stamp)
    except (KeyError, ValueError):
        raise WebhookVerificationError("missing or malformed webhook-* headers") from None
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise WebhookVerificationError("webhook timestamp outside the tolerance (replay?)")
    expected = sign(secret, msg_id, timestamp, body).split(",", 1)[1]
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return dict(json.loads(body))
    raise WebhookVerificationError("no webhook signature matches the secret")


def body_of(notification: Notification) -> bytes:
    """The JSON body: ``{"type", "timestamp", "data"}`` as the specification suggests."""
    doc = {
        "type": "alert.triggered",
        "timestamp": notification.event.get("triggered_at"),
        "data": notification.event,
    }
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


class WebhookChannel:
    """POST signed JSON to the rule's URL.

    Parameters
    ----------
    secrets
        Environment variable name -> ``whsec_`` secret (see
        :class:`~optionsintel.delivery.config.DeliveryConfig`).
    client
        The HTTP client (timeouts, connection pool); no redirects are followed.
    """

    kind = "webhook"

    def __init__(self, secrets: Mapping[str, str], client: httpx.Client) -> None:
        self._secrets = dict(secrets)
        for value in self._secrets.values():
            register_secret(value)
            register_secret(value.removeprefix(SECRET_PREFIX))
        self._client = client

    def send(self, notification: Notification) -> Receipt:
        """Sign and POST the notification; raise a typed error on failure."""
        target = notification.target
        env = str(target.get("secret_env"))
        secret = self._secrets.get(env)
        if not secret:
            raise PermanentDeliveryError(
                f"webhook secret variable {env} is not set in the dispatcher's environment"
            )
        body = body_of(notification)
        stamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": notification.dedupe_key,
            "webhook-timestamp": str(stamp),
            "webhook-signature": sign(secret, notification.dedupe_key, stamp, body),
        }
        what = f"webhook {httpx.URL(str(target['url'])).host}"
        response = post(self._client, str(target["url"]), what, content=body, headers=headers)
        return check_http(response, what)


def new_secret() -> str:
    """A fresh random ``whsec_`` secret (24 random bytes)."""
    import secrets

    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()
