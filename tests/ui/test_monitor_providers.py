"""One provider per monitor view: synthetic and replay rows of the same day never mix.

The demo store holds a synthetic NIFTY day (2025-07-15, a snapshot every 5 minutes, with
signals). The fixture adds, for the same day, a copy of it labelled "replay" that differs
in every panel's numbers (spot +500, OI doubled, snapshots one minute later, so it is the
latest provider of the day), and support/resistance levels of both providers for the
trade date before (replay's +500).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from optionsintel.store import Store, reads
from optionsintel.store.schema import metadata
from optionsintel.tz import EXCHANGE_TZ
from optionsintel.ui import build_analytics_report, build_market_monitor, panels

DAY, BEFORE = dt.date(2025, 7, 15), dt.date(2025, 7, 14)
START = pd.Timestamp(DAY, tz=EXCHANGE_TZ)
END = START + pd.Timedelta(days=1, microseconds=-1)


def _copies(store: Store) -> dict[str, list[pd.DataFrame]]:
    """The synthetic rows of DAY relabelled 'replay' and visibly different, plus levels."""
    kw = {"provider": "synthetic", "underlying": "NIFTY", "start": START, "end": END}
    quotes = reads.read_quotes(store, **kw)
    quotes["ltp"] += 500.0
    chain = reads.read_chain_snapshots(store, **kw)
    chain["underlying_price"] += 500.0
    chain["oi"] *= 2.0
    signals = reads.read_signals(store, **kw)
    own_signals = signals.iloc[:0]
    if signals.empty:  # the demo day fired nothing: plant one synthetic signal to tell apart
        own_signals = _planted_signal(chain)
        signals = own_signals.copy()
    for frame in (quotes, chain, signals):
        frame["snapshot_ts"] += pd.Timedelta(minutes=1)
        frame["provider"] = "replay"
    own = reads.read_levels(store, provider="synthetic", underlying="NIFTY", start=DAY, end=DAY)
    own["trade_date"] = pd.Timestamp(BEFORE)
    other = own.assign(provider="replay", level=own["level"] + 500.0)
    out = {"underlying_quotes": [quotes], "option_chain_snapshots": [chain],
           "signals": [own_signals, signals],
           "support_resistance_levels": [own, other]}  # fmt: skip
    return {k: [f.drop(columns="ingested_at", errors="ignore") for f in v if len(f)]
            for k, v in out.items()}  # fmt: skip


def _planted_signal(chain: pd.DataFrame) -> pd.DataFrame:
    """One synthetic MAX_PAIN signal at the day's first snapshot (nearest expiry)."""
    first = chain.loc[chain["snapshot_ts"] == chain["snapshot_ts"].min()]
    return pd.DataFrame({
        "underlying": ["NIFTY"], "snapshot_ts": [first["snapshot_ts"].iloc[0]],
        "expiry": [first["expiry"].min()], "signal_type": ["MAX_PAIN"], "confidence": [61.0],
        "strength": ["MODERATE"], "strikes": [[]], "supporting": [{"planted": True}],
        "provider": ["synthetic"],
    })  # fmt: skip


@pytest.fixture
def mixed_store(demo_scratch_store: Store):
    demo_store = demo_scratch_store  # rows are planted: never in the read-only demo store
    copies = _copies(demo_store)
    assert all(len(f) for frames in copies.values() for f in frames), {
        k: [len(f) for f in v] for k, v in copies.items()
    }
    with demo_store.transaction() as tx:
        for table, frames in copies.items():
            for frame in frames:
                tx.write(table, frame)
    yield demo_store
    with demo_store.engine.begin() as conn:  # leave the demo store as it was
        for name in ("underlying_quotes", "option_chain_snapshots", "signals"):
            t = metadata.tables[name]
            conn.execute(sa.delete(t).where(t.c.provider == "replay", t.c.snapshot_ts >= START,
                                            t.c.snapshot_ts <= END))  # fmt: skip
        t = metadata.tables["signals"]
        conn.execute(sa.delete(t).where(t.c.supporting["planted"].as_boolean()))
        t = metadata.tables["support_resistance_levels"]
        conn.execute(sa.delete(t).where(t.c.trade_date == BEFORE))


def _other(provider: str) -> str:
    return {"replay": "synthetic", "synthetic": "replay"}[provider]


