"""The platform schema: SQLAlchemy Core tables under one naming convention.

Layout decisions (justified by ``benchmarks/bench_store.py``, figures in RESULTS.md):

* The intraday time-series tables (``underlying_quotes``, ``option_chain_snapshots``,
  ``intraday_open_interest``, ``oi_delta_log``) are declaratively RANGE-partitioned on
  their timestamp, one partition per IST calendar day (created on demand by the store).
  Retention is ``DROP TABLE`` of whole partitions, queries for a day prune to one
  partition, and each partition's primary-key B-tree stays small enough to live in memory.
* Their primary key leads with ``(underlying, provider, snapshot_ts)`` so the as-of query
  ("the chain as it stood at t") is one index range scan inside one partition; a BRIN
  index on the timestamp serves time-range scans across partitions at almost no cost.
* Every market-data table has a ``provider`` column in its natural key: real and
  synthetic rows can coexist but never collide, and every row says where it came from,
  plus ``ingested_at``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

TS = sa.DateTime(timezone=True)
F = sa.Float(precision=53)

#: Tables partitioned by IST trading day, mapped to their partition column.
PARTITIONED_TABLES: dict[str, str] = {
    "underlying_quotes": "snapshot_ts",
    "option_chain_snapshots": "snapshot_ts",
    "intraday_open_interest": "snapshot_ts",
    "oi_delta_log": "snapshot_ts",
}


def _provenance() -> list[sa.Column]:
    return [
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("ingested_at", TS, nullable=False, server_default=sa.func.now()),
    ]


def _contract_cols() -> list[sa.Column]:
    return [
        sa.Column("expiry", sa.Date, nullable=False),
        sa.Column("strike", F, nullable=False),
        sa.Column("option_type", sa.String(2), nullable=False),
    ]


def _partitioned(name: str, *cols: sa.schema.SchemaItem, pk: tuple[str, ...]) -> sa.Table:
    ts = PARTITIONED_TABLES[name]
    return sa.Table(
        name,
        metadata,
        *cols,
        sa.PrimaryKeyConstraint(*pk),
        sa.Index(f"ix_{name}_{ts}_brin", ts, postgresql_using="brin"),
        postgresql_partition_by=f"RANGE ({ts})",
    )


# --- reference data -------------------------------------------------------------------

instruments = sa.Table(
    "instruments",
    metadata,
    sa.Column("symbol", sa.String(40), primary_key=True),
    sa.Column("segment", sa.String(16), nullable=False),
    sa.Column("exchange", sa.String(8), nullable=False, server_default="NSE"),
    sa.Column("name", sa.Text),
    sa.Column("sector", sa.String(64)),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("attributes", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    *_provenance(),
    sa.CheckConstraint("segment IN ('index', 'equity', 'commodity', 'currency')", name="segment"),
)

contract_specs = sa.Table(
    "contract_specs",
    metadata,
    sa.Column("symbol", sa.String(40), nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date),
    sa.Column("lot_size", sa.Integer, nullable=False),
    sa.Column("tick_size", F, nullable=False),
    sa.Column("strike_step", F),
    sa.Column("source", sa.Text),
    *_provenance(),
    sa.PrimaryKeyConstraint("symbol", "valid_from"),
    sa.CheckConstraint("lot_size > 0 AND tick_size > 0", name="positive_sizes"),
)

equity_fundamentals = sa.Table(
    "equity_fundamentals",
    metadata,
    sa.Column("symbol", sa.String(40), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("eps_growth", F),
    sa.Column("revenue_growth", F),
    sa.Column("profit_margin", F),
    sa.Column("debt_to_equity", F),
    sa.Column("market_cap", F),
    *_provenance(),
    sa.PrimaryKeyConstraint("symbol", "as_of", "provider"),
)

trading_calendar = sa.Table(
    "trading_calendar",
    metadata,
    sa.Column("exchange", sa.String(8), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("is_trading_day", sa.Boolean, nullable=False),
    sa.Column("session_open", TS),
    sa.Column("session_close", TS),
    sa.Column("note", sa.Text),
    sa.PrimaryKeyConstraint("exchange", "day"),
)

expiries = sa.Table(
    "expiries",
    metadata,
    sa.Column("underlying", sa.String(40), nullable=False),
    sa.Column("expiry", sa.Date, nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("note", sa.Text),
    sa.PrimaryKeyConstraint("underlying", "expiry"),
    sa.CheckConstraint("kind IN ('weekly', 'monthly')", name="kind"),
)

# --- intraday time series (partitioned by IST day) -------------------------------------

underlying_quotes = _partitioned(
    "underlying_quotes",
    sa.Column("underlying", sa.String(40), nullable=False),
    sa.Column("snapshot_ts", TS, nullable=False),
    sa.Column("ltp", F),
    sa.Column("open", F),
    sa.Column("high", F),
    sa.Column("low", F),
    sa.Column("prev_close", F),
    sa.Column("volume", F),
    sa.Column("exchange_ts", TS),
    *_provenance(),
    pk=("underlying", "provider", "snapshot_ts"),
)

option_chain_snapshots = _partitioned(
    "option_chain_snapshots",
    sa.Column("underlying", sa.String(40), nullable=False),
    sa.Column("snapshot_ts", TS, nullable=False),
    *_contract_cols(),
    sa.Column("ltp", F),
    sa.Column("bid", F),
    sa.Column("ask", F),
    sa.Column("bid_qty", F),
    sa.Column("ask_qty", F),
    sa.Column("volume", F),
    sa.Column("oi", F),
    sa.Column("oi_change", F),
    sa.Column("iv", F),
    sa.Column("delta", F),
    sa.Column("gamma", F),
    sa.Column("theta", F),
    sa.Column("vega", F),
    sa.Column("underlying_price", F),
    sa.Column("exchange_ts", TS),
    *_provenance(),
    sa.CheckConstraint("option_type IN ('CE', 'PE')", name="option_type"),
    sa.CheckConstraint("oi IS NULL OR oi >= 0", name="oi_non_negative"),
    pk=("underlying", "provider", "snapshot_ts", "expiry", "strike", "option_type"),
)

intraday_open_interest = _partitioned(
    "intraday_open_interest",
    sa.Column("underlying", sa.String(40), nullable=False),
    sa.Column("snapshot_ts", TS, nullable=False),
    sa.Column("expiry", sa.Date, nullable=False),
    sa.Column("strike", F, nullable=False),
    sa.Column("ce_oi", F),
    sa.Column("pe_oi", F),
    sa.Column("ce_oi_change", F),
    sa.Column("pe_oi_change", F),
    sa.Column("ce_volume", F),
    sa.Column("pe_volume", F),
    sa.Column("underlying_price", F),
    *_provenance(),
    sa.CheckConstraint(
        "coalesce(ce_oi, 0) >= 0 AND coalesce(pe_oi, 0) >= 0", name="oi_non_negative"
    ),
    pk=("underlying", "provider", "snapshot_ts", "expiry", "strike"),
)

oi_delta_log = _partitioned(
    "oi_delta_log",
    sa.Column("underlying", sa.String(40), nullable=False),
    sa.Column("snapshot_ts", TS, nullable=False),
    *_contract_cols(),
    sa.Column("previous_ts", TS, nullable=False),
    sa.Column("previous_oi", F),
    sa.Column("oi", F),
    sa.Column("oi_delta", F),
    sa.Column("oi_delta_pct", F),
    sa.Column("ltp_change", F),
    sa.Column("underlying_change", F),
    *_provenance(),
    sa.CheckConstraint("option_type IN ('CE', 'PE')", name="option_type"),
    pk=("underlying", "provider", "snapshot_ts", "expiry", "strike", "option_type"),
)

# --- daily tables ------------------------------------------------------------------------

daily_ohlc = sa.Table(
    "daily_ohlc",
    metadata,
    sa.Column("symbol", sa.String(40), nullable=False),
    sa.Column("trade_date", sa.Date, nullable=False),
    sa.Column("open", F),
    sa.Column("high", F),
    sa.Column("low", F),
    sa.Column("close", F),
    sa.Column("volume", F),
    sa.Column("oi", F),
    *_provenance(),
    sa.PrimaryKeyConstraint("symbol", "provider", "trade_date"),
    sa.Index("ix_daily_ohlc_trade_date", "trade_date"),
)

daily_option_oi_summary = sa.Table(
    "daily_option_oi_summary",
    metadata,
    sa.Column("underlying", sa.String(40), nullable=False),
    sa.Column("trade_date", sa.Date, nullable=False),
    sa.Column("expiry", sa.Date, nullable=False),
    sa.Column("spot", F),
    sa.Column("total_ce_oi", F),
    sa.Column("total_pe_oi", F),
    sa.Column("total_ce_volume", F),
    sa.Column("total_pe_volume", F),
    sa.Column("ce_oi_change", F),
    sa.Column("pe_oi_change", F),
    sa.Column("pcr_oi", F),
    sa.Column("pcr_volume", F),
    sa.Column("max_pain", F),
    sa.Column("atm_strike", F),
    sa.Column("atm_iv", F),
    sa.Column("straddle_premium", F),
    sa.Column("expected_move", F),
    sa.Column("gex_total", F),
    sa.Column("gex_flip", F),
    sa.Column("iv_rank", F),
    sa.Column("iv_percentile", F),
    sa.Column("extra", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    *_provenance(),
    sa.PrimaryKeyConstraint("underlying", "provider", "trade_date", "expiry"),
)

eod_option_chain = sa.Table(
    "eod_option_chain",
    metadata,
    sa.Column("underlying", sa.String(40), nullable=False),
    sa.Column("trade_date", sa.Date, nullable=False),
    *_contract_cols(),
    sa.Column("open", F),
    sa.Column("high", F),
    sa.Column("low", F),
    sa.Column("close", F),
    sa.Column("settle_price", F),
    sa.Column("ltp", F),
    sa.Column("volume", F),
    sa.Column("oi", F),
    sa.Column("oi_change", F),
    sa.Column("iv", F),  # the platform's own IV (migration 0003)
    sa.Column("underlying_price", F),
    *_provenance(),
    sa.Column("provider_iv", F),  # the provider's IV figure, kept beside ours
    sa.Column("iv_price_source", sa.String(8)),  # mid | ltp | mid_wide | none
    sa.CheckConstraint("option_type IN ('CE', 'PE')", name="option_type"),
    sa.CheckConstraint("oi IS NULL OR oi >= 0", name="oi_non_negative"),
    sa.PrimaryKeyConstraint(
        "underlying", "provider", "trade_date", "expiry", "strike", "option_type"
    ),
)

# --- derived analytics ---------------------------------------------------------------------

signals = sa.Table(
    "signals",
    metadata,
    sa.Column("underlying", sa.String(40), nullable=False),
    sa.Column("snapshot_ts", TS, nullable=False),
    sa.Column("expiry", sa.Date, nullable=False),
    sa.Column("signal_type", sa.String(24), nullable=False),
    sa.Column("confidence", F, nullable=False),
    sa.Column("strength", sa.String(12), nullable=False),
    sa.Column("strikes", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("supporting", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    *_provenance(),
    sa.PrimaryKeyConstraint("underlying", "provider", "snapshot_ts", "expiry", "signal_type"),
    sa.CheckConstraint("confidence >= 0 AND confidence <= 100", name="confidence_range"),
    sa.CheckConstraint(
        "signal_type IN ('CALL_BUILDUP', 'PUT_BUILDUP', 'CALL_UNWINDING', 'PUT_UNWINDING', "
        "'GAMMA_SQUEEZE', 'MAX_PAIN', 'UNUSUAL_ACTIVITY', 'MOMENTUM_SHIFT')",
        name="signal_type",
    ),
    sa.CheckConstraint(
        "strength IN ('WEAK', 'MODERATE', 'STRONG', 'VERY_STRONG')", name="strength"
    ),
    sa.Index("ix_signals_snapshot_ts", "snapshot_ts"),
)

support_resistance_levels = sa.Table(
    "support_resistance_levels",
    metadata,
    sa.Column("underlying", sa.String(40), nullable=False),
    sa.Column("trade_date", sa.Date, nullable=False),
    sa.Column("method", sa.String(24), nullable=False),
    sa.Column("level_type", sa.String(12), nullable=False),
    sa.Column("rank", sa.SmallInteger, nullable=False),
    sa.Column("level", F, nullable=False),
    sa.Column("strength", F),
    sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    *_provenance(),
    sa.PrimaryKeyConstraint("underlying", "provider", "trade_date", "method", "level_type", "rank"),
    sa.CheckConstraint("level_type IN ('SUPPORT', 'RESISTANCE', 'PIVOT')", name="level_type"),
)

ml_cluster_labels = sa.Table(
    "ml_cluster_labels",
    metadata,
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("ts", TS, nullable=False),
    sa.Column("model_name", sa.String(48), nullable=False),
    sa.Column("model_version", sa.String(32), nullable=False),
    sa.Column("label", sa.Integer, nullable=False),
    sa.Column("is_anomaly", sa.Boolean, nullable=False),
    sa.Column("anomaly_score", F),
    sa.Column("explanation", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("params", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    *_provenance(),
    sa.PrimaryKeyConstraint("entity", "provider", "ts", "model_name", "model_version"),
)

custom_patterns = sa.Table(
    # the head record of a pattern (migration 0006): what it is called, whose it is, its
    # newest version; the definitions themselves live, immutable, in pattern_versions
    "custom_patterns",
    metadata,
    sa.Column("pattern_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("latest_version", sa.Integer, nullable=False),
    sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    sa.CheckConstraint("latest_version >= 1", name="latest_version_positive"),
)

pattern_versions = sa.Table(
    # insert-only (Store.append): a version is never updated, so a pin
    # ``pattern_id@version`` names the same rule forever
    "pattern_versions",
    metadata,
    sa.Column("pattern_id", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("definition", JSONB, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    sa.Column("note", sa.Text),
    sa.PrimaryKeyConstraint("pattern_id", "version"),
    sa.ForeignKeyConstraint(["pattern_id"], ["custom_patterns.pattern_id"], ondelete="RESTRICT"),
    sa.CheckConstraint("version >= 1", name="version_positive"),
)

user_strategies = sa.Table(
    # insert-only (Store.append): a saved version of a builder strategy is never updated,
    # so a backtest that names ``owner/name@version`` finds the legs it ran (migration 0009)
    "user_strategies",
    metadata,
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("underlying", sa.String(40), nullable=False),
    sa.Column("legs", JSONB, nullable=False),
    sa.Column("rules", JSONB),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    sa.PrimaryKeyConstraint("owner", "name", "version"),
    sa.CheckConstraint("version >= 1", name="version_positive"),
)

scan_results = sa.Table(
    "scan_results",
    metadata,
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("symbol", sa.String(40), nullable=False),
    sa.Column("as_of", TS, nullable=False),
    sa.Column("score", F),
    sa.Column("passed", sa.Boolean),
    sa.Column("metrics", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("params", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    *_provenance(),
    sa.PrimaryKeyConstraint("run_id", "symbol"),
    sa.CheckConstraint("kind IN ('scan', 'backtest', 'strategy')", name="kind"),
)

backtest_runs = sa.Table(
    # insert-only (Store.append, migration 0008): one finished backtest with every input
    # needed to reproduce it and its results; ``kind`` 'signal' (signal/pattern/code
    # backtests) or 'options' (options-leg strategy backtests)
    "backtest_runs",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("name", sa.String(120)),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    sa.Column("source", JSONB, nullable=False),
    sa.Column("pattern_versions", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("universe", JSONB, nullable=False),
    sa.Column("period_start", TS, nullable=False),
    sa.Column("period_end", TS, nullable=False),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("cost_table_version", sa.String(64)),
    sa.Column("coverage", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("settings", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("metrics", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("costs", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("trades", JSONB, nullable=False),
    sa.Column("equity", JSONB, nullable=False),
    sa.Column("benchmark", JSONB),
    sa.Column("extra", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("software_version", sa.String(40), nullable=False),
    sa.CheckConstraint("kind IN ('signal', 'options')", name="kind"),
    sa.CheckConstraint("period_end >= period_start", name="period"),
    sa.Index("ix_backtest_runs_created_at", "created_at"),
)

bulk_operations = sa.Table(
    "bulk_operations",
    metadata,
    sa.Column("operation_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("total_items", sa.Integer, nullable=False, server_default="0"),
    sa.Column("done_items", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed_items", sa.Integer, nullable=False, server_default="0"),
    sa.Column("params", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("item_errors", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("requested_by", sa.String(64)),
    sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    sa.CheckConstraint(
        "status IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'PARTIAL', 'CANCELLED')",
        name="status",
    ),
    sa.CheckConstraint("done_items + failed_items <= total_items", name="progress"),
    # 0007: the final summary (counts, timing, what the job reports) and when it ended.
    sa.Column("summary", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("finished_at", TS),
)

bulk_operation_items = sa.Table(
    "bulk_operation_items",
    metadata,
    sa.Column("operation_id", sa.String(64), nullable=False),
    sa.Column("item", sa.String(80), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("error", sa.String(64)),
    sa.Column("message", sa.Text),
    sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    sa.PrimaryKeyConstraint("operation_id", "item"),
    sa.ForeignKeyConstraint(["operation_id"], ["bulk_operations.operation_id"], ondelete="CASCADE"),
    sa.CheckConstraint("status IN ('DONE', 'FAILED')", name="status"),
)

saved_scans = sa.Table(
    "saved_scans",
    metadata,
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("spec", JSONB, nullable=False),
    sa.Column("schedule", sa.String(120)),
    sa.Column("description", sa.Text),
    sa.Column("last_run_id", sa.String(64)),
    sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    sa.PrimaryKeyConstraint("owner", "name"),
)

alert_rules = sa.Table(
    "alert_rules",
    metadata,
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("condition", JSONB, nullable=False),
    sa.Column("channels", JSONB, nullable=False, server_default=sa.text("'[\"log\"]'::jsonb")),
    sa.Column("cooldown_seconds", sa.Integer, nullable=False, server_default="900"),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    # 0005: the whole validated rule (optionsintel.alerts.rules), a mute switch, a clock.
    sa.Column("definition", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("status", sa.String(8), nullable=False, server_default="ACTIVE"),
    sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    sa.PrimaryKeyConstraint("owner", "name"),
    sa.CheckConstraint("status IN ('ACTIVE', 'MUTED')", name="status"),
)

alert_rule_state = sa.Table(
    "alert_rule_state",
    metadata,
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("rule_name", sa.String(80), nullable=False),
    sa.Column("instrument", sa.String(40), nullable=False),
    sa.Column("armed", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("last_trigger_at", TS),
    sa.Column("trigger_day", sa.Date),
    sa.Column("triggers_today", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    sa.PrimaryKeyConstraint("owner", "rule_name", "instrument"),
    sa.ForeignKeyConstraint(
        ["owner", "rule_name"], ["alert_rules.owner", "alert_rules.name"], ondelete="CASCADE"
    ),
)

alert_watchlists = sa.Table(
    "alert_watchlists",
    metadata,
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("symbols", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    # 0007: the general watchlists (services/watchlists.py) keep this table.
    sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    sa.PrimaryKeyConstraint("owner", "name"),
)

alert_notifications = sa.Table(
    "alert_notifications",
    metadata,
    sa.Column("dedupe_key", sa.String(160), primary_key=True),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("rule_name", sa.String(80), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("payload", JSONB, nullable=False),
    sa.Column("status", sa.String(8), nullable=False, server_default="PENDING"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    sa.Column("next_attempt_at", TS, nullable=False, server_default=sa.func.now()),
    sa.Column("sent_at", TS),
    # 0005: which trigger raised the row, and which dispatcher holds its lease.
    sa.Column("trigger_key", sa.String(64)),
    sa.Column("instrument", sa.String(40)),
    sa.Column("triggered_at", TS),
    sa.Column("claimed_by", sa.String(64)),
    sa.ForeignKeyConstraint(
        ["owner", "rule_name"], ["alert_rules.owner", "alert_rules.name"], ondelete="CASCADE"
    ),
    sa.CheckConstraint("status IN ('PENDING', 'SENDING', 'SENT', 'FAILED')", name="status"),
    sa.Index(
        "ix_alert_notifications_pending",
        "next_attempt_at",
        postgresql_where=sa.text("status = 'PENDING'"),
    ),
    sa.Index(
        "ix_alert_notifications_leased",
        "next_attempt_at",
        postgresql_where=sa.text("status = 'SENDING'"),
    ),
    sa.Index("ix_alert_notifications_rule", "owner", "rule_name", "created_at"),
)

alert_delivery_attempts = sa.Table(
    "alert_delivery_attempts",
    metadata,
    sa.Column("dedupe_key", sa.String(160), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("dispatcher", sa.String(64), nullable=False),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("finished_at", TS, nullable=False),
    sa.Column("outcome", sa.String(10), nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("latency_ms", F),
    sa.PrimaryKeyConstraint("dedupe_key", "attempt"),
    sa.ForeignKeyConstraint(["dedupe_key"], ["alert_notifications.dedupe_key"], ondelete="CASCADE"),
    sa.CheckConstraint("outcome IN ('SENT', 'RETRY', 'FAILED', 'ABANDONED')", name="outcome"),
    sa.CheckConstraint("attempt >= 1", name="attempt_positive"),
)

alert_feed = sa.Table(
    "alert_feed",
    metadata,
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("dedupe_key", sa.String(160), nullable=False),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("rule_name", sa.String(80), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("payload", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("status", sa.String(8), nullable=False, server_default="UNREAD"),
    sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    sa.PrimaryKeyConstraint("username", "dedupe_key"),
    sa.CheckConstraint("status IN ('UNREAD', 'READ')", name="status"),
    sa.Index(
        "ix_alert_feed_unread",
        "username",
        "created_at",
        postgresql_where=sa.text("status = 'UNREAD'"),
    ),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(254), unique=True),
    sa.Column("display_name", sa.Text),
    sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    # 0004_api_auth: credentials, role, tier and login throttling (see that migration).
    sa.Column("password_hash", sa.Text, info={"credential": True}),
    sa.Column("role", sa.String(16), nullable=False, server_default="USER"),
    sa.Column("tier", sa.String(16), nullable=False, server_default="FREE"),
    sa.Column("status", sa.String(10), nullable=False, server_default="ACTIVE"),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", TS),
    sa.Column("last_login_at", TS),
    sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    sa.CheckConstraint("role IN ('USER', 'ADMIN', 'SUPER_ADMIN')", name="role"),
    sa.CheckConstraint("tier IN ('FREE', 'PRO', 'VIP', 'INSTITUTIONAL')", name="tier"),
    sa.CheckConstraint("status IN ('ACTIVE', 'DISABLED')", name="status"),
    sa.CheckConstraint("failed_logins >= 0", name="failed_logins_non_negative"),
)

roles = sa.Table(
    "roles",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("description", sa.Text),
    sa.Column("permissions", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
)

user_roles = sa.Table(
    "user_roles",
    metadata,
    sa.Column(
        "username",
        sa.String(64),
        sa.ForeignKey("users.username", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "role", sa.String(32), sa.ForeignKey("roles.name", ondelete="CASCADE"), nullable=False
    ),
    sa.PrimaryKeyConstraint("username", "role"),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_prefix", sa.String(16), primary_key=True),
    sa.Column("key_hash", sa.String(128), nullable=False, info={"credential": True}),
    sa.Column(
        "username",
        sa.String(64),
        sa.ForeignKey("users.username", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("scopes", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    sa.Column("expires_at", TS),
    sa.Column("revoked_at", TS),
    sa.Column("last_used_at", TS),
    # 0004_api_auth: revocation is a compare-and-set ACTIVE -> REVOKED.
    sa.Column("status", sa.String(8), nullable=False, server_default="ACTIVE"),
    sa.CheckConstraint("status IN ('ACTIVE', 'REVOKED')", name="status"),
    sa.Index("ix_api_keys_username", "username"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("ts", TS, nullable=False, server_default=sa.func.now()),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.Text),
    sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("source", sa.String(64)),  # 0004_api_auth: where from (client address, "cli")
    sa.Index("ix_audit_log_ts", "ts"),
)

#: Append-only at the database level (0004_api_auth): a trigger refuses UPDATE and DELETE.
AUDIT_LOG_GUARD = "audit_log_append_only"

api_usage = sa.Table(
    "api_usage",
    metadata,
    sa.Column(
        "username",
        sa.String(64),
        sa.ForeignKey("users.username", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("day", sa.Date, nullable=False),  # the exchange (IST) calendar day
    sa.Column("calls", sa.BigInteger, nullable=False, server_default="0"),
    sa.PrimaryKeyConstraint("username", "day"),
)

data_source_metrics = sa.Table(
    "data_source_metrics",
    metadata,
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("ts", TS, nullable=False),
    sa.Column("requests", sa.Integer, nullable=False),
    sa.Column("successes", sa.Integer, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("avg_latency_ms", F),
    sa.Column("p95_latency_ms", F),
    sa.Column("breaker_state", sa.String(10)),
    sa.Column("last_error", sa.Text),
    sa.PrimaryKeyConstraint("provider", "ts"),
)


def natural_key(table: sa.Table) -> tuple[str, ...]:
    """The columns of ``table``'s natural (primary) key."""
    return tuple(c.name for c in table.primary_key.columns)


