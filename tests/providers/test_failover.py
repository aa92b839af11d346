"""FailoverProvider: order, skipping, health counters, synthetic gating, factory."""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import pytest

from optionsintel.errors import ConfigurationError
from optionsintel.frames import QUOTE_COLUMNS
from optionsintel.providers.base import (
    MarketDataProvider,
    NoDataError,
    TransientProviderError,
)
from optionsintel.providers.failover import (
    HEALTH_COLUMNS,
    METRICS_COLUMNS,
    AllProvidersFailedError,
    FailoverProvider,
)
from optionsintel.providers.registry import ProviderConfig, build_provider
from optionsintel.providers.resilience import RetryPolicy
from optionsintel.providers.status import providers_status
from optionsintel.settings import Settings

T0 = dt.datetime(2025, 7, 16, 4, 0, tzinfo=dt.UTC)


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


class FakeProvider:
    def __init__(
        self, name, clock, *, fail=0, error=TransientProviderError, latency=0.01, label=None
    ):
        self.name = name
        self.clock = clock
        self.fail = fail  # number of calls that fail (-1: always)
        self.error = error
        self.latency = latency
        self.label = label or name
        self.calls = 0

    def _frame(self, underlying):
        self.calls += 1
        self.clock.t += self.latency
        if self.fail == -1 or self.calls <= self.fail:
            raise self.error(f"{self.name} down")
        row = dict.fromkeys(QUOTE_COLUMNS, 1.0)
        row.update(
            underlying=underlying,
            provider=self.label,
            snapshot_ts=T0,
            exchange_ts=T0,
            ingested_at=T0,
        )
        return pd.DataFrame([row], columns=list(QUOTE_COLUMNS))

    def get_quote(self, underlying):
        return self._frame(underlying)

    def get_option_chain(self, underlying, expiry=None):
        return self._frame(underlying)

    def get_candles(self, symbol, interval, start, end):
        return self._frame(symbol)


def make(providers, clock, **kw):
    kw.setdefault("allow_synthetic_fallback", False)
    kw.setdefault("retry_policy", RetryPolicy(max_attempts=1))
    kw.setdefault("cache_ttl", 0)
    return FailoverProvider(providers, clock=clock, sleep=clock.sleep, wall_clock=lambda: T0, **kw)


def test_is_a_market_data_provider():
    clock = FakeClock()
    assert isinstance(make([FakeProvider("nse", clock)], clock), MarketDataProvider)


def test_first_healthy_provider_answers_in_order():
    clock = FakeClock()
    a, b = FakeProvider("nse", clock, fail=-1), FakeProvider("angelone", clock)
    fo = make([a, b], clock)
    out = fo.get_quote("NIFTY")
    assert out["provider"].tolist() == ["angelone"]
    assert out.attrs["fallback"] is False
    h = fo.health().set_index("provider")
    assert list(fo.health().columns) == list(HEALTH_COLUMNS)
    assert h.loc["nse", "failures"] == 1 and h.loc["nse", "consecutive_failures"] == 1
    assert h.loc["angelone", "successes"] == 1 and h.loc["angelone", "requests"] == 1
    assert "nse down" in h.loc["nse", "last_error"]
    assert h.loc["angelone", "latency_last_ms"] == pytest.approx(10.0)


def test_open_breaker_is_skipped_and_recovers():
    clock = FakeClock()
    a, b = FakeProvider("nse", clock, fail=2), FakeProvider("angelone", clock)
    fo = make([a, b], clock, failure_threshold=2, recovery_timeout=30)
    fo.get_quote("NIFTY")
    fo.get_quote("NIFTY")
    assert fo.breaker_states()["nse"] == "open"
    fo.get_quote("NIFTY")
    assert a.calls == 2  # skipped while open
    clock.t += 30
    assert fo.breaker_states()["nse"] == "half_open"
    out = fo.get_quote("NIFTY")
    assert out["provider"].iloc[0] == "nse" and a.calls == 3
    assert fo.breaker_states()["nse"] == "closed"
    assert fo.health().set_index("provider").loc["nse", "consecutive_failures"] == 0


def test_retries_transient_before_failing_over():
    clock = FakeClock()
    a, b = FakeProvider("nse", clock, fail=1), FakeProvider("angelone", clock)
    fo = make([a, b], clock, retry_policy=RetryPolicy(max_attempts=2, base_delay=0.1, seed=3))
    assert fo.get_quote("NIFTY")["provider"].iloc[0] == "nse"
    assert a.calls == 2 and b.calls == 0


