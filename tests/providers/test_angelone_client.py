"""SmartAPI session: TOTP, login/refresh/re-login, envelope mapping, rate limits, secrecy."""

from __future__ import annotations

import base64
import logging

import httpx
import numpy as np
import pyotp
import pytest
from _angel_fakes import (
    API_KEY,
    CLIENT,
    FAKE_SECRETS,
    PIN,
    TOTP_SECRET,
    FakeSmartAPI,
    credentials,
    load,
)
from pydantic import SecretStr

from optionsintel.errors import ConfigurationError
from optionsintel.providers import angelone_client as ac
from optionsintel.providers.angelone import AngelOneProvider
from optionsintel.providers.base import (
    AuthenticationError,
    BlockedError,
    NoDataError,
    ProviderError,
    SchemaDriftError,
    TransientProviderError,
)
from optionsintel.settings import Settings

NOW = 1_700_000_000.0

# RFC 6238 appendix B, SHA-1 column, seed "12345678901234567890" (ASCII), 8 digits
RFC6238_SHA1 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("t", "expected"), RFC6238_SHA1)
def test_totp_rfc6238_vectors(t, expected):
    key = SecretStr(base64.b32encode(b"12345678901234567890").decode())
    assert ac.totp_code(key, t, digits=8) == expected


def make_client(api: FakeSmartAPI, **kw) -> ac.AngelOneClient:
    kw.setdefault("rate_limits", {})
    return ac.AngelOneClient(credentials(), http=api.client(), time_source=lambda: NOW, **kw)


def test_login_uses_six_digit_totp_at_injected_time_and_documented_headers():
    api = FakeSmartAPI()
    client = make_client(api)
    client.post(ac.QUOTE, {"mode": "FULL", "exchangeTokens": {"NSE": ["3045"]}})
    assert api.paths() == ["loginByPassword", "quote"]
    _, headers, body = api.requests[0]
    assert body == {
        "clientcode": CLIENT, "password": PIN, "totp": pyotp.TOTP(TOTP_SECRET).at(int(NOW)),
    }  # fmt: skip
    assert len(body["totp"]) == 6
    assert "authorization" not in headers
    _, headers, body = api.requests[1]
    assert body == load("market_quote_request.json")
    expected = {
        "content-type": "application/json", "accept": "application/json", "x-usertype": "USER",
        "x-sourceid": "WEB", "x-clientlocalip": "127.0.0.1", "x-clientpublicip": "127.0.0.1",
        "x-macaddress": "00:00:00:00:00:00", "x-privatekey": API_KEY,
        "authorization": "Bearer jwt-token",
    }  # fmt: skip
    assert expected.items() <= headers.items()


def test_expired_jwt_is_refreshed_once():
    api = FakeSmartAPI()
    client = make_client(api)
    client.login()
    api.valid_jwt = "example-jwt-token"  # server-side expiry: only the refreshed JWT is valid
    data = client.post(ac.QUOTE, {"mode": "FULL", "exchangeTokens": {"NSE": ["3045"]}})
    assert data["fetched"][0]["symbolToken"] == "3045"
    assert api.paths() == ["loginByPassword", "quote", "generateTokens", "quote"]
    assert api.requests[2][2] == {"refreshToken": "refresh-token"}
    assert api.requests[3][1]["authorization"] == "Bearer example-jwt-token"


def test_failed_refresh_falls_back_to_one_relogin():
    api = FakeSmartAPI()
    client = make_client(api)
    client.login()
    api.valid_jwt = "expired-elsewhere"
    api.refresh_ok = False
    client.post(ac.QUOTE, {"mode": "LTP", "exchangeTokens": {"NSE": ["3045"]}})
    assert api.paths() == ["loginByPassword", "quote", "generateTokens", "loginByPassword", "quote"]


def test_gives_up_after_refresh_and_relogin():
    api = FakeSmartAPI()
    api.reject_all = True
    client = make_client(api)
    with pytest.raises(ac.AngelOneAuthError) as info:
        client.post(ac.QUOTE, {"mode": "LTP", "exchangeTokens": {"NSE": ["3045"]}})
    assert isinstance(info.value, AuthenticationError)
    assert info.value.code == "AG8001"
    assert "fresh login" in str(info.value)
    assert api.paths() == [
        "loginByPassword", "quote", "generateTokens", "quote", "loginByPassword", "quote",
    ]  # fmt: skip


def test_rejected_login_is_an_authentication_error():
    api = FakeSmartAPI()
    api.login_ok = False
    with pytest.raises(AuthenticationError, match="AB1007"):
        make_client(api).post(ac.QUOTE, {})
    assert api.paths() == ["loginByPassword"]


def _env(code, message, status=False, camel=False):
    if camel:
        return {"success": status, "message": message, "errorCode": code, "data": ""}
    return {"status": status, "message": message, "errorcode": code, "data": None}


@pytest.mark.parametrize(
    ("status", "body", "kind", "code"),
    [
        (200, _env("AG8001", "Invalid Token"), ac.AngelOneAuthError, "AG8001"),
        (403, _env("AG8002", "Token Expired", camel=True), ac.AngelOneAuthError, "AG8002"),
        (200, _env("AB1007", "Login Id or password is invalid", status="false"),
         ac.AngelOneAuthError, "AB1007"),
        (200, _env("AB1004", "Something Went Wrong, Please Try After Sometime"),
         ac.AngelOneTransientError, "AB1004"),
        (429, _env("", "Too many requests"), ac.AngelOneTransientError, "HTTP429"),
        (200, _env("AB1009", "Symbol Not Found"), ac.AngelOneNoDataError, "AB1009"),
        (200, _env("AB1008", "Invalid Order Variety"), ac.AngelOneAPIError, "AB1008"),
    ],
)  # fmt: skip
def test_error_envelope_mapping(status, body, kind, code):
    import json

    with pytest.raises(kind) as info:
        ac.parse_envelope(status, json.dumps(body), {})
    assert type(info.value) is kind
    assert info.value.code == code and isinstance(info.value, ProviderError)
    assert info.value.provider == "angelone"


