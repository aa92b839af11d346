"""E-mail through SMTP (STARTTLS, implicit TLS or plain), plain-text and HTML parts.

SMTP reply codes map onto the typed errors: 5xx (mailbox unknown, authentication
refused, message rejected) is permanent, 4xx and broken connections are transient.
The password is sent only inside ``login`` and never appears in a message.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

from pydantic import SecretStr

from optionsintel.delivery import render
from optionsintel.delivery._redact import redact, register_secret
from optionsintel.delivery.base import Notification, Receipt
from optionsintel.errors import (
    ConfigurationError,
    PermanentDeliveryError,
    TransientDeliveryError,
)

Security = Literal["starttls", "ssl", "none"]


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send mail.

    Attributes
    ----------
    host, port
        The SMTP server.
    sender
        The ``From`` address.
    user, password
        Credentials (``login`` only when a user is given).
    security
        ``starttls`` (upgrade on the submission port, default), ``ssl`` (implicit TLS,
        port 465) or ``none`` (a trusted local relay only).
    timeout
        Seconds for connecting and each command.
    ssl_context
        TLS context (default: the system's trust store with hostname checks).
    """

    host: str
    port: int
    sender: str
    user: str | None = None
    password: SecretStr | None = None
    security: Security = "starttls"
    timeout: float = 10.0
    ssl_context: ssl.SSLContext | None = None


def security_for_port(port: int) -> Security:
    """Implicit TLS on 465, STARTTLS elsewhere."""
    return "ssl" if port == 465 else "starttls"


class EmailChannel:
    """Send a notification as a multipart (text + HTML) e-mail to the rule's addresses."""

    kind = "email"

    def __init__(self, config: SmtpConfig) -> None:
        if not config.host or not config.sender:
            raise ConfigurationError(
                "e-mail needs OPTIONSINTEL_SMTP_HOST and OPTIONSINTEL_SMTP_FROM to be set"
            )
        self.config = config
        if config.password is not None:
            register_secret(config.password.get_secret_value())

    def message(self, notification: Notification) -> EmailMessage:
        """The e-mail of ``notification`` (headers, plain text, HTML alternative)."""
        msg = EmailMessage()
        msg["Subject"] = render.subject(notification.event)
        msg["From"] = self.config.sender
        msg["To"] = ", ".join(notification.target.get("to", []))
        msg["Message-ID"] = f"<{notification.dedupe_key}@optionsintel>"
        msg.set_content(render.text(notification.event))
        msg.add_alternative(render.html(notification.event), subtype="html")
        return msg

    def send(self, notification: Notification) -> Receipt:
        """Deliver over SMTP; raise a typed error on failure."""
        msg = self.message(notification)
        try:
            with self._connect() as smtp:
                if self.config.user and self.config.password is not None:
                    smtp.login(self.config.user, self.config.password.get_secret_value())
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise _by_code(min(codes), "every recipient was refused") from None
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, _reply(exc.smtp_error)) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientDeliveryError(
                f"SMTP server {self.config.host}:{self.config.port} failed ({type(exc).__name__})"
            ) from None
        return Receipt(250)

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        context = cfg.ssl_context or ssl.create_default_context()
        if cfg.security == "ssl":
            return smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
        smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        if cfg.security == "starttls":
            try:
                smtp.starttls(context=context)
            except BaseException:
                smtp.close()
                raise
        return smtp


def _reply(raw: bytes | str) -> str:
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    return redact(text)[:200]


def _by_code(code: int, detail: str) -> PermanentDeliveryError | TransientDeliveryError:
    text = f"SMTP server answered {code}: {detail}"
    if 500 <= code < 600:
        return PermanentDeliveryError(text + " (not retried)")
    return TransientDeliveryError(text)
