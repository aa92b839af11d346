"""Compilation and vectorised evaluation: hand-computed cases, sharing, cache, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from panels import make_panel

import optionsintel.research.indicators as ind
from optionsintel.errors import RuleDataError
from optionsintel.rules import parse_rule
from optionsintel.rules.evaluate import evaluate
from optionsintel.rules.panel import IndicatorCache, Panel, align_reports
from optionsintel.rules.plan import compile_rule


def _one(values: list[float], **extra: list[float]) -> dict[str, pd.DataFrame]:
    idx = pd.date_range("2024-01-01", periods=len(values), freq="D")
    panel = {"close": pd.DataFrame({"A": values}, index=idx)}
    for name, vals in extra.items():
        panel[name.replace("__", ".")] = pd.DataFrame({"A": vals}, index=idx)
    return panel


def _col(text: str, panel: dict[str, pd.DataFrame]) -> list[bool]:
    return evaluate(parse_rule(text), panel).matches["A"].tolist()


def test_hand_computed_leaves() -> None:
    p = _one([10, 11, 12, 11, 13, 14, 15])
    assert _col("close > 11.5", p) == [False, False, True, False, True, True, True]
    assert _col("close BETWEEN 11 AND 12", p) == [False, True, True, True, False, False, False]
    assert _col("close IN (11, 15)", p) == [False, True, False, True, False, False, True]
    assert _col("close[1] < close", p) == [False, True, True, False, True, True, True]
    assert _col("close RISING FOR 2 BARS", p) == [False, False, True, False, False, True, True]
    assert _col("close FALLING FOR 1 BARS", p) == [False, False, False, True, False, False, False]
    assert _col("PCT_CHANGE(close, 2) >= 19.9", p) == [
        False,
        False,
        True,
        False,
        False,
        True,
        False,
    ]
    assert _col("close CROSSES ABOVE 11.5", p) == [False, False, True, False, True, False, False]
    assert _col("close CROSSES BELOW 11.5", p) == [False, False, False, True, False, False, False]
    within = _col("close CROSSES ABOVE 11.5 WITHIN 2 BARS", p)
    assert within == [False, False, True, True, True, True, False]


def test_unknown_values_follow_three_valued_logic() -> None:
    p = _one([10, np.nan, 12])
    assert _col("close > 11", p) == [False, False, True]
    assert _col("NOT close > 11", p) == [True, False, False]  # NOT unknown stays unknown
    # false AND unknown is false, true AND unknown is unknown
    assert _col("NOT (close > 11 AND close[1] > 100)", p) == [True, True, False]
    res = evaluate(parse_rule("close > 11 OR close < 100"), p)
    assert [t.held for t in res.explain("A", res.index[1])][:2] == [None, None]


def test_signals_anomaly_time_and_chain_operands() -> None:
    p = _one([1, 1, 1], signals__CALL_BUILDUP=[np.nan, 0.4, 0.9], anomaly=[0, 1, np.nan])
    assert _col("SIGNAL(CALL_BUILDUP)", p) == [False, True, True]
    assert _col("SIGNAL(CALL_BUILDUP, 0.5)", p) == [False, False, True]
    assert _col("ANOMALY", p) == [False, True, False]
    with pytest.raises(RuleDataError, match=r"signals\.PUT_BUILDUP"):
        evaluate(parse_rule("SIGNAL(ANY)"), p)
    idx = pd.date_range("2024-01-01 09:15", periods=4, freq="30min", tz="UTC")
    intraday = {
        "close": pd.DataFrame({"A": [1.0] * 4}, index=idx)
    }  # 14:45, 15:15, 15:45, 16:15 IST
    assert _col("TIME BETWEEN 15:00 AND 15:45", intraday) == [False, True, True, False]
    p = _one([100, 100, 100], chain_summary__pcr_oi__e0=[0.9, 1.3, np.nan])
    assert _col("PCR_OI > 1.2", p) == [False, True, False]


def test_indicator_operands_equal_the_research_kernels() -> None:
    p = make_panel()
    res = evaluate(
        parse_rule(
            "RSI(14) > 0 AND ATR(10) > 0 AND BB_PCTB(20, 2.5) > -9 AND HIGH_52W(30) > 0 "
            "AND RVOL(5) > 0"
        ),
        p,
    )
    v = {res.plan.operands[k].text: x for k, x in res.values.items()}
    assert_allclose(v["RSI(14)"], ind.rsi(p["close"], 14).to_numpy())
    assert_allclose(v["ATR(10)"], ind.atr(p["high"], p["low"], p["close"], 10).to_numpy())
    pctb = ind.bollinger_bands(p["close"], 20, 2.5)["percent_b"].to_numpy()
    assert_allclose(v["BB_PCTB(20, 2.5)"], pctb)
    hi = p["high"].to_numpy()
    assert_allclose(v["HIGH_52W(30)"][40], hi[11:41].max(axis=0))
    vol = p["volume"].to_numpy()
    assert_allclose(v["RVOL(5)"][10], vol[10] / vol[5:10].mean(axis=0))


def test_shared_subexpressions_compute_once() -> None:
    rule = parse_rule(
        "RSI(14) < 30 AND RSI(14)[1] > 30 AND RSI(14) > 5 AND MACD CROSSES ABOVE MACD_SIGNAL "
        "AND MACD_HIST > 0 AND close > SMA(50) AND close > 1"
    )
    plan = compile_rule(rule)
    kernels = sorted(k[0] for k in plan.kernels)
    assert kernels == ["field", "macd", "rsi", "sma"]
    texts = sorted(op.text for op in plan.operands.values())
    assert texts.count("RSI(14)") == 1 and "RSI(14)[1]" in texts
    cache = IndicatorCache()
    res = evaluate(plan, make_panel(), cache=cache)
    assert (res.cache_hits, res.cache_misses) == (0, 3)


def test_cache_keys_on_universe_and_as_of() -> None:
    p, cache = make_panel(), IndicatorCache()
    rule = compile_rule(parse_rule("RSI(14) < 40 AND close > EMA(20)"))
    first = evaluate(rule, p, cache=cache)
    again = evaluate(rule, p, cache=cache)
    assert (again.cache_hits, again.cache_misses) == (2, 0)
    assert_array_equal(first.matches, again.matches)
    earlier = evaluate(rule, p, cache=cache, as_of=p["close"].index[200])
    assert (earlier.cache_hits, earlier.cache_misses) == (0, 2)
    other = {k: v.iloc[:, :3] for k, v in p.items()}
    assert evaluate(rule, other, cache=cache).cache_misses == 2
    assert len(cache) == 3 * (2 + 3)  # 3 (universe, as-of) keys x (2 kernels + 3 operands)
    assert (cache.derived_hits, cache.derived_misses) == (3, 9)


def test_no_look_ahead_future_bars_never_change_the_past() -> None:
    full = make_panel(bars=320, symbols=8, seed=3)
    text = (
        "RSI(14) < 45 AND close > SMA(20) OR MACD CROSSES ABOVE MACD_SIGNAL WITHIN 3 BARS "
        "OR close > R1 AND RVOL(10) > 1.2 OR close RISING FOR 2 BARS AND PCT_CHANGE(close, 5) > 2 "
        "OR close >= HIGH_52W(60)[1] OR VWAP < close AND ATR(14) > 1"
    )
    plan = compile_rule(parse_rule(text))
    whole = evaluate(plan, full).matches
    assert 0 < whole.to_numpy().sum() < whole.size
    for t in (60, 150, 250, 319):
        cut = {k: v.iloc[: t + 1] for k, v in full.items()}
        past = evaluate(plan, cut).matches
        pd.testing.assert_frame_equal(past, whole.iloc[: t + 1])
        as_of = evaluate(plan, full, as_of=full["close"].index[t]).matches
        pd.testing.assert_frame_equal(as_of, past)


def test_fundamentals_count_from_their_report_date() -> None:
    bars = pd.date_range("2024-01-01", periods=6, freq="D")
    reports = pd.DataFrame(
        {
            "symbol": ["A", "A", "B"],
            "report_date": pd.to_datetime(["2024-01-02", "2024-01-05", "2024-01-04"]),
            "eps_growth": [10.0, 30.0, 50.0],
        }
    )
    wide = align_reports(reports, "eps_growth", bars, pd.Index(["A", "B"]))
    assert_allclose(wide["A"], [np.nan, 10, 10, 10, 30, 30])
    assert_allclose(wide["B"], [np.nan, np.nan, np.nan, 50, 50, 50])
    p = {
        "close": pd.DataFrame(1.0, index=bars, columns=["A", "B"]),
        "fundamentals.eps_growth": wide,
    }
    m = evaluate(parse_rule("EPS_GROWTH > 20"), p).matches
    assert m["A"].tolist() == [False] * 4 + [True] * 2


def test_missing_data_names_every_dataset() -> None:
    p = make_panel()
    rule = parse_rule("PCR_OI > 1 AND IV_RANK(100) > 50 AND EPS_GROWTH > 10 AND ANOMALY")
    with pytest.raises(RuleDataError) as info:
        evaluate(rule, p)
    msg = str(info.value)
    for name in (
        "chain_summary.pcr_oi.e0",
        "chain_summary.atm_iv.e0",
        "fundamentals.eps_growth",
        "anomaly",
    ):
        assert name in msg
    with pytest.raises(RuleDataError, match="'close'"):
        Panel({"open": p["open"]})


def test_explanations_and_why_not() -> None:
    p = make_panel(symbols=20)
    res = evaluate(parse_rule("RSI(14) < 50 AND close > SMA(20)"), p)
    last = res.index[-1]
    hits = res.matching_symbols()
    assert hits and len(hits) < 20
    table = res.explanations()
    assert set(table["symbol"]) == set(hits) and (table["bar"] == last).all()
    assert table["held"].all()
    row = table[(table["symbol"] == hits[0]) & (table["path"] == "condition.conditions[0]")].iloc[0]
    assert row["condition"] == "RSI(14) < 50" and row["values"]["RSI(14)"] < 50
    miss = next(s for s in res.columns if s not in hits)
    failed = res.why_not(miss)
    assert failed and all(t.held is False for t in failed)
    for t in failed:
        rsi = t.values.get("RSI(14)")
        assert rsi is None or rsi >= 50
    assert res.why_not(hits[0]) == []
    with pytest.raises(RuleDataError, match="universe"):
        res.explain("NOPE")


def test_matches_are_flagged_when_they_are_anomalies_among_peers() -> None:
    p = make_panel(symbols=4)
    flags = pd.DataFrame(0.0, index=p["close"].index, columns=p["close"].columns)
    flags.iloc[-1, 1] = 1.0
    flags.iloc[-1, 2] = np.nan
    plain = evaluate(parse_rule("close > 0"), p).explanations()
    assert plain["anomaly"].isna().all()
    p["anomaly"] = flags
    table = evaluate(parse_rule("close > 0"), p).explanations()
    by_symbol = dict(zip(table["symbol"], table["anomaly"], strict=True))
    cols = p["close"].columns
    assert by_symbol == {cols[0]: False, cols[1]: True, cols[2]: None, cols[3]: False}


def test_panel_refuses_duplicate_bars_or_symbols() -> None:
    from optionsintel.errors import FrameValidationError

    p = make_panel(symbols=2)
    dup = p["close"].rename(columns={p["close"].columns[1]: p["close"].columns[0]})
    with pytest.raises(FrameValidationError, match="unique"):
        Panel({"close": dup})


def _full_panel() -> dict[str, pd.DataFrame]:
    from optionsintel.rules import CATALOGUE, SIGNAL_TYPES

    p = make_panel(bars=300, symbols=4, seed=2)
    rng = np.random.default_rng(4)
    like = p["close"]
    names = {d.format(expiry=e) for s in CATALOGUE.values() for d in s.datasets for e in range(3)}
    names |= {f"signals.{t}" for t in SIGNAL_TYPES} | {"anomaly"}
    for name in sorted(names - set(p)):
        p[name] = pd.DataFrame(rng.uniform(1, 50, like.shape), like.index, like.columns)
    return p


def test_every_catalogue_operand_evaluates_with_its_data() -> None:
    from optionsintel.rules import CATALOGUE

    p = _full_panel()
    for spec in CATALOGUE.values():
        res = evaluate(parse_rule(f"{spec.token} > -1e9 OR {spec.token}[1] < 1e9"), p)
        last = res.matches.iloc[-1]
        assert last.all(), f"{spec.token} gave no value on the last bar"
    atm = p["chain_summary.atm_iv.e1"]
    rank = evaluate(parse_rule("IV_RANK(50, 1) >= 0"), p)
    ref = (atm - atm.rolling(50, min_periods=20).min()) / (
        atm.rolling(50, min_periods=20).max() - atm.rolling(50, min_periods=20).min()
    )
    (key,) = [k for k in rank.values if k[0] == "series"]
    assert_allclose(rank.values[key], 100 * ref.to_numpy())
