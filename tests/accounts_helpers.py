"""Helpers shared by the API and services tests: accounts and keys made through services."""

from __future__ import annotations

import sqlalchemy as sa

from optionsintel.services import keys, users
from optionsintel.services.identity import cli_identity
from optionsintel.store import Store

SECRET = "test-signing-secret-" + "x" * 32
ACCOUNT_TABLES = ("api_usage", "api_keys", "audit_log", "user_roles", "users")
#: What users own through the API (patterns, alert rules and their feed, bulk operations).
USER_OBJECT_TABLES = ("pattern_versions", "custom_patterns", "alert_feed",
                      "alert_delivery_attempts", "alert_notifications", "alert_rule_state",
                      "alert_rules", "bulk_operation_items", "scan_results", "backtest_runs",
                      "bulk_operations", "user_strategies", "alert_watchlists")  # fmt: skip


def empty_accounts(store: Store) -> Store:
    """Empty the account tables and what users own through the API.

    TRUNCATE is the one removal the audit trigger allows.
    """
    tables = ", ".join(ACCOUNT_TABLES + USER_OBJECT_TABLES)
    with store.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} CASCADE"))
    return store


def user_with_key(
    store: Store, username: str, role: str = "USER", tier: str = "INSTITUTIONAL", **kw
) -> str:
    """Create ``username`` and return a fresh API key of theirs."""
    users.create_user(store, cli_identity(), username, role=role, tier=tier, **kw)
    return str(keys.create_key(store, cli_identity(), name="test", username=username)["key"])


def auth(key: str) -> dict[str, str]:
    """Headers carrying ``key``."""
    return {"X-API-Key": key}