#: 0010_perf_write_digests: what a large direct COPY wrote (``store.bulk``), so that an
#: unchanged re-run is recognised without comparing every row. Only a cache: a digest
#: is used only while its rows are provably untouched (count and ``xmin``).
write_digests = sa.Table(
    "write_digests",
    metadata,
    sa.Column("table_name", sa.String(64), nullable=False),
    sa.Column("digest", sa.LargeBinary, nullable=False),  # SHA-256 of the encoded frame
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("row_xmin", sa.BigInteger, nullable=False),  # xid the COPYed rows carry
    sa.Column("xact", sa.BigInteger, nullable=False),  # pg_current_xact_id() (64-bit) then
    sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    sa.PrimaryKeyConstraint("table_name", "digest"),
)

positions = sa.Table(
    # upserted by (owner, source, symbol, contract, opened_at): a user's own book of
    # positions, imported from a broker statement or spreadsheet (migration 0011, issue 19).
    # ``source`` names where the rows came from (e.g. the broker), like a provider.
    "positions",
    metadata,
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("symbol", sa.String(40), nullable=False),
    sa.Column("contract", sa.String(80), nullable=False, server_default=""),
    sa.Column("opened_at", TS, nullable=False),
    sa.Column("qty", sa.Float, nullable=False),
    sa.Column("price", sa.Float, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("ingested_at", TS, nullable=False, server_default=sa.func.now()),
    sa.PrimaryKeyConstraint("owner", "source", "symbol", "contract", "opened_at"),
    sa.CheckConstraint("qty <> 0", name="qty_nonzero"),
    sa.CheckConstraint("price >= 0", name="price_nonnegative"),
)

#: 0012_admin_user_settings: each person's app settings, one validated JSON document
#: (``services.user_settings.UserSettings``), upserted; the audit log keeps changes.
user_settings = sa.Table(
    "user_settings",
    metadata,
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("settings", JSONB, nullable=False),
    sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    sa.PrimaryKeyConstraint("username"),
)
