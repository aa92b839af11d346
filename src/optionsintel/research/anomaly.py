"""Anomaly labels: StandardScaler + DBSCAN with a k-distance knee for ``eps``.

Method
------
1. Features are standardised (``z = (x - mean) / scale``, sklearn ``StandardScaler``).
2. ``eps`` is the knee of the sorted k-distance curve, ``k = min_samples`` (the
   distance to the ``min_samples``-th neighbour counting the point itself, so a
   point is a DBSCAN core point exactly when its k-distance is ``<= eps``; Ester
   et al. 1996, Schubert et al. 2017). The knee is found with Kneedle (Satopaa et
   al. 2011: maximum of ``x_n - y_n`` on the curve normalised to the unit square)
   or with maximum curvature ``|y''| / (1 + y'^2)^{3/2}``, both in NumPy here.
3. DBSCAN labels: cluster id, ``-1`` = anomaly (noise).
4. ``anomaly_score`` = distance to the nearest core point / ``eps`` (0 for core
   points, ``<= 1`` for border points, ``> 1`` for anomalies).
5. Each anomaly is explained by its nearest cluster, the distance to it and the
   standardised features contributing most to that distance.

Every label row carries ``model_name``, ``model_version`` (library version + hash of
the parameters) and ``params`` (eps, min_samples, features, scaler means/scales,
k-distance method) so a stored label can be traced to the exact model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from optionsintel import __version__
from optionsintel.research._common import FloatArray, ResearchInputError

__all__ = [
    "LABEL_COLUMNS",
    "AnomalyConfig",
    "AnomalyResult",
    "compare_with_isolation_forest",
    "detect_anomalies",
    "k_distance_knee",
]

MODEL_NAME = "dbscan_kdistance"
LABEL_COLUMNS = (
    "entity", "ts", "label", "is_anomaly", "anomaly_score", "explanation",
    "model_name", "model_version", "params",
)  # fmt: skip
KneeMethod = Literal["kneedle", "max_curvature"]


@dataclass(frozen=True)
class AnomalyConfig:
    """Parameters of :func:`detect_anomalies`.

    Attributes
    ----------
    min_samples
        DBSCAN ``min_samples`` and the ``k`` of the k-distance curve.
    eps
        Fixed neighbourhood radius (standardised units); None = k-distance knee.
    knee_method
        ``"kneedle"`` or ``"max_curvature"``.
    features
        Feature columns to use; None = every numeric column except keys.
    max_missing_fraction
        Features missing on more than this fraction of rows are dropped; remaining
        rows with any NaN are not labelled.
    min_rows
        Fewer usable rows than ``max(min_rows, 3 * min_samples)`` -> INSUFFICIENT_DATA.
    top_features
        Number of features listed in each explanation.
    """

    min_samples: int = 5
    eps: float | None = None
    knee_method: KneeMethod = "kneedle"
    features: tuple[str, ...] | None = None
    max_missing_fraction: float = 0.5
    min_rows: int = 30
    top_features: int = 3

    def __post_init__(self) -> None:
        if self.min_samples < 2:
            raise ResearchInputError("min_samples must be >= 2")
        if self.eps is not None and self.eps <= 0:
            raise ResearchInputError("eps must be > 0 (or None to use the k-distance knee)")
        if self.knee_method not in ("kneedle", "max_curvature"):
            raise ResearchInputError("knee_method must be 'kneedle' or 'max_curvature'")


@dataclass
class AnomalyResult:
    """Outcome of :func:`detect_anomalies`.

    ``status`` is ``"OK"`` or ``"INSUFFICIENT_DATA"`` (then ``reason`` says why and
    ``labels`` is empty). ``labels`` has the columns :data:`LABEL_COLUMNS`.
    """

    status: Literal["OK", "INSUFFICIENT_DATA"]
    labels: pd.DataFrame
    reason: str | None = None
    eps: float | None = None
    k_distances: FloatArray = field(default_factory=lambda: np.empty(0))
    knee_index: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    model_name: str = MODEL_NAME
    model_version: str | None = None

    @property
    def n_anomalies(self) -> int:
        """Number of rows labelled as anomalies."""
        return int(self.labels["is_anomaly"].sum()) if len(self.labels) else 0


def k_distance_knee(sorted_distances: FloatArray, method: KneeMethod = "kneedle") -> int:
    """Index of the knee of an increasing (convex) sorted k-distance curve.

    Notes
    -----
    Both axes are normalised to [0, 1]. Kneedle: ``argmax(x_n - y_n)`` (Satopaa et
    al. 2011, convex increasing case; the default, robust to noise). Max curvature:
    ``argmax |y''| / (1 + y'^2)^1.5`` with central differences on the normalised curve
    smoothed by a moving average of 5 % of the points.
    """
    y = np.asarray(sorted_distances, dtype=float)
    if y.ndim != 1 or len(y) < 3:
        raise ResearchInputError("the k-distance curve needs at least 3 points")
    span = y[-1] - y[0]
    if span <= 0:
        return len(y) - 1
    x_n = np.linspace(0.0, 1.0, len(y))
    y_n = (y - y[0]) / span
    if method == "kneedle":
        return int(np.argmax(x_n - y_n))
    # raw k-distances are noisy; curvature is taken on a moving average (5 % of points)
    w = max(3, len(y) // 20)
    y_s = np.convolve(np.pad(y_n, (w // 2, w - 1 - w // 2), mode="edge"), np.ones(w) / w, "valid")
    d1 = np.gradient(y_s, x_n)
    d2 = np.gradient(d1, x_n)
    return int(np.argmax(np.abs(d2) / (1.0 + d1**2) ** 1.5))


def _select(
    features: pd.DataFrame, cfg: AnomalyConfig
) -> tuple[pd.DataFrame, list[str], str | None]:
    keys = [c for c in ("entity", "ts") if c in features.columns]
    if cfg.features is not None:
        missing = [c for c in cfg.features if c not in features.columns]
        if missing:
            raise ResearchInputError(f"features {missing} are not columns of the feature frame")
        cols = list(cfg.features)
    else:
        cols = [c for c in features.select_dtypes("number").columns if c not in keys]
    data = features[cols].astype(float).replace([np.inf, -np.inf], np.nan)
    cols = [c for c in cols if data[c].isna().mean() <= cfg.max_missing_fraction]
    cols = [c for c in cols if data[c].nunique(dropna=True) > 1]
    if not cols:
        return data.iloc[:0], [], "no usable feature (all missing, constant or non-numeric)"
    usable = data[cols].dropna()
    need = max(cfg.min_rows, 3 * cfg.min_samples)
    if len(usable) < need:
        return (
            usable,
            cols,
            (
                f"{len(usable)} complete rows over features {cols}; at least {need} are needed "
                f"(max(min_rows={cfg.min_rows}, 3 * min_samples={cfg.min_samples}))"
            ),
        )
    return usable, cols, None


def _keys(features: pd.DataFrame, rows: pd.Index) -> pd.DataFrame:
    out = pd.DataFrame(index=rows)
    out["entity"] = features.loc[rows, "entity"] if "entity" in features else None
    out["ts"] = features.loc[rows, "ts"] if "ts" in features else rows
    return out


def _version(params: dict[str, Any]) -> str:
    digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()
    return f"{__version__}+{digest[:10]}"


def _explain(
    z: FloatArray, labels: np.ndarray, core: np.ndarray, eps: float, cols: list[str], top: int
):  # type: ignore[no-untyped-def]
    """Nearest core point per row -> score, nearest cluster and per-feature contributions."""
    if not core.any():
        return None, None, None
    nn = NearestNeighbors(n_neighbors=1).fit(z[core])
    dist, pos = nn.kneighbors(z)
    dist, pos = dist[:, 0], pos[:, 0]
    core_z, core_lab = z[core][pos], labels[core][pos]
    sq = (z - core_z) ** 2
    share = sq / np.maximum(sq.sum(axis=1, keepdims=True), 1e-300)
    order = np.argsort(-share, axis=1)[:, :top]
    expl = [
        {
            "nearest_cluster": int(core_lab[i]),
            "distance_to_cluster": float(dist[i]),
            "top_features": [
                {
                    "feature": cols[j],
                    "z": round(float(z[i, j]), 4),
                    "share": round(float(share[i, j]), 4),
                }
                for j in order[i]
            ],
        }
        if labels[i] == -1
        else {}
        for i in range(len(z))
    ]
    return dist / eps, expl, core_lab


def detect_anomalies(features: pd.DataFrame, config: AnomalyConfig | None = None) -> AnomalyResult:
    """Label rows of a feature frame with DBSCAN clusters and anomalies (-1).

    Parameters
    ----------
    features
        Output of :func:`optionsintel.research.extract_features` (``entity``, ``ts``
        and numeric features) or any numeric frame.
    config
        :class:`AnomalyConfig`.

    Returns
    -------
    AnomalyResult
        ``status="INSUFFICIENT_DATA"`` with a reason when there are too few complete
        rows or no usable feature (never an exception for that); otherwise labels
        with columns :data:`LABEL_COLUMNS`, one row per complete input row.
    """
    cfg = config or AnomalyConfig()
    if not isinstance(features, pd.DataFrame):
        raise ResearchInputError("detect_anomalies needs a pandas DataFrame of features")
    usable, cols, problem = _select(features, cfg)
    if problem is not None:
        return AnomalyResult(
            "INSUFFICIENT_DATA", pd.DataFrame(columns=list(LABEL_COLUMNS)), problem
        )
    scaler = StandardScaler().fit(usable.to_numpy())
    z = scaler.transform(usable.to_numpy())
    kd = NearestNeighbors(n_neighbors=cfg.min_samples).fit(z).kneighbors(z)[0][:, -1]
    kd_sorted = np.sort(kd)
    knee = k_distance_knee(kd_sorted, cfg.knee_method)
    eps = float(cfg.eps) if cfg.eps is not None else float(max(kd_sorted[knee], 1e-12))
    db = DBSCAN(eps=eps, min_samples=cfg.min_samples).fit(z)
    labels = db.labels_
    core = np.zeros(len(z), dtype=bool)
    core[db.core_sample_indices_] = True
    score, expl, _ = _explain(z, labels, core, eps, cols, cfg.top_features)
    if score is None:  # no cluster at all: every row is noise
        score = kd / eps
        expl = [{"nearest_cluster": None, "distance_to_cluster": None, "top_features": []}] * len(z)
    params = {
        "eps": eps, "eps_source": "user" if cfg.eps is not None else "k_distance_knee",
        "min_samples": cfg.min_samples, "features": cols,
        "scaler_means": [float(v) for v in scaler.mean_],
        "scaler_scales": [float(v) for v in scaler.scale_],
        "k_distance_method": cfg.knee_method, "k": cfg.min_samples, "n_rows": len(z),
    }  # fmt: skip
    version = _version(params)
    out = _keys(features, usable.index)
    out["label"] = labels.astype(int)
    out["is_anomaly"] = labels == -1
    out["anomaly_score"] = score
    out["explanation"] = expl
    out["model_name"] = MODEL_NAME
    out["model_version"] = version
    out["params"] = [params] * len(out)
    return AnomalyResult(
        "OK", out.reset_index(drop=True), None, eps, kd_sorted, knee, params, MODEL_NAME, version
    )


def _precision_recall(flag: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    tp = float(np.sum(flag & truth))
    precision = tp / flag.sum() if flag.sum() else np.nan
    recall = tp / truth.sum() if truth.sum() else np.nan
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else np.nan
    return {"precision": precision, "recall": recall, "f1": f1}


def compare_with_isolation_forest(
    features: pd.DataFrame,
    config: AnomalyConfig | None = None,
    contamination: float | Literal["auto", "match"] = "match",
    truth: pd.Series | np.ndarray | None = None,
    n_estimators: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """Run DBSCAN (:func:`detect_anomalies`) and sklearn's IsolationForest side by side.

    Parameters
    ----------
    features
        Feature frame, as for :func:`detect_anomalies`.
    config
        DBSCAN configuration; IsolationForest uses the same standardised features.
    contamination
        IsolationForest's expected anomaly fraction; ``"match"`` uses DBSCAN's
        flagged fraction (so the two flag as many rows), ``"auto"`` sklearn's rule.
    truth
        Optional boolean ground truth aligned with ``features`` rows (synthetic
        data with injected anomalies) -> precision/recall/F1 per model.
    n_estimators, seed
        IsolationForest size and ``random_state``.

    Returns
    -------
    dict
        ``status``; ``per_row`` (keys, DBSCAN label/flag/score, IsolationForest flag
        and score where higher = more anomalous); ``summary`` (one row per model:
        n_flagged, flagged_fraction and, with ``truth``, precision, recall, f1);
        ``agreement`` (both, either, Jaccard of the flagged sets, Spearman correlation
        of the scores). With too little data: ``status`` and ``reason`` only.
    """
    cfg = config or AnomalyConfig()
    res = detect_anomalies(features, cfg)
    if res.status != "OK":
        return {"status": res.status, "reason": res.reason}
    usable, cols, _ = _select(features, cfg)
    params = res.params
    z = (usable[cols].to_numpy() - np.array(params["scaler_means"])) / np.array(
        params["scaler_scales"]
    )
    frac = float(res.labels["is_anomaly"].mean())
    cont: float | str = contamination
    if contamination == "match":
        cont = min(max(frac, 1.0 / len(z)), 0.5)
    forest = IsolationForest(n_estimators=n_estimators, contamination=cont, random_state=seed).fit(
        z
    )
    per_row = res.labels[["entity", "ts", "label", "is_anomaly", "anomaly_score"]].rename(
        columns={
            "label": "dbscan_label",
            "is_anomaly": "dbscan_anomaly",
            "anomaly_score": "dbscan_score",
        }
    )
    per_row["iforest_anomaly"] = forest.predict(z) == -1
    per_row["iforest_score"] = -forest.score_samples(z)
    a, b = per_row["dbscan_anomaly"].to_numpy(), per_row["iforest_anomaly"].to_numpy()
    summary = pd.DataFrame(
        {"n_flagged": [int(a.sum()), int(b.sum())], "flagged_fraction": [a.mean(), b.mean()]},
        index=["dbscan", "isolation_forest"],
    )
    if truth is not None:
        t = np.asarray(truth, dtype=bool)
        if len(t) != len(features):
            raise ResearchInputError("truth must have one value per row of the feature frame")
        t = t[features.index.get_indexer(usable.index)]
        for name, flag in (("dbscan", a), ("isolation_forest", b)):
            for k, v in _precision_recall(flag, t).items():
                summary.loc[name, k] = v
    union = np.sum(a | b)
    agreement = {
        "both": int(np.sum(a & b)), "either": int(union),
        "jaccard": float(np.sum(a & b) / union) if union else np.nan,
        "score_spearman": float(
            per_row["dbscan_score"].corr(per_row["iforest_score"], method="spearman")
        ),
    }  # fmt: skip
    return {"status": "OK", "per_row": per_row, "summary": summary, "agreement": agreement}