def test_no_data_is_not_a_breaker_failure():
    clock = FakeClock()
    a = FakeProvider("nse", clock, fail=-1, error=NoDataError)
    fo = make([a, FakeProvider("angelone", clock)], clock, failure_threshold=1)
    assert fo.get_quote("XYZ")["provider"].iloc[0] == "angelone"
    assert fo.breaker_states()["nse"] == "closed"


def test_all_fail_without_fallback_raises_listing_each():
    clock = FakeClock()
    fo = make(
        [FakeProvider("nse", clock, fail=-1), FakeProvider("angelone", clock, fail=-1)], clock
    )
    with pytest.raises(AllProvidersFailedError, match=r"nse: .*angelone: ") as info:
        fo.get_quote("NIFTY")
    assert set(info.value.errors) == {"nse", "angelone"}


def test_synthetic_fallback_only_when_enabled(caplog):
    clock = FakeClock()
    synth = FakeProvider("synthetic", clock)
    fo = make([FakeProvider("nse", clock, fail=-1)], clock, synthetic_provider=synth)
    with pytest.raises(AllProvidersFailedError):
        fo.get_quote("NIFTY")
    assert synth.calls == 0
    fo = make(
        [FakeProvider("nse", clock, fail=-1)],
        clock,
        allow_synthetic_fallback=True,
        synthetic_provider=lambda: synth,
    )
    with caplog.at_level(logging.WARNING, logger="optionsintel.providers.failover"):
        out = fo.get_quote("NIFTY")
    assert out.attrs["fallback"] is True
    assert (out["provider"] == "synthetic").all()
    assert any("SYNTHETIC" in r.message and r.levelno == logging.WARNING for r in caplog.records)


def test_synthetic_factory_is_built_once_on_first_fallback():
    clock = FakeClock()
    synth = FakeProvider("synthetic", clock)
    built: list[FakeProvider] = []

    def factory() -> FakeProvider:
        built.append(synth)
        return synth

    fo = make(
        [FakeProvider("nse", clock, fail=-1)],
        clock,
        allow_synthetic_fallback=True,
        synthetic_provider=factory,
    )
    assert built == []
    fo.get_quote("NIFTY")
    fo.get_quote("BANKNIFTY")
    assert len(built) == 1
    assert synth.calls == 2


def test_fallback_reads_settings_flag():
    clock = FakeClock()
    synth = FakeProvider("synthetic", clock)
    fo = build_provider(
        "failover",
        ProviderConfig.from_settings(Settings(allow_synthetic_fallback=True)),
        chain=[FakeProvider("nse", clock, fail=-1)],
        synthetic_provider=synth,
        clock=clock,
        cache_ttl=0,
        retry_policy=RetryPolicy(max_attempts=1),
    )
    assert fo.get_quote("NIFTY").attrs["fallback"] is True
    # the flag is resolved once by the caller: the chain itself reads no settings
    assert not FailoverProvider([FakeProvider("nse", clock)]).allow_synthetic_fallback


def test_synthetic_in_chain_requires_opt_in():
    clock = FakeClock()
    with pytest.raises(ConfigurationError, match="synthetic"):
        make([FakeProvider("nse", clock), FakeProvider("synthetic", clock)], clock)
    fo = make(
        [FakeProvider("synthetic", clock), FakeProvider("nse", clock)],
        clock,
        allow_synthetic_fallback=True,
    )
    # even listed first, synthetic is only the last resort
    assert fo.get_quote("NIFTY")["provider"].iloc[0] == "nse"


def test_real_and_synthetic_never_mixed():
    clock = FakeClock()
    # a "real" provider leaking synthetic rows is treated as failed
    leaky = FakeProvider("nse", clock, label="synthetic")
    fo = make([leaky, FakeProvider("angelone", clock)], clock)
    out = fo.get_quote("NIFTY")
    assert set(out["provider"]) == {"angelone"}
    # a fallback leaking real rows is refused
    bad_synth = FakeProvider("synthetic", clock, label="nse")
    fo = make(
        [FakeProvider("nse", clock, fail=-1)],
        clock,
        allow_synthetic_fallback=True,
        synthetic_provider=bad_synth,
    )
    with pytest.raises(Exception, match="entirely synthetic"):
        fo.get_quote("NIFTY")


