"""Delivery configuration resolved once at the application's edge, and channels built from it.

Environment variables (read by :meth:`DeliveryConfig.from_environment`, called by the CLI
or the supervisor, never below them):

=======================================  =====================================================
``OPTIONSINTEL_SMTP_HOST``/``_PORT``     SMTP server (``Settings``); ``_USER``, ``_PASSWORD``,
``OPTIONSINTEL_SMTP_FROM``               the ``From`` address
``OPTIONSINTEL_SMTP_SECURITY``           ``starttls`` / ``ssl`` / ``none`` (default: ``ssl`` on
                                         port 465, else ``starttls``)
``OPTIONSINTEL_WEBHOOK_SECRET_<NAME>``   a webhook endpoint's ``whsec_`` secret; a rule names
                                         the variable in ``secret_env``
``OPTIONSINTEL_TELEGRAM_BOT_TOKEN``      Telegram bot token (``_API_URL`` overrides the API)
``OPTIONSINTEL_TWILIO_ACCOUNT_SID``,     Twilio credentials and sender (``_API_URL`` overrides
``_AUTH_TOKEN``, ``_FROM``               the API)
=======================================  =====================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx
from pydantic import SecretStr

from optionsintel.delivery.base import Channel
from optionsintel.delivery.email import EmailChannel, SmtpConfig, security_for_port
from optionsintel.delivery.inapp import FeedItem, InAppChannel
from optionsintel.delivery.sms import DEFAULT_TWILIO_URL, SmsChannel, TwilioSms
from optionsintel.delivery.telegram import DEFAULT_API_URL, TelegramChannel
from optionsintel.delivery.webhook import WebhookChannel
from optionsintel.errors import ConfigurationError
from optionsintel.settings import Settings

WEBHOOK_SECRET_PREFIX = "OPTIONSINTEL_WEBHOOK_SECRET_"
_SECURITIES = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class DeliveryConfig:
    """Everything the channels need; secrets as :class:`SecretStr` (masked in reprs)."""

    smtp: SmtpConfig | None = None
    webhook_secrets: Mapping[str, SecretStr] = field(default_factory=dict)
    telegram_token: SecretStr | None = None
    telegram_api_url: str = DEFAULT_API_URL
    twilio_sid: str | None = None
    twilio_token: SecretStr | None = None
    twilio_from: str | None = None
    twilio_api_url: str = DEFAULT_TWILIO_URL
    http_timeout: float = 5.0

    @classmethod
    def from_environment(cls, settings: Settings, environ: Mapping[str, str]) -> DeliveryConfig:
        """Resolve the configuration from ``settings`` and the environment mapping."""
        smtp = None
        if settings.smtp_host and settings.smtp_from:
            security = environ.get("OPTIONSINTEL_SMTP_SECURITY") or security_for_port(
                settings.smtp_port
            )
            if security not in _SECURITIES:
                raise ConfigurationError(
                    f"OPTIONSINTEL_SMTP_SECURITY must be one of {_SECURITIES}, got {security!r}"
                )
            smtp = SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.smtp_from,
                user=settings.smtp_user,
                password=settings.smtp_password,
                security=security,  # type: ignore[arg-type]
            )
        secrets = {
            k: SecretStr(v) for k, v in environ.items() if k.startswith(WEBHOOK_SECRET_PREFIX) and v
        }

        def secret(name: str) -> SecretStr | None:
            value = environ.get(name)
            return SecretStr(value) if value else None

        return cls(
            smtp=smtp,
            webhook_secrets=secrets,
            telegram_token=secret("OPTIONSINTEL_TELEGRAM_BOT_TOKEN"),
            telegram_api_url=environ.get("OPTIONSINTEL_TELEGRAM_API_URL") or DEFAULT_API_URL,
            twilio_sid=environ.get("OPTIONSINTEL_TWILIO_ACCOUNT_SID") or None,
            twilio_token=secret("OPTIONSINTEL_TWILIO_AUTH_TOKEN"),
            twilio_from=environ.get("OPTIONSINTEL_TWILIO_FROM") or None,
            twilio_api_url=environ.get("OPTIONSINTEL_TWILIO_API_URL") or DEFAULT_TWILIO_URL,
        )


def build_channels(
    config: DeliveryConfig,
    write_feed: Callable[[FeedItem], None],
    client: httpx.Client | None = None,
) -> dict[str, Channel]:
    """The channels ``config`` makes possible, by kind (in-app and webhook always)."""
    http = client or httpx.Client(timeout=config.http_timeout, follow_redirects=False)
    secrets = {k: v.get_secret_value() for k, v in config.webhook_secrets.items()}
    channels: dict[str, Channel] = {
        "in_app": InAppChannel(write_feed),
        "webhook": WebhookChannel(secrets, http),
    }
    if config.smtp is not None:
        channels["email"] = EmailChannel(config.smtp)
    if config.telegram_token is not None:
        channels["telegram"] = TelegramChannel(
            config.telegram_token.get_secret_value(), http, config.telegram_api_url
        )
    if config.twilio_sid and config.twilio_token is not None and config.twilio_from:
        provider = TwilioSms(
            config.twilio_sid,
            config.twilio_token.get_secret_value(),
            config.twilio_from,
            http,
            config.twilio_api_url,
        )
        channels["sms"] = SmsChannel(provider)
    return channels
