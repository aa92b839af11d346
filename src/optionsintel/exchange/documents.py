"""Specs of the importable user documents (patterns, alert rules, watchlists, settings...).

These are not table rows: each is stored through its owner's service (a pattern as a new
immutable version, an alert rule through the alert service, a watchlist with its symbols
checked...), so the specs are marked ``service=True``. Here they fix the file's columns,
their kinds and natural keys, so the generic reader, mapping and validation apply to them
too; the owner's model then checks each row (``services.document_imports``).
"""

from __future__ import annotations

from optionsintel.exchange.specs import DATASETS, ColumnSpec, DatasetSpec

_OWNER = ColumnSpec("str", True, max_length=64, synonyms=("user", "username"))


def _text(limit: int, *syn: str, required: bool = False) -> ColumnSpec:
    return ColumnSpec("str", required, max_length=limit, synonyms=syn)


PATTERNS = DatasetSpec(
    "patterns",
    "pattern_versions",
    {
        "pattern_id": _text(64, "id", "pattern", required=True),
        "version": ColumnSpec("float", minimum=1.0),
        "name": _text(120, "title", "display_name"),
        "description": _text(2000),
        "definition": ColumnSpec("json", True, synonyms=("rule", "json")),
        "note": _text(500),
        "created_by": _text(64),
    },
    key=("pattern_id", "version"),
    service=True,
)

ALERT_RULES = DatasetSpec(
    "alert_rules",
    "alert_rules",
    {
        "owner": _OWNER,
        "name": _text(80, "rule", "rule_name", required=True),
        "definition": ColumnSpec("json", True, synonyms=("rule_json", "document")),
    },
    key=("owner", "name"),
    service=True,
)

WATCHLISTS = DatasetSpec(
    "watchlists",
    "alert_watchlists",
    {
        "owner": _OWNER,
        "name": _text(80, "watchlist", "list", required=True),
        # a list's one row with no symbol stands for an empty list (kept on a round trip)
        "symbol": ColumnSpec("str", False, max_length=40, symbol=True, synonyms=("ticker",)),
    },
    key=("owner", "name", "symbol"),
    service=True,
)

STRATEGIES = DatasetSpec(
    "strategies",
    "user_strategies",
    {
        "owner": _OWNER,
        "name": _text(80, "strategy", required=True),
        "version": ColumnSpec("float", minimum=1.0),
        "underlying": ColumnSpec("str", True, max_length=40, symbol=True, synonyms=("symbol",)),
        "legs": ColumnSpec("json", True),
        "rules": ColumnSpec("json"),
        "note": _text(500),
    },
    key=("owner", "name", "version"),
    service=True,
)

POSITIONS = DatasetSpec(
    "positions",
    "positions",
    {
        "owner": _OWNER,
        "symbol": ColumnSpec(
            "str", True, max_length=40, symbol=True, synonyms=("ticker", "underlying")
        ),
        "contract": _text(80, "instrument", "tradingsymbol", "option"),
        "opened_at": ColumnSpec(
            "timestamp", True, synonyms=("opened", "date", "time", "trade_time", "timestamp")
        ),
        "qty": ColumnSpec("float", True, synonyms=("quantity", "net_qty", "lots")),
        "price": ColumnSpec("float", True, minimum=0.0, synonyms=("avg_price", "cost", "rate")),
        "note": _text(500),
    },
    key=("owner", "symbol", "contract", "opened_at"),
    sourced=True,
    service=True,
)

USER_SETTINGS = DatasetSpec(
    "user_settings",
    "user_settings",
    {
        "owner": _OWNER,
        "settings": ColumnSpec("json", True, synonyms=("preferences", "document")),
    },
    key=("owner",),
    service=True,
)

DOCUMENTS = (PATTERNS, ALERT_RULES, WATCHLISTS, STRATEGIES, POSITIONS, USER_SETTINGS)
DATASETS.update({s.name: s for s in DOCUMENTS})
