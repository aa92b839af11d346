"""Shared fakes for the Angel One tests: a SmartAPI served by httpx.MockTransport."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from pydantic import SecretStr

from optionsintel.providers import angelone_client as ac

DATA = Path(__file__).resolve().parents[1] / "data" / "angelone"
API_KEY = "APIKEY-SEKRIT-9f3c1d"
PIN = "PIN-ZQX-4711"
TOTP_SECRET = "JBSWY3DPEHPK3PXPSEKRITQ2"  # base32
CLIENT = "A123456"
NOW = 1_700_000_000.0
FAKE_SECRETS = (API_KEY, PIN, TOTP_SECRET)


def load(name: str):
    return json.loads((DATA / name).read_text())


FIXTURES = load("smartapi_javascript_test_fixtures_request_response.json")


def credentials() -> ac.AngelOneCredentials:
    return ac.AngelOneCredentials(
        SecretStr(API_KEY), CLIENT, SecretStr(PIN), SecretStr(TOTP_SECRET)
    )


class FakeSmartAPI:
    """Serves the recorded SDK fixtures; validates JWTs like the real gateway would."""

    def __init__(self) -> None:
        # the JS fixture's login sample carries placeholder tokens (and, oddly, status false);
        # we serve its data inside a success envelope
        self.login_data = FIXTURES["response"]["generatingSession"]["data"]
        self.refresh_body = load("generateTokens_response_PLACEHOLDER_TOKENS.json")
        self.valid_jwt: str | None = None
        self.refresh_ok = True
        self.login_ok = True
        self.reject_all = False
        self.requests: list[tuple[str, dict, dict]] = []
        self.routes: dict[str, object] = {ac.QUOTE: load("market_quote_FULL_SBIN-EQ_response.json")}

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))

    def paths(self) -> list[str]:
        return [p.rsplit("/", 1)[-1] for p, _, _ in self.requests]

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body = json.loads(request.content or b"{}")
        self.requests.append((path, dict(request.headers), body))
        if path == ac.LOGIN:
            if not self.login_ok:
                return httpx.Response(
                    200,
                    json={
                        "status": False,
                        "message": "Login Id or password is invalid",
                        "errorcode": "AB1007",
                        "data": None,
                    },
                )
            self.valid_jwt = self.login_data["jwtToken"]
            return httpx.Response(
                200,
                json={
                    "status": True,
                    "message": "SUCCESS",
                    "errorcode": "",
                    "data": self.login_data,
                },
            )
        if path == ac.GENERATE_TOKENS:
            if not self.refresh_ok:
                return httpx.Response(
                    200,
                    json={
                        "status": False,
                        "message": "Refresh Token Expired",
                        "errorcode": "AB8051",
                        "data": None,
                    },
                )
            self.valid_jwt = self.refresh_body["data"]["jwtToken"]
            return httpx.Response(200, json=self.refresh_body)
        if self.reject_all or request.headers.get("authorization") != f"Bearer {self.valid_jwt}":
            return httpx.Response(
                401,
                json={
                    "success": False,
                    "message": "Invalid Token",
                    "errorCode": "AG8001",
                    "data": "",
                },
            )
        route = self.routes.get(path)
        if callable(route):
            return route(body)
        return httpx.Response(200, json=route)
