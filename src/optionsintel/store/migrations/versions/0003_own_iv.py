"""The platform's own implied volatility in the end-of-day chain.

Why: issue 11 item 3. ``eod_option_chain.iv`` now holds the platform's IV (Black-76 on
the parity forward, mid when the spread is sane else LTP, time to the 15:30 IST close);
the provider's figure moves beside it as ``provider_iv`` and the price the IV was
inverted from is recorded in ``iv_price_source`` (``mid``, ``ltp``, ``mid_wide``,
``none``). Existing rows keep their ``iv`` (the provider's) until re-materialised; the
new columns are NULL for them.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "eod_option_chain", sa.Column("provider_iv", sa.Float(precision=53), nullable=True)
    )
    op.add_column("eod_option_chain", sa.Column("iv_price_source", sa.String(8), nullable=True))


def downgrade() -> None:
    op.drop_column("eod_option_chain", "iv_price_source")
    op.drop_column("eod_option_chain", "provider_iv")
