"""Stored backtest runs: one insert-only row per finished run, inputs and results.

Why: issue 15. A backtest must be reproducible and comparable later, so every run is
stored with what it was run on (pattern version pins, signal or code description,
universe, period, provider, cost-table version, per-symbol data coverage, every setting)
and what it produced (metrics, cost breakdown, trade list, equity and drawdown curves,
benchmark table). Rows are written only with the store's insert-only append: a run is
never updated. ``kind`` separates signal/pattern/code backtests ('signal') from
options-leg strategy backtests ('options', issue 16), which store the same shape with
their legs in ``extra``. Trades and curves are JSONB in column-oriented form
(``{"columns": [...], "data": [[...]]}``): a run is always read whole, and a listing
selects only the small columns. Downgrading drops the table (stored runs are lost).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def _json(name: str, default: str | None = None, nullable: bool = False) -> sa.Column:
    return sa.Column(
        name,
        postgresql.JSONB(astext_type=sa.Text()),
        server_default=None if default is None else sa.text(f"'{default}'::jsonb"),
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "backtest_runs",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, server_default=sa.text("now()"), nullable=False),
        _json("source"),
        _json("pattern_versions", "[]"),
        _json("universe"),
        sa.Column("period_start", _TS, nullable=False),
        sa.Column("period_end", _TS, nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("cost_table_version", sa.String(length=64), nullable=True),
        _json("coverage", "{}"),
        _json("settings", "{}"),
        _json("metrics", "{}"),
        _json("costs", "{}"),
        _json("trades"),
        _json("equity"),
        _json("benchmark", nullable=True),
        _json("extra", "{}"),
        sa.Column("software_version", sa.String(length=40), nullable=False),
        sa.CheckConstraint("kind IN ('signal', 'options')", name=op.f("ck_backtest_runs_kind")),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_backtest_runs_period")),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_backtest_runs")),
    )
    op.create_index("ix_backtest_runs_created_at", "backtest_runs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_backtest_runs_created_at", table_name="backtest_runs")
    op.drop_table("backtest_runs")
