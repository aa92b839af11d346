"""Telegram through the Bot API (``sendMessage`` over httpx).

The bot token sits in the request path, so it is registered for redaction (the HTTP
client logs request URLs) and never put in an error message. The API answers
``{"ok": false, "error_code": ..., "description": ..., "parameters": {"retry_after": s}}``
on failure; 429 and 5xx are transient, other 4xx (unknown chat, blocked bot) permanent.
"""

from __future__ import annotations

import httpx

from optionsintel.delivery import render
from optionsintel.delivery._redact import register_secret
from optionsintel.delivery.base import (
    Notification,
    Receipt,
    check_http,
    post,
    retry_after_seconds,
)
from optionsintel.errors import TransientDeliveryError

DEFAULT_API_URL = "https://api.telegram.org"


class TelegramChannel:
    """Send a plain-text message to the rule's chat.

    Parameters
    ----------
    token
        The bot token (from ``OPTIONSINTEL_TELEGRAM_BOT_TOKEN``).
    client
        The HTTP client.
    api_url
        Bot API base URL (a local server in tests, a self-hosted Bot API server).
    """

    kind = "telegram"

    def __init__(self, token: str, client: httpx.Client, api_url: str = DEFAULT_API_URL) -> None:
        register_secret(token)
        self._url = f"{api_url.rstrip('/')}/bot{token}/sendMessage"
        self._client = client

    def send(self, notification: Notification) -> Receipt:
        """POST ``sendMessage``; raise a typed error on failure."""
        body = {
            "chat_id": notification.target.get("chat_id"),
            "text": render.text(notification.event),
            "disable_web_page_preview": True,
        }
        response = post(self._client, self._url, "Telegram Bot API", json=body)
        if response.is_success:
            return Receipt(response.status_code)
        detail, retry = "", None
        try:
            doc = response.json()
            detail = str(doc.get("description", ""))
            retry = (doc.get("parameters") or {}).get("retry_after")
        except ValueError:
            pass
        try:
            return check_http(response, "Telegram Bot API", detail)
        except TransientDeliveryError as exc:
            if exc.retry_after is None and retry is not None:
                exc.retry_after = retry_after_seconds(str(retry))  # capped, NaN ignored
            raise
