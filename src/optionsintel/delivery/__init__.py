"""Delivery adapters: webhook (Standard Webhooks signing), e-mail, in-app feed, Telegram, SMS.

Each channel's ``send(notification)`` returns a receipt or raises
:class:`~optionsintel.errors.PermanentDeliveryError` or
:class:`~optionsintel.errors.TransientDeliveryError`.
Channels know nothing of the outbox: retries, leases and attempts live in
``services.dispatch``. Secrets come from :class:`~optionsintel.delivery.config.DeliveryConfig`
and never appear in logs or error messages.
"""

from optionsintel.delivery.base import Channel, Notification, Receipt
from optionsintel.delivery.config import DeliveryConfig, build_channels
from optionsintel.delivery.email import EmailChannel, SmtpConfig
from optionsintel.delivery.inapp import FeedItem, InAppChannel
from optionsintel.delivery.sms import SmsChannel, SmsProvider, TwilioSms
from optionsintel.delivery.telegram import TelegramChannel
from optionsintel.delivery.webhook import WebhookChannel, sign, verify

__all__ = [
    "Channel",
    "DeliveryConfig",
    "EmailChannel",
    "FeedItem",
    "InAppChannel",
    "Notification",
    "Receipt",
    "SmsChannel",
    "SmsProvider",
    "SmtpConfig",
    "TelegramChannel",
    "TwilioSms",
    "WebhookChannel",
    "build_channels",
    "sign",
    "verify",
]
