"""Provider health over the day: bucketed numbers by hand and the admin Data chart."""

import math

import pandas as pd

from optionsintel.services import admin_health as health
from optionsintel.services import user_settings as us
from optionsintel.ui.admin import AdminApp
from optionsintel.ui.theme import local_identity

BASE = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(hours=2)).floor("h")


def _metrics():
    rows = [  # provider, minutes after BASE, requests, failures, avg, p95, breaker
        ("nse", 0, 10, 1, 100.0, 200.0, "CLOSED"),
        ("nse", 5, 30, 3, 200.0, 400.0, "closed"),
        ("nse", 20, 5, 5, None, None, "OPEN"),
        ("nse", 35, 0, 0, None, None, "half_open"),
        ("replay", 0, 4, 0, 50.0, 60.0, "CLOSED"),
    ]
    return pd.DataFrame([{"provider": p, "ts": BASE + pd.Timedelta(minutes=m), "requests": r,
                          "successes": r - f, "failures": f, "avg_latency_ms": a,
                          "p95_latency_ms": p95, "breaker_state": b, "last_error": None}
                         for p, m, r, f, a, p95, b in rows])  # fmt: skip


def test_timeline_buckets_by_hand():
    t = health.provider_timeline(_metrics(), "15min")
    nse = t[t["provider"] == "nse"].reset_index(drop=True)
    assert nse["ts"].tolist() == [BASE + pd.Timedelta(minutes=m) for m in (0, 15, 30)]
    assert nse["requests"].tolist() == [40, 5, 0] and nse["failures"].tolist() == [4, 5, 0]
    assert nse.loc[0, "error_rate_%"] == 10.0 and nse.loc[1, "error_rate_%"] == 100.0
    assert math.isnan(nse.loc[2, "error_rate_%"])  # no requests: no rate, not 0 %
    assert nse.loc[0, "avg_latency_ms"] == (10 * 100 + 30 * 200) / 40  # request-weighted: 175
    assert nse.loc[0, "p95_latency_ms"] == 400.0 and math.isnan(nse.loc[1, "avg_latency_ms"])
    assert nse["breaker_state"].tolist() == ["closed", "open", "half_open"]
    assert nse["breaker_level"].tolist() == [0, 2, 1]
    assert health.provider_timeline(_metrics().iloc[:0]).empty


def test_data_panel_charts_latency_errors_and_breaker_over_the_day(clean_store):
    clean_store.write("data_source_metrics", _metrics())
    app = AdminApp(clean_store, local_identity(), us.UserSettings(colour_scheme="dark"),
                   dagster_url="http://127.0.0.1:9", process_urls={})  # fmt: skip
    fig = app.provider_figure
    traces = {t.name: t for t in fig.data}
    assert set(traces) == {f"{p} {k}" for p in ("nse", "replay")
                           for k in ("avg", "p95", "errors", "breaker")}  # fmt: skip
    assert list(traces["nse errors"].y[:2]) == [10.0, 100.0]
    assert list(traces["nse breaker"].y) == [0, 2, 1]
    assert list(traces["nse breaker"].text) == ["closed", "open", "half_open"]  # hover: state
    assert traces["nse avg"].text is None and traces["nse errors"].text is None
    assert list(traces["nse avg"].y[:1]) == [175.0] and list(traces["replay p95"].y) == [60.0]
    assert traces["nse breaker"].yaxis == "y3" and traces["nse breaker"].line.shape == "hv"
    assert list(fig.layout.yaxis3.ticktext) == ["closed", "half open", "open"]
    assert traces["nse avg"].line.color == traces["nse breaker"].line.color
    assert fig.layout.template.layout.paper_bgcolor == "rgb(17,17,17)"
    assert "oi-admin-error" not in "".join(
        getattr(c, "value", "") for c in app.panes["Data"].children
    )