def _assert_view_is(app, store: Store, provider: str) -> None:
    """Every panel shows ``provider``'s data only and says so."""
    assert app.state == "ok", app.message
    assert app.provider == provider
    at = pd.Timestamp(app.at)
    tag = f"provider: {provider}"
    # chain table and headline cards
    assert tag in app.chain_table.value and _other(provider) not in app.chain_table.value
    assert "Provider" in app.cards.value and provider in app.cards.value
    quote = reads.read_quotes(store, provider=provider, underlying="NIFTY", start=at, end=at)
    assert len(quote) == 1 and f"{quote['ltp'].iloc[0]:,.2f}" in app.cards.value
    # OI bars equal the provider's as-of chain
    chain = reads.read_chain_as_of(store, "NIFTY", at, provider=provider, expiry=app.expiry)
    calls = chain.loc[chain["option_type"] == "CE"].set_index("strike")["oi"]
    strikes = list(app.oi_chart.data[0].x)
    assert list(app.oi_chart.data[0].y) == pytest.approx(calls.reindex(strikes).tolist(),
                                                         nan_ok=True)  # fmt: skip
    # the intraday series only has the provider's snapshot instants
    shown = pd.DatetimeIndex(app.intraday_chart.data[0].x)
    times = reads.read_quote_times(store, provider=provider, underlying="NIFTY")
    own = set(times.tz_convert(EXCHANGE_TZ).tz_localize(None))
    assert len(shown) >= 2 and set(shown) <= own
    # every chart names the provider
    titles = [fig.layout.title.text for fig in app._figures()]
    assert all(title.endswith(tag) for title in titles), titles
    assert all(f["layout"]["title"]["text"].endswith(tag) for f in app.charts.figures)
    # signals: exactly the provider's latest signals up to the instant
    mine = reads.read_signals(store, provider=provider, underlying="NIFTY", end=at, limit=15)
    assert not mine.empty and app.signals_panel.value == panels.signals_html(mine)
    assert tag in app.signals_title.value
    # levels: the provider's stored levels are listed, the other's are not
    own_levels = reads.read_levels_in_force(store, "NIFTY", app.day, provider=provider)
    other_levels = reads.read_levels_in_force(store, "NIFTY", app.day, provider=_other(provider))
    assert not own_levels.empty and tag in app.levels_title.value
    for level in own_levels["level"]:
        assert f">{panels.fmt_number(level, 1)}<" in app.levels_panel.value
    for level in set(other_levels["level"]) - set(own_levels["level"]):
        assert f">{panels.fmt_number(level, 1)}<" not in app.levels_panel.value


def test_default_is_the_latest_provider_and_is_said_to_be_resolved(mixed_store: Store):
    app = build_market_monitor(mixed_store, autostart=False)
    app.day_select.value = DAY.isoformat()
    assert [v for _, v in app.provider_select.options] == ["replay", "synthetic"]
    assert app.provider_resolved and "resolved" in app.provider_note.value
    assert "also stored: synthetic" in app.provider_note.value
    _assert_view_is(app, mixed_store, "replay")
    assert "resolved" in app.cards.value


def test_switching_the_provider_switches_every_panel(mixed_store: Store):
    app = build_market_monitor(mixed_store, autostart=False)
    app.day_select.value = DAY.isoformat()
    app.provider_select.value = "synthetic"
    assert not app.provider_resolved and "chosen" in app.provider_note.value
    _assert_view_is(app, mixed_store, "synthetic")
    app.time_slider.value = app.time_slider.options[20][1]  # another instant, same provider
    _assert_view_is(app, mixed_store, "synthetic")
    app.provider_select.value = "replay"
    _assert_view_is(app, mixed_store, "replay")
    # a chosen provider the next day does not offer gives way to the resolved one
    app.provider_select.value = "synthetic"
    app.day_select.value = "2025-07-16"
    assert app.provider == "replay" and app.provider_resolved
    app.reset()  # back to live: the latest day, its provider resolved
    assert app.provider_resolved and app.day == "2025-07-17" and app.provider == "replay"


def test_analytics_report_names_the_price_provider(demo_store: Store):
    # the demo store holds a year of synthetic NIFTY bars and two replay bars
    app = build_analytics_report(demo_store)
    app.symbols, app.benchmark = ("NIFTY",), ""
    assert app.generate() is not None, app.message
    assert app.price_providers == {"NIFTY": "synthetic"}
    assert "provider: synthetic" in app.cards.value
