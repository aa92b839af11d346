"""Feature extraction and DBSCAN anomaly labels on synthetic data with injected anomalies."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import optionsintel.research as rs

PRECISION_FLOOR = 0.75
RECALL_FLOOR = 0.85
FEATURES = ["pcr", "oi_change_ratio", "iv_rank", "gamma_exposure", "volume_oi", "return_1d"]


def synthetic(seed: int, n: int = 400, n_anomalies: int = 12) -> tuple[pd.DataFrame, np.ndarray]:
    """Gaussian cloud; each anomaly has one feature shifted by 6-9 standard deviations."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, (n, len(FEATURES)))
    truth = np.zeros(n, dtype=bool)
    rows = rng.choice(n, n_anomalies, replace=False)
    truth[rows] = True
    cols = rng.integers(0, len(FEATURES), n_anomalies)
    X[rows, cols] += rng.choice([-1, 1], n_anomalies) * rng.uniform(6, 9, n_anomalies)
    frame = pd.DataFrame(X, columns=FEATURES)
    frame.insert(0, "ts", pd.bdate_range("2024-01-01", periods=n, tz="UTC"))
    frame.insert(0, "entity", "SYNTH")
    return frame, truth


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_precision_and_recall_on_injected_anomalies(seed):
    frame, truth = synthetic(seed)
    res = rs.detect_anomalies(frame, rs.AnomalyConfig(min_samples=12))
    assert res.status == "OK"
    flag = res.labels["is_anomaly"].to_numpy()
    tp = np.sum(flag & truth)
    precision, recall = tp / flag.sum(), tp / truth.sum()
    assert precision >= PRECISION_FLOOR, (precision, recall)
    assert recall >= RECALL_FLOOR, (precision, recall)


def test_reproducible_and_versioned():
    frame, _ = synthetic(0)
    a = rs.detect_anomalies(frame, rs.AnomalyConfig(min_samples=12))
    b = rs.detect_anomalies(frame, rs.AnomalyConfig(min_samples=12))
    pd.testing.assert_frame_equal(
        a.labels.drop(columns=["explanation", "params"]),
        b.labels.drop(columns=["explanation", "params"]),
    )
    assert list(a.labels.columns) == list(rs.anomaly.LABEL_COLUMNS)
    params = a.labels["params"].iloc[0]
    assert params["eps"] == a.eps and params["min_samples"] == 12
    assert params["features"] == FEATURES and len(params["scaler_means"]) == len(FEATURES)
    assert params["k_distance_method"] == "kneedle"
    assert a.labels["model_version"].nunique() == 1
    other = rs.detect_anomalies(frame, rs.AnomalyConfig(min_samples=10))
    assert other.model_version != a.model_version
    json.dumps(a.labels[["explanation", "params"]].to_dict("records"))  # JSON-able


def test_explanations_name_the_shifted_feature():
    frame, _ = synthetic(2)
    res = rs.detect_anomalies(frame, rs.AnomalyConfig(min_samples=12))
    flagged = res.labels[res.labels["is_anomaly"]]
    assert (flagged["anomaly_score"] > 1).all()
    assert (res.labels.loc[~res.labels["is_anomaly"], "anomaly_score"] <= 1 + 1e-9).all()
    hits = 0
    for i, row in flagged.iterrows():
        top = row["explanation"]["top_features"][0]["feature"]
        z = frame.loc[i, FEATURES].abs()
        hits += top == z.idxmax()
        assert row["explanation"]["nearest_cluster"] == 0
        assert row["explanation"]["distance_to_cluster"] > res.eps
    assert hits >= 0.8 * len(flagged)


def test_insufficient_data_is_a_result_not_an_exception():
    frame, _ = synthetic(0, n=40)
    res = rs.detect_anomalies(frame.head(10), rs.AnomalyConfig(min_samples=5))
    assert res.status == "INSUFFICIENT_DATA"
    assert "10 complete rows" in res.reason
    assert res.labels.empty and res.n_anomalies == 0
    constant = frame.assign(**{c: 1.0 for c in FEATURES})
    assert rs.detect_anomalies(constant).status == "INSUFFICIENT_DATA"
    assert rs.compare_with_isolation_forest(frame.head(10))["status"] == "INSUFFICIENT_DATA"


def test_k_distance_knee_on_a_hockey_stick():
    curve = np.concatenate([np.linspace(0, 1, 90), np.linspace(1.5, 10, 10)])
    for method in ("kneedle", "max_curvature"):
        assert 85 <= rs.k_distance_knee(curve, method) <= 92


def test_compare_with_isolation_forest():
    frame, truth = synthetic(3)
    out = rs.compare_with_isolation_forest(
        frame, rs.AnomalyConfig(min_samples=12), truth=truth, seed=1
    )
    summary = out["summary"]
    assert set(summary.index) == {"dbscan", "isolation_forest"}
    assert summary.loc["dbscan", "n_flagged"] == summary.loc["isolation_forest", "n_flagged"]
    assert summary.loc["isolation_forest", "recall"] >= 0.5
    assert 0 <= out["agreement"]["jaccard"] <= 1
    assert len(out["per_row"]) == len(frame)


def test_extract_features_from_summary_with_missing_columns():
    rng = np.random.default_rng(0)
    n = 80
    parts = []
    for name in ("NIFTY", "RELIANCE"):
        parts.append(
            pd.DataFrame(
                {
                    "underlying": name,
                    "date": pd.bdate_range("2024-01-01", periods=n),
                    "put_oi": rng.uniform(1e5, 2e5, n),
                    "call_oi": rng.uniform(1e5, 2e5, n),
                    "total_oi": np.linspace(1e6, 2e6, n),
                    "atm_iv": rng.uniform(10, 20, n),
                    "close": np.linspace(100, 120, n),
                }
            )
        )
    summary = pd.concat(parts, ignore_index=True)
    summary.loc[summary.underlying == "RELIANCE", "eps_growth"] = 0.12
    feats = rs.extract_features(summary, iv_rank_window=20, vol_window=5)
    assert {"pcr", "oi_change_ratio", "iv_rank", "return_1d", "realised_vol", "eps_growth"} <= set(
        feats.attrs["features"]
    )
    assert "gamma_exposure" in feats.attrs["missing_features"]
    nifty = feats[feats.entity == "NIFTY"].reset_index(drop=True)
    assert np.isnan(nifty["oi_change_ratio"].iloc[0])  # no change across entities
    assert nifty["oi_change_ratio"].iloc[1] == pytest.approx(np.linspace(1e6, 2e6, n)[1] / 1e6 - 1)
    assert nifty["iv_rank"].dropna().between(0, 1).all()
    with pytest.raises(rs.ResearchInputError, match="no feature"):
        rs.extract_features(pd.DataFrame({"entity": ["A"], "ts": [1], "foo": [1.0]}))
