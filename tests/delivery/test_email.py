"""E-mail channel against a local aiosmtpd server: plain, STARTTLS with AUTH, implicit TLS."""

from __future__ import annotations

import logging
import socket
import ssl
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr

from alert_fakes import self_signed_cert
from optionsintel.delivery import EmailChannel, Notification, SmtpConfig
from optionsintel.errors import ConfigurationError, PermanentDeliveryError, TransientDeliveryError

PASSWORD = "s3cret-smtp-pass"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.reject: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@nowhere.invalid"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.reject:
            return self.reject
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted"


def _auth(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    cert, key = self_signed_cert(tmp_path_factory.mktemp("tls"))
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))
    return server_ctx, client_ctx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(inbox, **kw) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), **kw)
    controller.start()
    return controller


def _port(controller: Controller) -> int:
    return int(controller.port)


def _note(to=("desk@example.com",)) -> Notification:
    event = {"rule": "nifty <b>break</b>", "owner": "u", "instrument": "NIFTY", "type": "PRICE",
             "triggered_at": "2025-07-16T04:35:00+00:00",
             "value": 25100.0, "threshold": 25000.0}  # fmt: skip
    return Notification("key:0", "u", "r", "email", event, {"kind": "email", "to": list(to)})


def test_plain_relay_receives_text_and_html() -> None:
    inbox = Inbox()
    controller = _start(inbox)
    try:
        cfg = SmtpConfig("127.0.0.1", _port(controller), "alerts@example.com", security="none")
        assert EmailChannel(cfg).send(_note()).status_code == 250
    finally:
        controller.stop()
    ((rcpt, msg),) = inbox.messages
    assert rcpt == ["desk@example.com"] and msg["From"] == "alerts@example.com"
    assert "NIFTY" in msg["Subject"]
    kinds = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in msg.walk()
        if not part.is_multipart()
    }
    assert "Value:       25,100.00" in kinds["text/plain"]
    assert "&lt;b&gt;break&lt;/b&gt;" in kinds["text/html"]  # values are escaped in HTML


def test_starttls_with_auth(tls, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    server_ctx, client_ctx = tls
    inbox = Inbox()
    controller = _start(inbox, tls_context=server_ctx, require_starttls=True,
                        authenticator=_auth, auth_require_tls=True)  # fmt: skip
    try:
        port = _port(controller)
        good = SmtpConfig("127.0.0.1", port, "a@example.com", user="alerts",
                          password=SecretStr(PASSWORD), ssl_context=client_ctx)  # fmt: skip
        EmailChannel(good).send(_note())
        bad = SmtpConfig("127.0.0.1", port, "a@example.com", user="alerts",
                         password=SecretStr("wrong-" + PASSWORD),
                         ssl_context=client_ctx)  # fmt: skip
        with pytest.raises(PermanentDeliveryError, match="535") as info:
            EmailChannel(bad).send(_note())
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    assert PASSWORD not in str(info.value) and PASSWORD not in caplog.text


def test_implicit_tls(tls) -> None:
    server_ctx, client_ctx = tls
    inbox = Inbox()
    controller = _start(inbox, ssl_context=server_ctx)
    try:
        cfg = SmtpConfig("127.0.0.1", _port(controller), "a@example.com", security="ssl",
                         ssl_context=client_ctx)  # fmt: skip
        EmailChannel(cfg).send(_note())
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


def test_reply_codes_and_connection_failures() -> None:
    inbox = Inbox()
    controller = _start(inbox)
    try:
        cfg = SmtpConfig("127.0.0.1", _port(controller), "a@example.com", security="none")
        with pytest.raises(PermanentDeliveryError, match="550"):
            EmailChannel(cfg).send(_note(to=("x@nowhere.invalid",)))
        inbox.reject = "451 4.3.0 try again later"
        with pytest.raises(TransientDeliveryError, match="451"):
            EmailChannel(cfg).send(_note())
    finally:
        controller.stop()
    refused = SmtpConfig("127.0.0.1", _free_port(), "a@example.com", security="none", timeout=1)
    with pytest.raises(TransientDeliveryError, match="ConnectionRefusedError"):
        EmailChannel(refused).send(_note())


def test_unconfigured_email_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="OPTIONSINTEL_SMTP_HOST"):
        EmailChannel(SmtpConfig("", 25, ""))