def test_envelope_other_shapes():
    assert ac.parse_envelope(200, '{"status": true, "message": "SUCCESS", "data": [1]}') == [1]
    with pytest.raises(TransientProviderError) as info:
        ac.parse_envelope(
            403, "Access denied because of exceeding access rate", {"Retry-After": "2"}
        )
    assert info.value.retry_after == 2.0
    with pytest.raises(TransientProviderError):
        ac.parse_envelope(502, "<html>bad gateway</html>")
    with pytest.raises(BlockedError):
        ac.parse_envelope(403, "<html><body>challenge</body></html>")
    with pytest.raises(SchemaDriftError, match="data"):
        ac.parse_envelope(200, '{"status": true, "message": "SUCCESS"}')
    with pytest.raises(NoDataError):
        ac.parse_envelope(200, '{"status": false, "errorcode": "AB1018", "message": "x"}')
    # the recorded JS SDK error fixture: status false, no code, no message
    with pytest.raises(ac.AngelOneAPIError, match="no code"):
        ac.parse_envelope(
            200,
            __import__("json").dumps(
                load("smartapi_javascript_test_fixtures_request_response.json")["errorResponse"]
            ),
        )


def test_rate_limits_are_respected_with_fake_clock():
    api = FakeSmartAPI()
    clock = {"t": 0.0}
    stamps = []

    def sleep(s):
        clock["t"] += s

    def quote(body):
        stamps.append(clock["t"])
        return httpx.Response(200, json=load("market_quote_LTP_SBIN-EQ_response.json"))

    api.routes[ac.QUOTE] = quote
    client = ac.AngelOneClient(
        credentials(), http=api.client(), time_source=lambda: NOW,
        clock=lambda: clock["t"], sleep=sleep,
    )  # fmt: skip
    for _ in range(40):
        client.post(ac.QUOTE, {"mode": "LTP", "exchangeTokens": {"NSE": ["3045"]}})
    t = np.array(stamps)
    per_second = np.searchsorted(t, t + 1 - 1e-9) - np.arange(len(t))
    assert per_second.max() <= ac.RATE_LIMITS[ac.QUOTE][0]
    # 40 calls at 10/s: the last ten can start only after three full one-second windows
    # (the sliding-window limiter admits a window's ten at once, then waits)
    assert t[-1] > 3.0 and (t[30:] > 3.0).all()


def test_timeouts_become_transient():
    def handler(request):
        raise httpx.ConnectTimeout("slow", request=request)

    client = ac.AngelOneClient(
        credentials(), http=httpx.Client(transport=httpx.MockTransport(handler)), rate_limits={}
    )
    with pytest.raises(TransientProviderError, match="timed out"):
        client.login()


def test_credentials_from_settings_and_missing_names():
    s = Settings(
        angelone_api_key=API_KEY, angelone_client_code=CLIENT, angelone_pin=PIN,
        angelone_totp_secret=TOTP_SECRET,
    )  # fmt: skip
    creds = ac.AngelOneCredentials.from_settings(s)
    assert creds.api_key.get_secret_value() == API_KEY and creds.client_code == CLIENT
    with pytest.raises(ConfigurationError) as info:
        ac.AngelOneCredentials.from_settings(Settings(angelone_api_key=API_KEY))
    msg = str(info.value)
    assert "OPTIONSINTEL_ANGELONE_PIN" in msg and "OPTIONSINTEL_ANGELONE_TOTP_SECRET" in msg
    assert API_KEY not in msg


def test_secrets_never_leak(caplog):
    api = FakeSmartAPI()
    # a server that echoes the API key and PIN back in its error message
    api.routes[ac.QUOTE] = lambda body: httpx.Response(
        200,
        json={
            "status": False,
            "errorcode": "AB1008",
            "message": f"bad key {API_KEY} pin {PIN}",
            "data": None,
        },
    )
    s = Settings(
        angelone_api_key=API_KEY, angelone_client_code=CLIENT, angelone_pin=PIN,
        angelone_totp_secret=TOTP_SECRET,
    )  # fmt: skip
    provider = AngelOneProvider(
        ac.AngelOneCredentials.from_settings(s),
        http=api.client(),
        time_source=lambda: NOW,
        rate_limits={},
        scrip_master=lambda: None,
    )
    errors = []
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(ac.AngelOneAPIError) as info:
            provider.client.post(ac.QUOTE, {"mode": "LTP", "exchangeTokens": {"NSE": ["3045"]}})
        errors.append(info.value)
        api.login_ok = False
        provider.client._jwt = None
        with pytest.raises(AuthenticationError) as info2:
            provider.client.post(ac.QUOTE, {})
        errors.append(info2.value)
    texts = [
        caplog.text,
        repr(provider),
        str(provider),
        repr(provider.client),
        repr(provider.client.credentials),
        repr(s),
        str(s),
    ]
    texts += [str(e) for e in errors] + [repr(e) for e in errors] + [e.api_message for e in errors]
    for text in texts:
        for secret in FAKE_SECRETS:
            assert secret not in text
    assert "***" in str(errors[0])
