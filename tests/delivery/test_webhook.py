"""Webhook channel: Standard Webhooks signatures checked by a local receiver, error mapping."""

from __future__ import annotations

import json
import logging
import socket
import time

import httpx
import pytest

from alert_fakes import Reply, webhook_receiver
from optionsintel.delivery import Notification, WebhookChannel, sign, verify
from optionsintel.delivery.webhook import body_of, new_secret
from optionsintel.errors import (
    PermanentDeliveryError,
    TransientDeliveryError,
    WebhookVerificationError,
)

ENV = "OPTIONSINTEL_WEBHOOK_SECRET_DESK"


def _note(url: str, key: str = "k1:0") -> Notification:
    event = {"rule": "r", "owner": "u", "instrument": "NIFTY", "type": "PRICE",
             "triggered_at": "2025-07-16T04:35:00+00:00",
             "value": 25100.0, "threshold": 25000.0}  # fmt: skip
    return Notification(
        key, "u", "r", "webhook", event, {"kind": "webhook", "url": url, "secret_env": ENV}
    )


@pytest.fixture
def secret() -> str:
    return new_secret()


@pytest.fixture
def receiver(secret: str):
    server = webhook_receiver(secret)
    yield server
    server.close()


@pytest.fixture
def client():
    # generous: these tests are about delivery, not timeouts (their own short clients
    # test those); a 1-s timeout was missed under CI's two passes on two cores
    with httpx.Client(timeout=15.0) as c:
        yield c


def test_standard_webhooks_reference_vector() -> None:
    # Test vector of the Standard Webhooks reference libraries
    # (github.com/standard-webhooks/standard-webhooks, the libraries' unit tests).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    headers = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
               "webhook-signature": f"v1,bogus {sig}"}  # fmt: skip
    assert verify(secret, headers, body, now=1614265330 + 10) == {"test": 2432232314}


def test_verify_refuses_tampering_replay_and_missing_headers(secret: str) -> None:
    body, now = b'{"a":1}', int(time.time())
    headers = {
        "webhook-id": "m",
        "webhook-timestamp": str(now),
        "webhook-signature": sign(secret, "m", now, body),
    }
    assert verify(secret, headers, body) == {"a": 1}
    with pytest.raises(WebhookVerificationError, match="no webhook signature"):
        verify(secret, headers, b'{"a":2}')
    with pytest.raises(WebhookVerificationError, match="no webhook signature"):
        verify(new_secret(), headers, body)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify(secret, headers, body, now=now + 301)
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify(secret, {"webhook-id": "m"}, body)


def test_delivery_verified_by_local_receiver(receiver, secret, client) -> None:
    channel = WebhookChannel({ENV: secret}, client)
    receipt = channel.send(_note(receiver.url + "/hook"))
    assert receipt.status_code == 200
    (req,) = receiver.requests
    assert req.path == "/hook" and req.headers["webhook-id"] == "k1:0"
    doc = json.loads(req.body)
    assert doc["type"] == "alert.triggered" and doc["data"]["value"] == 25100.0
    assert req.body == body_of(_note(receiver.url))


def test_wrong_secret_is_refused_by_receiver_as_permanent(receiver, client) -> None:
    channel = WebhookChannel({ENV: new_secret()}, client)
    with pytest.raises(PermanentDeliveryError, match="HTTP 401"):
        channel.send(_note(receiver.url))
    assert receiver.requests == []


def test_missing_secret_variable_is_permanent(receiver, client) -> None:
    with pytest.raises(PermanentDeliveryError, match=ENV):
        WebhookChannel({}, client).send(_note(receiver.url))


@pytest.mark.parametrize(
    ("reply", "kind", "retry_after"),
    [
        (Reply(500), TransientDeliveryError, None),
        (Reply(503, headers={"Retry-After": "7"}), TransientDeliveryError, 7.0),
        (Reply(429, headers={"Retry-After": "3"}), TransientDeliveryError, 3.0),
        (Reply(408), TransientDeliveryError, None),
        (Reply(400), PermanentDeliveryError, None),
        (Reply(404), PermanentDeliveryError, None),
        (Reply(410), PermanentDeliveryError, None),
    ],
)
def test_status_codes_map_to_typed_errors(
    receiver, secret, client, reply, kind, retry_after
) -> None:
    receiver.script.append(reply)
    with pytest.raises(kind) as info:
        WebhookChannel({ENV: secret}, client).send(_note(receiver.url))
    if kind is TransientDeliveryError:
        assert info.value.retry_after == retry_after


def test_timeout_and_refused_connection_are_transient(receiver, secret) -> None:
    receiver.script.append(Reply(200, delay=1.0))
    with (
        httpx.Client(timeout=0.2) as short,
        pytest.raises(TransientDeliveryError, match="timed out"),
    ):
        WebhookChannel({ENV: secret}, short).send(_note(receiver.url))
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with httpx.Client(timeout=1.0) as c, pytest.raises(TransientDeliveryError, match="reached"):
        WebhookChannel({ENV: secret}, c).send(_note(f"http://127.0.0.1:{port}/x"))


def test_secret_never_in_logs_or_errors(receiver, secret, client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    channel = WebhookChannel({ENV: secret}, client)
    channel.send(_note(receiver.url))
    receiver.script.append(Reply(400, body={"echo": secret}))
    with pytest.raises(PermanentDeliveryError) as info:
        channel.send(_note(receiver.url))
    raw = secret.removeprefix("whsec_")
    assert raw not in str(info.value) and raw not in caplog.text
