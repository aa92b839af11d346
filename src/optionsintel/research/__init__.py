"""Research analytics: performance and risk metrics, indicators, reports and ML anomaly labels.

Conventions (annualisation, risk-free rate, NaN handling, VaR sign) are described in
:mod:`optionsintel.research._common` and configured with :class:`MetricsConfig`.

The anomaly names (scikit-learn's DBSCAN and isolation forest) load on first use: importing
scikit-learn takes seconds, and metrics users (reports, backtests) never need it.
"""

from typing import TYPE_CHECKING, Any

from optionsintel.research._common import MetricsConfig, ResearchInputError
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

if TYPE_CHECKING:
    from optionsintel.research.anomaly import (
        AnomalyConfig,
        AnomalyResult,
        compare_with_isolation_forest,
        detect_anomalies,
        k_distance_knee,
    )

_LAZY = {"AnomalyConfig", "AnomalyResult", "compare_with_isolation_forest",
         "detect_anomalies", "k_distance_knee"}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from optionsintel.research import anomaly

        return getattr(anomaly, name)
    raise AttributeError(f"module 'optionsintel.research' has no attribute {name!r}")
