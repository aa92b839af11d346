"""Scan evaluation: vectorised == per-symbol reference, batch invariance, score by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optionsintel.rules import evaluate, parse_rule
from optionsintel.scans import batches, compile_scan, evaluate_scan, rank_results, scan_spec

PATTERN = "RSI(14) < 55 AND close > SMA(10) OR volume > 1500"


def _panel(n_bars: int, n_sym: int, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2025-01-01", periods=n_bars)
    syms = [f"S{j:03d}" for j in range(n_sym)]
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, (n_bars, n_sym)), axis=0))
    close[rng.random(close.shape) < 0.03] = np.nan  # holes: unknown, never false
    frame = lambda a: pd.DataFrame(a, idx, syms)  # noqa: E731
    sig = np.where(rng.random(close.shape) < 0.4, rng.random(close.shape), np.nan)
    return {
        "open": frame(close), "high": frame(close * 1.01), "low": frame(close * 0.99),
        "close": frame(close), "volume": frame(rng.integers(500, 2500, close.shape) * 1.0),
        "signals.CALL_BUILDUP": frame(sig),
        "signals.PUT_BUILDUP": frame(np.where(rng.random(close.shape) < 0.2, 0.9, np.nan)),
        "anomaly": frame((rng.random(close.shape) < 0.15).astype(float)),
    }  # fmt: skip


def _compiled(match: str = "any"):
    spec = scan_spec(universe="symbols:X", patterns=["p@1"], match=match,
                     detectors=["CALL_BUILDUP:0.5", "PUT_BUILDUP", "ANOMALY"])  # fmt: skip
    return compile_scan(spec, {"p@1": parse_rule(PATTERN)})


def _reference(compiled, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per symbol, one rule at a time, on a one-column panel: the slow obvious way."""
    rows = []
    for sym in frames["close"].columns:
        one = {k: f[[sym]] for k, f in frames.items()}
        held = [bool(evaluate(c.rule, one).matches.iloc[-1, 0]) for c in compiled.criteria]
        strength = []
        for c, h in zip(compiled.criteria, held, strict=True):
            if c.detector is not None and c.detector.kind != "ANOMALY":
                level = one[f"signals.{c.detector.kind}"].iloc[-1, 0]
                strength.append(float(level) if h else 0.0)
            else:
                strength.append(1.0 if h else 0.0)
        ok = np.isfinite(one["close"].iloc[-1, 0])
        matched = (all(held) if compiled.spec.match == "all" else any(held)) and ok
        rows.append({"symbol": sym, "matched": matched,
                     "score": 100 * np.mean(strength) if ok else np.nan})  # fmt: skip
    return pd.DataFrame(rows)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_sym=st.integers(1, 9), match=st.sampled_from(["any", "all"]))
def test_vectorised_equals_per_symbol_reference(seed: int, n_sym: int, match: str) -> None:
    frames = _panel(60, n_sym, seed)
    compiled = _compiled(match)
    got = evaluate_scan(compiled, frames)
    want = _reference(compiled, frames)
    assert list(got["symbol"]) == list(want["symbol"])
    assert list(got["matched"]) == list(want["matched"])
    np.testing.assert_allclose(got["score"], want["score"], rtol=1e-12, equal_nan=True)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), size=st.integers(1, 12))
def test_batched_equals_whole(seed: int, size: int) -> None:
    frames = _panel(80, 23, seed)
    compiled = _compiled()
    whole = evaluate_scan(compiled, frames)
    symbols = list(frames["close"].columns)
    parts = [evaluate_scan(compiled, frames, symbols=b) for b in batches(symbols, size)]
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole)
    pd.testing.assert_frame_equal(rank_results(pd.concat(parts)), rank_results(whole))


def test_score_values_and_explanation_by_hand() -> None:
    idx = pd.bdate_range("2025-01-01", periods=30)
    close = pd.DataFrame({"A": np.arange(30.0) + 100, "B": 130 - np.arange(30.0)}, idx)
    sig = pd.DataFrame({"A": np.nan, "B": np.nan}, idx)
    sig.iloc[-1] = [0.8, 0.3]
    frames = {"close": close, "open": close, "high": close + 1, "low": close - 1,
              "volume": close * 0 + 1000.0, "signals.CALL_BUILDUP": sig}  # fmt: skip
    spec = scan_spec(universe="symbols:A", patterns=["up@1"], detectors=["CALL_BUILDUP:0.5"])
    compiled = compile_scan(spec, {"up@1": parse_rule("close > SMA(5)")})
    out = evaluate_scan(compiled, frames).set_index("symbol")
    # A: pattern holds (1) and CALL_BUILDUP 0.8 >= 0.5 holds (0.8): mean 0.9
    assert out.loc["A", "matched"] and out.loc["A", "score"] == pytest.approx(90.0)
    # B: falling, pattern fails; 0.3 < 0.5 fails: no match, score 0
    assert not out.loc["B", "matched"] and out.loc["B", "score"] == 0.0
    assert out.loc["A", "matched_criteria"] == ["up@1", "CALL_BUILDUP:0.5"]
    assert out.loc["A", "close"] == 129.0
    assert out.loc["A", "change_pct"] == pytest.approx(100 * (129 / 128 - 1))
    assert out.loc["A", "volume_ratio"] == pytest.approx(1.0)
    assert out.loc["A", "max_confidence"] == pytest.approx(0.8)
    expl = out.loc["A", "explanation"]
    sma = next(e for e in expl if e["condition"] == "close > SMA(5)")
    assert sma["held"] is True and sma["values"]["SMA(5)"] == pytest.approx(127.0)
    assert any(e["criterion"] == "CALL_BUILDUP:0.5" for e in expl)
    assert out.loc["B", "explanation"] == []


def test_symbol_without_a_bar_is_no_data_not_a_non_match() -> None:
    frames = _panel(40, 3, 1)
    frames["close"].iloc[-1, 1] = np.nan
    out = evaluate_scan(_compiled(), frames)
    assert list(out["status"]) == ["ok", "no_data", "ok"]
    assert not out["matched"].iloc[1] and np.isnan(out["score"].iloc[1])


def test_fixed_bar_index_and_scan_bar() -> None:
    frames = _panel(50, 4, 2)
    bars = frames["close"].index
    cut = {k: f.iloc[:45] for k, f in frames.items()}  # a batch read before the last bars
    out = evaluate_scan(_compiled(), cut, bars=bars, at=bars[-1])
    assert (out["status"] == "no_data").all() and (out["bar"] == bars[-1]).all()
    at = evaluate_scan(_compiled(), frames, bars=bars, at=bars[44])
    pd.testing.assert_frame_equal(at, evaluate_scan(_compiled(), cut))


def test_rank_orders_matches_by_score_then_volume_ratio_then_symbol() -> None:
    frame = pd.DataFrame({"symbol": ["C", "A", "B", "D"], "matched": [True, True, True, False],
                          "score": [50.0, 50.0, 80.0, 90.0],
                          "volume_ratio": [1.0, 1.0, 0.5, 9.0]})  # fmt: skip
    ranked = rank_results(frame)
    assert list(ranked["symbol"]) == ["B", "A", "C", "D"] and list(ranked["rank"]) == [1, 2, 3, 4]
    assert list(rank_results(frame, matches_only=True)["symbol"]) == ["B", "A", "C"]
