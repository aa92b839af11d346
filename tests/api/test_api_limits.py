"""Rate limits and quotas answer 429/403 with bodies saying which limit and when it resets."""

from __future__ import annotations

import pandas as pd

from accounts_helpers import auth, user_with_key
from optionsintel.auth import TIER_QUOTAS, Tier
from optionsintel.services import quotas
from optionsintel.services.quotas import RateLimiter


def test_token_bucket_answers_429_with_retry_after(client, accounts) -> None:
    key = user_with_key(accounts, "free", tier="FREE")
    client.app.state.ctx.limiter = RateLimiter(clock=lambda: 0.0)  # frozen: no refill
    burst = TIER_QUOTAS[Tier.FREE].burst
    codes = [client.get("/api/v2/version", headers=auth(key)).status_code
             for _ in range(burst + 1)]  # fmt: skip
    assert codes[:burst] == [200] * burst and codes[-1] == 429
    r = client.get("/api/v2/version", headers=auth(key))
    body = r.json()
    assert r.status_code == 429 and body["code"] == "rate_limited"
    assert body["details"]["limit"] == "requests_per_second"
    assert body["details"]["burst"] == burst and int(r.headers["retry-after"]) >= 1


def test_daily_quota_answers_429_with_reset(client, accounts, monkeypatch) -> None:
    small = dict(TIER_QUOTAS)
    small[Tier.PRO] = TIER_QUOTAS[Tier.PRO].__class__(2, 1, 1, 1, 1, 100, 100)
    monkeypatch.setattr(quotas, "TIER_QUOTAS", small)
    key = user_with_key(accounts, "pro", tier="PRO")
    assert [client.get("/api/v2/version", headers=auth(key)).status_code
            for _ in range(2)] == [200, 200]  # fmt: skip
    r = client.get("/api/v2/version", headers=auth(key))
    body = r.json()
    assert r.status_code == 429 and body["code"] == "quota_exceeded"
    d = body["details"]
    assert (d["limit"], d["tier"], d["allowed"], d["used"]) == ("api_calls_per_day", "PRO", 2, 2)
    reset = pd.Timestamp(d["resets_at"])
    assert d["resets_at"].endswith("T00:00:00+05:30") and reset > pd.Timestamp.now(tz="UTC")
    assert 0 < int(r.headers["retry-after"]) <= 86_400


def test_me_reports_usage(client, accounts) -> None:
    key = user_with_key(accounts, "vip", tier="VIP")
    for _ in range(3):
        client.get("/api/v2/version", headers=auth(key))
    me = client.get("/api/v2/me", headers=auth(key)).json()
    assert me["api_calls_today"] == 4 and me["quota"]["api_calls_per_day"] == 200_000


def test_counted_limit_answers_403_saying_which_limit(accounts) -> None:
    """A create beyond a tier's holding (future pattern/alert routers) maps to 403."""
    from fastapi.testclient import TestClient

    from accounts_helpers import SECRET
    from optionsintel.api import create_app
    from optionsintel.services.quotas import check_allowance

    app = create_app(accounts, secret=SECRET)

    @app.post("/api/v2/_alerts_probe")
    def probe() -> None:
        check_allowance(Tier.FREE, "alerts", current=5)

    r = TestClient(app).post("/api/v2/_alerts_probe")
    body = r.json()
    assert r.status_code == 403 and body["code"] == "quota_exceeded"
    assert body["details"] == {"limit": "alerts", "tier": "FREE", "allowed": 5, "used": 5,
                               "resets_at": None}  # fmt: skip
    assert "retry-after" not in r.headers
