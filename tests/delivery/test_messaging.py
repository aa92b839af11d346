"""Telegram Bot API and Twilio SMS channels against local fakes of their HTTP APIs."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

import httpx
import pytest

from alert_fakes import Reply, telegram_api, twilio_api
from optionsintel.delivery import Notification, SmsChannel, TelegramChannel, TwilioSms
from optionsintel.delivery.config import DeliveryConfig, build_channels
from optionsintel.errors import PermanentDeliveryError, TransientDeliveryError
from optionsintel.settings import Settings

TOKEN = "123456:AAE-bot-token-secret"
SID, AUTH = "AC0123456789abcdef", "twilio-auth-token-secret"


def _note(target: dict) -> Notification:
    event = {"rule": "r", "owner": "u", "instrument": "BANKNIFTY", "type": "SIGNAL",
             "triggered_at": "2025-07-16T04:35:00+00:00",
             "value": 82.0, "threshold": 70.0}  # fmt: skip
    return Notification("k:0", "u", "r", target["kind"], event, target)


@pytest.fixture
def client():
    # generous: these tests are about delivery, not timeouts (their own short clients
    # test those); a 1-s timeout was missed under CI's two passes on two cores
    with httpx.Client(timeout=15.0) as c:
        yield c


@pytest.fixture
def telegram():
    server = telegram_api(TOKEN)
    yield server
    server.close()


@pytest.fixture
def twilio():
    server = twilio_api(SID, AUTH)
    yield server
    server.close()


def test_telegram_send_message(telegram, client) -> None:
    channel = TelegramChannel(TOKEN, client, telegram.url)
    assert channel.send(_note({"kind": "telegram", "chat_id": "-100200"})).status_code == 200
    (req,) = telegram.requests
    body = json.loads(req.body)
    assert body["chat_id"] == "-100200" and "BANKNIFTY" in body["text"]


def test_telegram_errors_and_no_token_anywhere(telegram, client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    note = _note({"kind": "telegram", "chat_id": "42"})
    channel = TelegramChannel(TOKEN, client, telegram.url)
    telegram.script.append(
        Reply(
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 9",
                "parameters": {"retry_after": 9},
            },
        )
    )
    with pytest.raises(TransientDeliveryError) as slow:
        channel.send(note)
    assert slow.value.retry_after == 9.0
    telegram.script.append(
        Reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
    )
    with pytest.raises(PermanentDeliveryError, match="chat not found") as gone:
        channel.send(note)
    with pytest.raises(PermanentDeliveryError, match="401"):
        TelegramChannel("999:wrong-token-value", client, telegram.url).send(note)
    channel.send(note)  # a success is logged by httpx with the URL: the token must be masked
    assert "/bot**********/sendMessage" in caplog.text  # logged, masked
    for text in (caplog.text, str(slow.value), str(gone.value)):
        assert TOKEN not in text


def test_twilio_sms(twilio, client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    channel = SmsChannel(TwilioSms(SID, AUTH, "+15005550006", client, twilio.url))
    assert channel.send(_note({"kind": "sms", "to": "+919800000001"})).status_code == 201
    form = parse_qs(twilio.requests[0].body.decode())
    assert form["To"] == ["+919800000001"] and form["From"] == ["+15005550006"]
    assert "BANKNIFTY" in form["Body"][0]
    twilio.script.append(
        Reply(400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400})
    )
    with pytest.raises(PermanentDeliveryError, match="21211") as bad:
        channel.send(_note({"kind": "sms", "to": "+919800000001"}))
    twilio.script.append(
        Reply(429, {"code": 20429, "message": "Too Many Requests"}, {"Retry-After": "2"})
    )
    with pytest.raises(TransientDeliveryError) as slow:
        channel.send(_note({"kind": "sms", "to": "+919800000001"}))
    assert slow.value.retry_after == 2.0
    wrong = SmsChannel(TwilioSms(SID, "not-the-token", "+15005550006", client, twilio.url))
    with pytest.raises(PermanentDeliveryError, match="401"):
        wrong.send(_note({"kind": "sms", "to": "+919800000001"}))
    assert AUTH not in caplog.text and AUTH not in str(bad.value)


def test_config_from_environment_builds_channels_and_masks_secrets(telegram, twilio) -> None:
    env = {
        "OPTIONSINTEL_WEBHOOK_SECRET_DESK": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "OPTIONSINTEL_TELEGRAM_BOT_TOKEN": TOKEN,
        "OPTIONSINTEL_TELEGRAM_API_URL": telegram.url,
        "OPTIONSINTEL_TWILIO_ACCOUNT_SID": SID,
        "OPTIONSINTEL_TWILIO_AUTH_TOKEN": AUTH,
        "OPTIONSINTEL_TWILIO_FROM": "+15005550006",
        "OPTIONSINTEL_TWILIO_API_URL": twilio.url,
    }
    settings = Settings(smtp_host="127.0.0.1", smtp_port=465, smtp_from="a@example.com",
                        smtp_password="pw-123456")  # fmt: skip
    config = DeliveryConfig.from_environment(settings, env)
    assert config.smtp is not None and config.smtp.security == "ssl"
    for secret in (TOKEN, AUTH, "pw-123456", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"):
        assert secret not in repr(config)
    channels = build_channels(config, write_feed=lambda item: None)
    assert sorted(channels) == ["email", "in_app", "sms", "telegram", "webhook"]
    channels["telegram"].send(_note({"kind": "telegram", "chat_id": "7"}))
    assert len(telegram.requests) == 1
