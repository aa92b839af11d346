"""Local servers on 127.0.0.1 for the delivery tests: a scripted HTTP endpoint (webhook
receiver verifying signatures, Telegram Bot API, Twilio Messages API) and an SMTP server.

Nothing here stands in for our code: these are the far ends our channels talk to, with
failures injected on demand (status codes, Retry-After, delays past the client timeout).
"""

from __future__ import annotations

import base64
import json
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from optionsintel.delivery.webhook import verify
from optionsintel.errors import WebhookVerificationError


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class FakeHTTP:
    """A threaded HTTP server recording every POST and answering from a script.

    ``script`` replies are used in order, then ``default``; ``check`` may turn a request
    into an error reply (e.g. a bad signature or token -> 401).
    """

    def __init__(self, check: Callable[[Request], Reply | None] | None = None) -> None:
        self.requests: list[Request] = []
        self.script: list[Reply] = []
        self.default = Reply(200, {"ok": True})
        self.check = check
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                req = Request(
                    self.path, dict(self.headers.items()), self.rfile.read(length), time.time()
                )
                reply = outer._answer(req)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = json.dumps(reply.body if reply.body is not None else {}).encode()
                self.send_response(reply.status)
                for k, v in {"content-type": "application/json", **reply.headers}.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _answer(self, req: Request) -> Reply:
        bad = self.check(req) if self.check else None
        with self._lock:
            if bad is None:
                self.requests.append(req)
            if bad is not None:
                return bad
            return self.script.pop(0) if self.script else self.default

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def webhook_receiver(secret: str) -> FakeHTTP:
    """A receiver that accepts only correctly signed, fresh webhooks (401 otherwise)."""

    def check(req: Request) -> Reply | None:
        try:
            verify(secret, req.headers, req.body)
        except WebhookVerificationError as exc:
            return Reply(401, {"error": str(exc)})
        return None

    return FakeHTTP(check)


def telegram_api(token: str) -> FakeHTTP:
    """The Bot API's sendMessage: the token must match the path."""

    def check(req: Request) -> Reply | None:
        if req.path != f"/bot{token}/sendMessage":
            return Reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        return None

    server = FakeHTTP(check)
    server.default = Reply(200, {"ok": True, "result": {"message_id": 1}})
    return server


def twilio_api(sid: str, token: str) -> FakeHTTP:
    """Twilio's Messages.json: basic auth must carry the account SID and token."""
    expected = "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()

    def check(req: Request) -> Reply | None:
        if req.path != f"/2010-04-01/Accounts/{sid}/Messages.json":
            return Reply(404, {"code": 20404, "message": "not found", "status": 404})
        if req.headers.get("Authorization") != expected:
            return Reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
        return None

    server = FakeHTTP(check)
    server.default = Reply(201, {"sid": "SM1", "status": "queued"})
    return server


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost made by the openssl command line."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key
