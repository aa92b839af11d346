"""What each importable data set looks like: columns, kinds, ranges, natural key.

The specs mirror the store's tables (a test holds them to :mod:`optionsintel.store.schema`);
they live here so validation stays a pure function of the file and the spec.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from optionsintel.errors import ImportFileError, ProviderNameError

#: Provider names the platform's own sources stamp; an import may never use one.
BUILT_IN_PROVIDERS = frozenset({"nse", "angelone", "replay", "synthetic", "failover"})
_PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9&._-]{0,39}$")

#: A pluggable check of a JSON definition (pattern model, alert condition): returns a list
#: of messages, empty when the value is valid. Set by the packages that own the models.
DefinitionValidator = Callable[[Any], list[str]]


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an importable data set."""

    kind: str
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    symbol: bool = False
    synonyms: tuple[str, ...] = ()
    default: Any = None  # what a missing optional value becomes (the table's default)
    #: An observation's day or instant (a bar's date, a snapshot's time): it cannot lie after
    #: the current exchange day (Asia/Kolkata). Expiries and other planned dates may.
    observed: bool = False


@dataclass(frozen=True)
class DatasetSpec:
    """An importable data set: its store table, columns and natural key (file-level)."""

    name: str
    table: str
    columns: dict[str, ColumnSpec]
    key: tuple[str, ...]
    market: bool = False
    sourced: bool = False  # rows name their source in ``provider`` without being market data
    append_only: bool = False
    service: bool = False  # committed through its owner's service (validated by its model)
    validators: dict[str, DefinitionValidator] = field(default_factory=dict)

    @property
    def required(self) -> list[str]:
        """Columns every row must have."""
        return [c for c, s in self.columns.items() if s.required]


#: Bounds that no Indian listed price (rupees per unit) or traded quantity (units) comes
#: near; a value past them is a broken file (a unit mix-up, an overflowed cell), not data.
PRICE_MAX = 1e8
QUANTITY_MAX = 1e15


def _f(minimum: float | None = 0.0, *syn: str, required: bool = False,
       maximum: float | None = None) -> ColumnSpec:  # fmt: skip
    return ColumnSpec("float", required=required, minimum=minimum, maximum=maximum, synonyms=syn)


def _price(*syn: str) -> ColumnSpec:
    return _f(0.0, *syn, maximum=PRICE_MAX)


def _quantity(*syn: str) -> ColumnSpec:
    return _f(0.0, *syn, maximum=QUANTITY_MAX)


_PRICES = {
    "open": _price("o", "open_price"),
    "high": _price("h", "high_price"),
    "low": _price("l", "low_price"),
    "close": _price("c", "close_price", "last"),
    "volume": _quantity("vol", "qty", "traded_qty"),
    "oi": _quantity("open_interest"),
}

DAILY_BARS = DatasetSpec(
    "daily_bars",
    "daily_ohlc",
    {
        "symbol": ColumnSpec(
            "str",
            True,
            max_length=40,
            symbol=True,
            synonyms=("ticker", "tradingsymbol", "underlying", "instrument"),
        ),
        "trade_date": ColumnSpec(
            "date", True, synonyms=("date", "day", "timestamp", "trading_date"), observed=True
        ),
        **_PRICES,
    },
    key=("symbol", "trade_date"),
    market=True,
)

OPTION_CHAIN = DatasetSpec(
    "option_chain",
    "option_chain_snapshots",
    {
        "underlying": ColumnSpec(
            "str", True, max_length=40, symbol=True, synonyms=("symbol", "ticker")
        ),
        "snapshot_ts": ColumnSpec(
            "timestamp",
            True,
            synonyms=("timestamp", "ts", "time", "datetime", "snapshot_time"),
            observed=True,
        ),
        "expiry": ColumnSpec("date", True, synonyms=("expiry_date", "expiration")),
        "strike": ColumnSpec(
            "float", True, minimum=0.0, maximum=PRICE_MAX, synonyms=("strike_price", "k")
        ),
        "option_type": ColumnSpec(
            "str", True, choices=("CE", "PE"), synonyms=("type", "right", "opt_type", "cp")
        ),
        "ltp": _price("last_price", "price"),
        "bid": _price("bid_price"),
        "ask": _price("ask_price"),
        "bid_qty": _quantity(),
        "ask_qty": _quantity(),
        "volume": _quantity("vol"),
        "oi": _quantity("open_interest"),
        "oi_change": _f(None, "change_in_oi", "chg_oi"),
        "iv": _f(0.0, "implied_volatility"),
        "delta": ColumnSpec("float", minimum=-1.0, maximum=1.0),
        "gamma": _f(None),
        "theta": _f(None),
        "vega": _f(None),
        "underlying_price": _price("spot", "underlying_value"),
        "exchange_ts": ColumnSpec("timestamp"),
    },
    key=("underlying", "snapshot_ts", "expiry", "strike", "option_type"),
    market=True,
)

INSTRUMENTS = DatasetSpec(
    "instruments",
    "instruments",
    {
        "symbol": ColumnSpec("str", True, max_length=40, symbol=True, synonyms=("ticker",)),
        "segment": ColumnSpec("str", True, choices=("index", "equity", "commodity", "currency")),
        "exchange": ColumnSpec("str", max_length=8, default="NSE"),
        "name": ColumnSpec("str", max_length=200),
        "sector": ColumnSpec("str", max_length=64),
        "is_active": ColumnSpec("bool", synonyms=("active",), default=True),
        "attributes": ColumnSpec("json", default={}),
    },
    key=("symbol",),
    sourced=True,
)

# Patterns, alert rules, watchlists, strategies and positions are never imported as raw
# table rows: their specs (``exchange.documents``) mark them ``service=True`` and the import
# goes through their owner's service (``services.document_imports``), which validates each
# row with the owner's model and stores it the way the app would.

DATASETS: dict[str, DatasetSpec] = {s.name: s for s in (DAILY_BARS, OPTION_CHAIN, INSTRUMENTS)}


def dataset_spec(name: str) -> DatasetSpec:
    """The spec of an importable data set (by its import name or its table name)."""
    for spec in DATASETS.values():
        if name in (spec.name, spec.table):
            return spec
    raise ImportFileError(f"cannot import {name!r}; importable: {sorted(DATASETS)}")


def register_validator(dataset: str, column: str, validator: DefinitionValidator) -> None:
    """Plug in the owner's check of a JSON column (e.g. the pattern model for definitions)."""
    spec = dataset_spec(dataset)
    if spec.columns.get(column, ColumnSpec("")).kind != "json":
        raise ImportFileError(f"{dataset}.{column} is not a JSON column")
    spec.validators[column] = validator


def check_provider_name(name: str) -> str:
    """Return ``name`` if it may stamp imported rows; raise :class:`ProviderNameError` if not."""
    if not isinstance(name, str) or not _PROVIDER_NAME.match(name):
        raise ProviderNameError(
            f"provider name {name!r} is not allowed: use 2-32 characters a-z, 0-9, '_' or '-', "
            "starting with a letter (e.g. 'my_broker')"
        )
    if name in BUILT_IN_PROVIDERS:
        raise ProviderNameError(
            f"provider name {name!r} belongs to a built-in source; choose your own name so "
            "imported rows never mix with its data"
        )
    return name
