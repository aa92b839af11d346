"""Keep secrets out of log records and error messages.

Secrets a channel holds (bot tokens, auth tokens, SMTP passwords, webhook secrets) are
registered here; :func:`redact` replaces them in any text, and a logging filter does the
same on the HTTP client's loggers, which print request URLs (Telegram puts its bot token
in the URL path).
"""

from __future__ import annotations

import logging
import threading

_lock = threading.Lock()
_secrets: set[str] = set()
_MASK = "**********"
_HTTP_LOGGERS = ("httpx", "httpcore")


def register_secret(secret: str | None) -> None:
    """Remember ``secret`` so it is masked wherever it would be printed."""
    if secret and len(secret) >= 4:
        with _lock:
            _secrets.add(secret)
    _install()


def redact(text: str) -> str:
    """``text`` with every registered secret masked."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for s in secrets:
        text = text.replace(s, _MASK)
    return text


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_filter = _RedactingFilter()


def _install() -> None:
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)
