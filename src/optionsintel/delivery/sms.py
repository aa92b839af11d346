"""SMS through a provider interface; one implementation: Twilio's Messages API (httpx).

A provider sends one text to one E.164 number and raises the typed delivery errors.
Twilio: ``POST {api}/2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP basic
auth (account SID, auth token) and form fields ``To``, ``From``, ``Body``; 201 on success,
``{"code", "message", "status"}`` on failure (4xx permanent but 429, 5xx transient).
"""

from __future__ import annotations

from typing import Protocol

import httpx

from optionsintel.delivery import render
from optionsintel.delivery._redact import register_secret
from optionsintel.delivery.base import Notification, Receipt, check_http, post

DEFAULT_TWILIO_URL = "https://api.twilio.com"
MAX_SMS_CHARS = 480  # three concatenated segments


class SmsProvider(Protocol):
    """Something that sends a text message."""

    def send_sms(self, to: str, body: str) -> Receipt:
        """Send ``body`` to ``to`` (E.164) or raise a typed delivery error."""
        ...


class TwilioSms:
    """Twilio's Messages API.

    Parameters
    ----------
    account_sid, auth_token
        Credentials (from ``OPTIONSINTEL_TWILIO_ACCOUNT_SID`` / ``..._AUTH_TOKEN``).
    sender
        The ``From`` number or messaging service (``OPTIONSINTEL_TWILIO_FROM``).
    client
        The HTTP client.
    api_url
        Base URL (a local server in tests).
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        client: httpx.Client,
        api_url: str = DEFAULT_TWILIO_URL,
    ) -> None:
        register_secret(auth_token)
        self._url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._auth = httpx.BasicAuth(account_sid, auth_token)
        self._sender = sender
        self._client = client

    def send_sms(self, to: str, body: str) -> Receipt:
        """POST one message; raise a typed error on failure."""
        form = {"To": to, "From": self._sender, "Body": body[:MAX_SMS_CHARS]}
        response = post(self._client, self._url, "Twilio", data=form, auth=self._auth)
        detail = ""
        if not response.is_success:
            try:
                doc = response.json()
                detail = f"{doc.get('code')} {doc.get('message', '')}"
            except ValueError:
                pass
        return check_http(response, "Twilio", detail)


class SmsChannel:
    """The SMS channel over any :class:`SmsProvider`."""

    kind = "sms"

    def __init__(self, provider: SmsProvider) -> None:
        self._provider = provider

    def send(self, notification: Notification) -> Receipt:
        """Send the subject line and the key figures as one text."""
        event = notification.event
        body = f"{render.subject(event)} (threshold {event.get('threshold')})"
        return self._provider.send_sms(str(notification.target.get("to")), body)
