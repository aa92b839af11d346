"""Evaluating patterns on the store: the panel from one provider, point in time, no look-ahead."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from optionsintel.errors import RuleDataError
from optionsintel.services import patterns as svc
from optionsintel.services.pattern_panel import (
    _with_expiry_rank,
    anomaly_flags,
    atm_open_interest,
    bar_cutoff,
)
from optionsintel.store import Store
from optionsintel.tz import EXCHANGE_TZ

DAYS = pd.bdate_range("2025-01-01", periods=60).date


def _bars(symbols: dict[str, np.ndarray], days, provider: str = "synthetic") -> pd.DataFrame:
    rows = [
        {
            "symbol": s,
            "trade_date": d,
            "open": c,
            "high": c + 1,
            "low": c - 1,
            "close": c,
            "volume": 1000.0,
            "provider": provider,
        }
        for s, closes in symbols.items()
        for d, c in zip(days, closes, strict=True)
    ]
    return pd.DataFrame(rows)


def _ist(day: dt.date, hh: int, mm: int = 0) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.combine(day, dt.time(hh, mm)), tz=EXCHANGE_TZ)


@pytest.fixture
def history(clean_store: Store) -> Store:
    """AAA rises, BBB falls over the first 30 days; a second provider disagrees."""
    up, down = 100 + np.arange(30.0), 200 - np.arange(30.0)
    clean_store.write("daily_ohlc", _bars({"AAA": up, "BBB": down}, DAYS[:30]))
    clean_store.write("daily_ohlc", _bars({"AAA": down, "BBB": up}, DAYS[:30], "replay"))
    return clean_store


def test_evaluates_one_provider_with_explanations(history: Store) -> None:
    ev = svc.evaluate_pattern(
        history, "close > SMA(5) AND close RISING FOR 3 BARS", provider="synthetic"
    )
    assert ev.provider == "synthetic" and ev.result.matching_symbols() == ["AAA"]
    other = svc.evaluate_pattern(history, "close > SMA(5)", provider="replay")
    assert other.result.matching_symbols() == ["BBB"]  # never a mix of the two
    why = ev.result.why_not("BBB")
    assert [t.text for t in why] == ["close > SMA(5)", "close RISING FOR 3 BARS"]
    trace = ev.result.explain("AAA")[1]
    assert trace.held is True
    np.testing.assert_allclose(trace.values["SMA(5)"], np.mean(100 + np.arange(25.0, 30.0)))


def test_evaluates_a_pinned_version(history: Store) -> None:
    svc.save_pattern(history, "up", "close > SMA(5)", user="alice", name="Up")
    svc.save_pattern(history, "up", "close < SMA(5)", user="alice")
    ev = svc.evaluate_pattern(history, "up@1", provider="synthetic")
    assert ev.pin == "up@1" and ev.result.matching_symbols() == ["AAA"]
    assert svc.evaluate_pattern(
        history, "up@2", provider="synthetic"
    ).result.matching_symbols() == ["BBB"]


def test_no_look_ahead_rows_after_as_of_are_ignored(history: Store) -> None:
    """Bars, reports and signals dated after ``as_of`` change nothing of the result."""
    rule = "close > SMA(5) AND EPS_GROWTH > 10 AND SIGNAL(CALL_BUILDUP, 0.7)"
    as_of = _ist(DAYS[29], 16)
    history.write(
        "equity_fundamentals",
        pd.DataFrame(
            {"symbol": ["AAA"], "as_of": [DAYS[5]], "eps_growth": [0.2], "provider": ["synthetic"]}
        ),
    )
    history.write(
        "signals",
        pd.DataFrame(
            {
                "underlying": ["AAA"],
                "snapshot_ts": [_ist(DAYS[29], 10)],
                "expiry": [DAYS[33]],
                "signal_type": ["CALL_BUILDUP"],
                "confidence": [80.0],
                "strength": ["STRONG"],
                "provider": ["synthetic"],
            }
        ),
    )
    before = svc.evaluate_pattern(history, rule, provider="synthetic", as_of=as_of).result
    assert before.index[-1] == pd.Timestamp(DAYS[29]) and before.matching_symbols() == ["AAA"]

    # the future lands: AAA crashes, a bad report and a signal after as_of
    crash = 129 - 5 * np.arange(1.0, 31.0)
    history.write("daily_ohlc", _bars({"AAA": crash, "BBB": 170 - np.arange(30.0)}, DAYS[30:]))
    history.write(
        "equity_fundamentals",
        pd.DataFrame(
            {
                "symbol": ["AAA"],
                "as_of": [DAYS[30]],
                "eps_growth": [-0.5],
                "provider": ["synthetic"],
            }
        ),
    )
    history.write(
        "signals",
        pd.DataFrame(
            {
                "underlying": ["BBB"],
                "snapshot_ts": [_ist(DAYS[29], 16, 30)],
                "expiry": [DAYS[33]],
                "signal_type": ["CALL_BUILDUP"],
                "confidence": [90.0],
                "strength": ["STRONG"],
                "provider": ["synthetic"],
            }
        ),
    )
    after = svc.evaluate_pattern(history, rule, provider="synthetic", as_of=as_of).result
    pd.testing.assert_frame_equal(after.matches, before.matches)
    assert after.explain("AAA") == before.explain("AAA")
    latest = svc.evaluate_pattern(history, rule, provider="synthetic").result
    assert latest.index[-1] == pd.Timestamp(DAYS[59]) and latest.matching_symbols() == []
    assert latest.explain("AAA")[2].values["EPS_GROWTH"] == pytest.approx(-50.0)


def test_a_bar_counts_only_after_its_session_closed(history: Store) -> None:
    assert bar_cutoff(_ist(DAYS[29], 15, 29)) == DAYS[29] - dt.timedelta(days=1)
    assert bar_cutoff(_ist(DAYS[29], 15, 30)) == DAYS[29]
    mid = svc.evaluate_pattern(history, "close > 0", provider="synthetic", as_of=_ist(DAYS[29], 11))
    assert mid.result.index[-1] == pd.Timestamp(DAYS[28])


def test_known_at_ignores_rows_stored_later(history: Store) -> None:
    with history.engine.connect() as conn:
        import sqlalchemy as sa

        stored_then = conn.execute(sa.text("SELECT now()")).scalar()
    history.write("daily_ohlc", _bars({"CCC": 50 + np.arange(30.0)}, DAYS[:30]))
    universe = ["AAA", "BBB", "CCC"]
    now = svc.evaluate_pattern(history, "close > SMA(5)", provider="synthetic", symbols=universe)
    assert now.result.matching_symbols() == ["AAA", "CCC"]
    then = svc.evaluate_pattern(
        history, "close > SMA(5)", provider="synthetic", symbols=universe, known_at=stored_then
    )
    assert then.result.matching_symbols() == ["AAA"]
    assert then.result.explain("CCC")[0].held is None  # not known then: unknown, not false


def test_needed_dataset_with_no_rows_is_unknown_and_named(history: Store) -> None:
    ev = svc.evaluate_pattern(history, "PCR_OI > 1.2 OR close > SMA(5)", provider="synthetic")
    assert ev.data.empty == ["chain_summary.pcr_oi.e0"]
    assert ev.result.matching_symbols() == ["AAA"]
    assert ev.result.explain("BBB")[1].held is None


def test_no_bars_is_a_clear_error(history: Store) -> None:
    with pytest.raises(RuleDataError, match="no daily bars"):
        svc.evaluate_pattern(history, "close > 1", provider="angelone")


def test_chain_summary_by_expiry_rank_and_atm_oi(history: Store) -> None:
    d0, d1 = DAYS[28], DAYS[29]
    near, far = DAYS[32], DAYS[37]
    rows = []
    for day in (d0, d1):
        for expiry, pcr in ((near, 1.5), (far, 0.8)):
            rows.append(
                {
                    "underlying": "AAA",
                    "trade_date": day,
                    "expiry": expiry,
                    "pcr_oi": pcr,
                    "atm_strike": 130.0,
                    "provider": "synthetic",
                    "extra": {"days_to_expiry": (expiry - day).days},
                }
            )
    history.write("daily_option_oi_summary", pd.DataFrame(rows))
    dte = (near - d1).days  # d0 is a day earlier: one more day to expiry
    ev = svc.evaluate_pattern(
        history, f"PCR_OI(0) > 1.2 AND PCR_OI(1) < 1 AND DTE(0) <= {dte}", provider="synthetic"
    )
    assert ev.result.matching_symbols(pd.Timestamp(d1)) == ["AAA"]
    assert ev.result.explain("AAA", pd.Timestamp(d1))[3].values["DTE"] == dte
    assert ev.result.explain("AAA", pd.Timestamp(d0))[3].held is False  # DTE one more


def test_atm_open_interest_sums_five_strikes_of_calls_and_puts() -> None:
    strikes = np.arange(100.0, 200.0, 10.0)
    chain = pd.DataFrame(
        [
            {
                "underlying": "X",
                "trade_date": DAYS[0],
                "expiry": DAYS[3],
                "strike": k,
                "option_type": t,
                "oi": k + (1 if t == "CE" else 2),
            }
            for k in strikes
            for t in ("CE", "PE")
        ]
    )
    summary = _with_expiry_rank(
        pd.DataFrame(
            {
                "underlying": ["X"],
                "trade_date": [DAYS[0]],
                "expiry": [DAYS[3]],
                "atm_strike": [151.0],
            }
        )
    )
    got = atm_open_interest(chain, summary)
    # ATM = 150 (nearest listed strike to 151); 130..170 each side, CE + PE
    assert got["atm_oi"].tolist() == [sum(2 * k + 3 for k in (130, 140, 150, 160, 170))]
    assert got["rank"].tolist() == [0]


def test_anomaly_flags_any_expiry_of_the_symbol() -> None:
    ts = pd.Timestamp(DAYS[1]).tz_localize(EXCHANGE_TZ).tz_convert("UTC")
    labels = pd.DataFrame(
        {
            "entity": ["AAA 2025-01-09", "AAA 2025-01-16", "BBB 2025-01-09"],
            "ts": [ts] * 3,
            "is_anomaly": [False, True, False],
        }
    )
    bars = pd.DatetimeIndex([pd.Timestamp(DAYS[0]), pd.Timestamp(DAYS[1])])
    got = anomaly_flags(labels, bars, pd.Index(["AAA", "BBB", "CCC"]))
    assert got.iloc[1].tolist()[:2] == [1.0, 0.0] and np.isnan(got.iloc[1, 2])
    assert got.iloc[0].isna().all()


def test_matches_flagged_as_dbscan_anomalies_on_request(history: Store) -> None:
    ts = pd.Timestamp(DAYS[29]).tz_localize(EXCHANGE_TZ).tz_convert("UTC")
    history.write(
        "ml_cluster_labels",
        pd.DataFrame(
            {
                "entity": ["AAA 2025-02-20", "BBB 2025-02-20"],
                "ts": [ts, ts],
                "model_name": ["dbscan"] * 2,
                "model_version": ["1"] * 2,
                "label": [-1, 0],
                "is_anomaly": [True, False],
                "provider": ["synthetic"] * 2,
            }
        ),
    )
    plain = svc.evaluate_pattern(history, "close > 0", provider="synthetic")
    assert plain.result.explanations()["anomaly"].isna().all() and plain.data.empty == []
    flagged = svc.evaluate_pattern(history, "close > 0", provider="synthetic", flag_anomalies=True)
    got = flagged.result.explanations().groupby("symbol")["anomaly"].first().to_dict()
    assert got == {"AAA": True, "BBB": False} and flagged.data.empty == []