def test_cache_serves_repeat_calls_for_15_seconds():
    clock = FakeClock()
    a = FakeProvider("nse", clock, latency=0.0)
    fo = make([a], clock, cache_ttl=15.0)
    first = fo.get_quote("NIFTY")
    first.loc[0, "ltp"] = -1.0  # caller mutations do not reach the cache
    assert fo.get_quote("NIFTY")["ltp"].iloc[0] == 1.0
    fo.get_quote("BANKNIFTY")
    assert a.calls == 2
    clock.t += 15
    fo.get_quote("NIFTY")
    assert a.calls == 3


def test_metrics_sink_receives_store_columns():
    clock = FakeClock()
    frames = []
    fo = make(
        [FakeProvider("nse", clock, fail=1), FakeProvider("angelone", clock)],
        clock,
        metrics_sink=frames.append,
        metrics_interval=0,
    )
    fo.get_quote("NIFTY")
    fo.get_quote("NIFTY")
    assert len(frames) == 2
    m = frames[-1].set_index("provider")
    assert list(frames[-1].columns) == list(METRICS_COLUMNS)
    assert m.loc["nse", "requests"] == 2 and m.loc["nse", "failures"] == 1
    assert m.loc["nse", "breaker_state"] == "closed"
    assert (
        str(frames[-1]["ts"].dtype) == "datetime64[ns, UTC]" or frames[-1]["ts"].dt.tz is not None
    )


def test_metrics_interval_throttles_sink():
    clock = FakeClock()
    frames = []
    fo = make(
        [FakeProvider("nse", clock, latency=0)],
        clock,
        metrics_sink=frames.append,
        metrics_interval=60,
    )
    for _ in range(5):
        fo.get_quote("NIFTY")
    assert len(frames) == 1
    clock.t += 60
    fo.get_quote("NIFTY")
    assert len(frames) == 2


def test_latency_percentiles():
    clock = FakeClock()
    a = FakeProvider("nse", clock)
    fo = make([a], clock)
    for lat in [0.01, 0.02, 0.03, 0.04, 0.1]:
        a.latency = lat
        fo.get_quote("NIFTY")
    h = fo.health().iloc[0]
    assert h["latency_p50_ms"] == pytest.approx(30.0)
    assert h["latency_p95_ms"] == pytest.approx(88.0)
    assert h["latency_last_ms"] == pytest.approx(100.0)


def test_providers_status_probe_and_health():
    clock = FakeClock()
    fo = make([FakeProvider("nse", clock, fail=-1), FakeProvider("angelone", clock)], clock)
    st = providers_status(fo, probe=True)
    assert list(st["provider"]) == ["nse", "angelone"]
    assert st.set_index("provider").loc["angelone", "successes"] == 1
    assert st.set_index("provider").loc["nse", "failures"] == 1
    assert providers_status(fo)["requests"].tolist() == [1, 1]


def test_factory_unknown_name():
    with pytest.raises(ConfigurationError, match="unknown provider"):
        build_provider("bloomberg", ProviderConfig.from_settings(Settings()))  # type: ignore[arg-type]


def test_factory_failover_with_given_providers():
    clock = FakeClock()
    fo = build_provider("failover", ProviderConfig(), chain=[FakeProvider("nse", clock)])
    assert isinstance(fo, FailoverProvider) and not fo.allow_synthetic_fallback
    assert fo.get_quote("NIFTY")["provider"].iloc[0] == "nse"


def test_factory_builds_nse_lazily():
    pytest.importorskip("optionsintel.providers.nse")
    p = build_provider("nse", ProviderConfig())
    assert p.name == "nse"


def test_factory_builds_synthetic_and_replay():
    pytest.importorskip("optionsintel.synthetic")
    s = ProviderConfig.from_settings(Settings(synthetic_seed=11))
    synth = build_provider("synthetic", s)
    assert synth.market.seed == 11  # type: ignore[attr-defined]
    assert synth.name == "synthetic"
    assert (synth.get_quote("NIFTY")["provider"] == "synthetic").all()
    pytest.importorskip("optionsintel.providers.replay")
    assert build_provider("replay", s).name == "replay"


def test_failover_with_real_synthetic_provider_never_mixes():
    pytest.importorskip("optionsintel.synthetic")
    clock = FakeClock()
    s = ProviderConfig(allow_synthetic_fallback=True)
    fo = build_provider(
        "failover", s, chain=[FakeProvider("nse", clock, fail=-1)], cache_ttl=0,
        retry_policy=RetryPolicy(max_attempts=1), clock=clock,
    )  # fmt: skip
    out = fo.get_option_chain("NIFTY")
    assert out.attrs["fallback"] is True and len(out) > 0
    assert set(out["provider"]) == {"synthetic"}
