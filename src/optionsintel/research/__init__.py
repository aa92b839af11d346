"""Research analytics: performance and risk metrics, indicators, reports and ML anomaly labels.

Conventions (annualisation, risk-free rate, NaN handling, VaR sign) are described in
:mod:`optionsintel.research._common` and configured with :class:`MetricsConfig`.

Names are imported on first use (PEP 562): ``from optionsintel.research.indicators
import rsi`` or ``research.sma`` loads what it needs, not scikit-learn (anomaly labels),
statsmodels (benchmark regressions) and the rest. A fresh dashboard kernel spent most of
its start importing those (issue 21; benchmarks/bench_dashboards.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Before any research module decorates a cached numba kernel: the cache under the data home.
from optionsintel import _numba_cache  # noqa: F401

# ``drawdown`` names both a submodule and a function: once anything imports the submodule,
# the package attribute would be the module and PEP 562's hook would never run. The
# module is cheap (NumPy and pandas), so the function is bound eagerly.
from optionsintel.research.drawdown import drawdown

if TYPE_CHECKING:
    from optionsintel.research._common import MetricsConfig, ResearchInputError
    from optionsintel.research.anomaly import (
        AnomalyConfig,
        AnomalyResult,
        compare_with_isolation_forest,
        detect_anomalies,
        k_distance_knee,
    )
    from optionsintel.research.benchmark import (
        alpha_beta,
        capture,
        down_capture,
        rolling_alpha_beta,
        up_capture,
        up_down_capture,
    )
    from optionsintel.research.correlation import correlation_matrix, rolling_correlation
    from optionsintel.research.drawdown import drawdown, drawdown_details, max_drawdown
    from optionsintel.research.features import FEATURE_COLUMNS, extract_features
    from optionsintel.research.indicators import (
        atr,
        bollinger_bands,
        ema,
        macd,
        pivots,
        rsi,
        sma,
        vwap,
    )
    from optionsintel.research.metrics import METRIC_COLUMNS, compute_all_metrics
    from optionsintel.research.performance import (
        calmar_ratio,
        downside_risk,
        omega_ratio,
        rolling_sharpe,
        sharpe_ratio,
        sortino_ratio,
        tail_ratio,
    )
    from optionsintel.research.report import (
        InsufficientCoverageError,
        Report,
        ReportConfig,
        build_report,
        risk_level,
    )
    from optionsintel.research.returns import (
        annual_return,
        annual_volatility,
        cumulative_returns,
        log_returns,
        simple_returns,
        total_return,
    )
    from optionsintel.research.risk import cornish_fisher_z, expected_shortfall, value_at_risk
    from optionsintel.research.series import (
        SeriesCoverage,
        find_gaps,
        gap_aware_returns,
        series_coverage,
    )

_HOME: dict[str, str] = {
    "FEATURE_COLUMNS": "optionsintel.research.features",
    "METRIC_COLUMNS": "optionsintel.research.metrics",
    "AnomalyConfig": "optionsintel.research.anomaly",
    "AnomalyResult": "optionsintel.research.anomaly",
    "InsufficientCoverageError": "optionsintel.research.report",
    "MetricsConfig": "optionsintel.research._common",
    "Report": "optionsintel.research.report",
    "ReportConfig": "optionsintel.research.report",
    "ResearchInputError": "optionsintel.research._common",
    "SeriesCoverage": "optionsintel.research.series",
    "alpha_beta": "optionsintel.research.benchmark",
    "annual_return": "optionsintel.research.returns",
    "annual_volatility": "optionsintel.research.returns",
    "atr": "optionsintel.research.indicators",
    "bollinger_bands": "optionsintel.research.indicators",
    "build_report": "optionsintel.research.report",
    "calmar_ratio": "optionsintel.research.performance",
    "capture": "optionsintel.research.benchmark",
    "compare_with_isolation_forest": "optionsintel.research.anomaly",
    "compute_all_metrics": "optionsintel.research.metrics",
    "cornish_fisher_z": "optionsintel.research.risk",
    "correlation_matrix": "optionsintel.research.correlation",
    "cumulative_returns": "optionsintel.research.returns",
    "detect_anomalies": "optionsintel.research.anomaly",
    "down_capture": "optionsintel.research.benchmark",
    "downside_risk": "optionsintel.research.performance",
    "drawdown": "optionsintel.research.drawdown",
    "drawdown_details": "optionsintel.research.drawdown",
    "ema": "optionsintel.research.indicators",
    "expected_shortfall": "optionsintel.research.risk",
    "extract_features": "optionsintel.research.features",
    "find_gaps": "optionsintel.research.series",
    "gap_aware_returns": "optionsintel.research.series",
    "k_distance_knee": "optionsintel.research.anomaly",
    "log_returns": "optionsintel.research.returns",
    "macd": "optionsintel.research.indicators",
    "max_drawdown": "optionsintel.research.drawdown",
    "omega_ratio": "optionsintel.research.performance",
    "pivots": "optionsintel.research.indicators",
    "risk_level": "optionsintel.research.report",
    "rolling_alpha_beta": "optionsintel.research.benchmark",
    "rolling_correlation": "optionsintel.research.correlation",
    "rolling_sharpe": "optionsintel.research.performance",
    "rsi": "optionsintel.research.indicators",
    "series_coverage": "optionsintel.research.series",
    "sharpe_ratio": "optionsintel.research.performance",
    "simple_returns": "optionsintel.research.returns",
    "sma": "optionsintel.research.indicators",
    "sortino_ratio": "optionsintel.research.performance",
    "tail_ratio": "optionsintel.research.performance",
    "total_return": "optionsintel.research.returns",
    "up_capture": "optionsintel.research.benchmark",
    "up_down_capture": "optionsintel.research.benchmark",
    "value_at_risk": "optionsintel.research.risk",
    "vwap": "optionsintel.research.indicators",
}

__all__ = [
    "FEATURE_COLUMNS",
    "METRIC_COLUMNS",
    "AnomalyConfig",
    "AnomalyResult",
    "InsufficientCoverageError",
    "MetricsConfig",
    "Report",
    "ReportConfig",
    "ResearchInputError",
    "SeriesCoverage",
    "alpha_beta",
    "annual_return",
    "annual_volatility",
    "atr",
    "bollinger_bands",
    "build_report",
    "calmar_ratio",
    "capture",
    "compare_with_isolation_forest",
    "compute_all_metrics",
    "cornish_fisher_z",
    "correlation_matrix",
    "cumulative_returns",
    "detect_anomalies",
    "down_capture",
    "downside_risk",
    "drawdown",
    "drawdown_details",
    "ema",
    "expected_shortfall",
    "extract_features",
    "find_gaps",
    "gap_aware_returns",
    "k_distance_knee",
    "log_returns",
    "macd",
    "max_drawdown",
    "omega_ratio",
    "pivots",
    "risk_level",
    "rolling_alpha_beta",
    "rolling_correlation",
    "rolling_sharpe",
    "rsi",
    "series_coverage",
    "sharpe_ratio",
    "simple_returns",
    "sma",
    "sortino_ratio",
    "tail_ratio",
    "total_return",
    "up_capture",
    "up_down_capture",
    "value_at_risk",
    "vwap",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'optionsintel.research' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
