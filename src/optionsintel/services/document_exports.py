"""Exports of user documents and results, each with its provenance.

Documents: patterns, alert rules, watchlists, strategies, positions, per-user app settings.
Results: scan
results, backtest runs (trades, equity, metrics), alert history (notifications, attempts).

Documents are written in the shape their import reads (``services.document_imports``),
so export -> import gives identical rows. Results are read through their services
(``services.scans``, ``services.backtests``, the alert store) and carry the provider
and as-of they were computed from.

>>> export_documents(store, "patterns", "patterns.json")            # doctest: +SKIP
>>> export_scan_results(store, run_id, "scan.xlsx")                 # doctest: +SKIP
>>> export_backtest_run(store, run_id, "run.xlsx")                  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pandas as pd

from optionsintel.errors import ExportError
from optionsintel.exchange.export import export_frame, export_workbook
from optionsintel.exchange.formats import Compression, Format, detect
from optionsintel.exchange.provenance import Provenance
from optionsintel.services import backtests as backtest_service
from optionsintel.services import scans as scan_service
from optionsintel.services import user_settings as settings_service
from optionsintel.services.positions import COLUMNS as POSITION_COLUMNS
from optionsintel.store import Store
from optionsintel.store import patterns as pattern_repo
from optionsintel.store.alerts import (
    read_alert_notifications,
    read_alert_rules,
    read_delivery_attempts,
)

DOCUMENT_SETS = ("patterns", "alert_rules", "watchlists", "strategies", "positions",
                 "user_settings")  # fmt: skip

_KINDS: dict[str, dict[str, str]] = {
    "patterns": {"pattern_id": "str", "version": "int", "name": "str", "description": "str",
                 "definition": "json", "note": "str", "created_by": "str"},
    "alert_rules": {"owner": "str", "name": "str", "definition": "json"},
    "watchlists": {"owner": "str", "name": "str", "symbol": "str"},
    "strategies": {"owner": "str", "name": "str", "version": "int", "underlying": "str",
                   "legs": "json", "rules": "json", "note": "str"},
    "positions": {"owner": "str", "source": "str", "symbol": "str", "contract": "str",
                  "opened_at": "timestamp", "qty": "float", "price": "float", "note": "str"},
    "user_settings": {"owner": "str", "settings": "json"},
}  # fmt: skip


def document_frame(store: Store, dataset: str, *, owner: str | None = None) -> pd.DataFrame:
    """The stored documents of ``dataset`` (of ``owner``) in their import shape."""
    if dataset not in _KINDS:
        raise ExportError(f"cannot export {dataset!r} as documents; choose from {DOCUMENT_SETS}")
    frame = _READERS[dataset](store, owner)
    return frame.reindex(columns=list(_KINDS[dataset])).reset_index(drop=True)


def export_documents(
    store: Store,
    dataset: str,
    path: str | Path,
    fmt: Format | None = None,
    *,
    owner: str | None = None,
    compression: Compression | None = None,
) -> Provenance:
    """Write ``dataset``'s documents (of ``owner``) to ``path`` with their provenance."""
    frame = document_frame(store, dataset, owner=owner)
    query = {} if owner is None else {"owner": owner}
    source = sorted(set(frame["source"])) if dataset == "positions" else []
    prov = Provenance(dataset, provider=",".join(source) or None, query=query)
    return export_frame(frame, path, fmt, provenance=prov, compression=compression,
                        kinds=_KINDS[dataset])  # fmt: skip


def _patterns(store: Store, owner: str | None) -> pd.DataFrame:
    rows = []
    for head in pattern_repo.list_patterns(store, owner=owner, include_archived=True):
        for v in pattern_repo.read_versions(store, head.pattern_id):
            rows.append({"pattern_id": v.pattern_id, "version": v.version, "name": head.name,
                         "description": head.description, "definition": v.definition,
                         "note": v.note, "created_by": v.created_by})  # fmt: skip
    return pd.DataFrame(rows, columns=list(_KINDS["patterns"]))


def _alert_rules(store: Store, owner: str | None) -> pd.DataFrame:
    return read_alert_rules(store, owner=owner)


_NO_SYMBOL: list[str | None] = [None]


def _watchlists(store: Store, owner: str | None) -> pd.DataFrame:
    lists = read_alert_watchlists_rows(store, owner)
    # an empty list is one row without a symbol, so an import brings it back
    rows = [{"owner": o, "name": n, "symbol": s}
            for o, n, symbols in lists for s in (symbols or _NO_SYMBOL)]  # fmt: skip
    return pd.DataFrame(rows, columns=list(_KINDS["watchlists"]))


def read_alert_watchlists_rows(store: Store, owner: str | None) -> list[tuple[str, str, list[str]]]:
    """(owner, name, symbols) of every watchlist (of ``owner``), by owner and name."""
    where = {} if owner is None else {"owner": owner}
    found = store.read("alert_watchlists", where=where, order_by=["owner", "name"])
    return [(str(o), str(n), list(s or [])) for o, n, s
            in zip(found["owner"], found["name"], found["symbols"], strict=True)]  # fmt: skip


def _strategies(store: Store, owner: str | None) -> pd.DataFrame:
    where = {} if owner is None else {"owner": owner}
    return store.read("user_strategies", where=where, order_by=["owner", "name", "version"])


def _positions(store: Store, owner: str | None) -> pd.DataFrame:
    where = {} if owner is None else {"owner": owner}
    found = store.read("positions", where=where,
                       order_by=["owner", "source", "symbol", "contract", "opened_at"])  # fmt: skip
    return found[POSITION_COLUMNS]


def _user_settings(store: Store, owner: str | None) -> pd.DataFrame:
    rows = [{"owner": name, "settings": prefs.model_dump()}
            for name, prefs in settings_service.stored_settings(store, owner)]  # fmt: skip
    return pd.DataFrame(rows, columns=list(_KINDS["user_settings"]))


_READERS = {
    "patterns": _patterns,
    "alert_rules": _alert_rules,
    "watchlists": _watchlists,
    "strategies": _strategies,
    "positions": _positions,
    "user_settings": _user_settings,
}


# -- results --------------------------------------------------------------------------------


def export_scan_results(
    store: Store, run_id: str, path: str | Path, fmt: Format | None = None, **kw: Any
) -> Provenance:
    """A scan run's ranked matches, with the run's provider, as-of and spec."""
    run = scan_service.read_scan_run(store, run_id)
    frame = scan_service.read_scan_results(store, run_id)
    query = {"run_id": run_id, "name": run.plan.name, "pins": run.plan.pins}
    prov = Provenance("scan_results", run.plan.provider, run.plan.as_of, query)
    return export_frame(frame, path, fmt, provenance=prov, **kw)


BacktestTable = Literal["trades", "equity", "metrics"]


def backtest_tables(store: Store, run_id: str) -> tuple[dict[str, pd.DataFrame], Provenance]:
    """A stored backtest run's trades, equity curve and metrics, and their provenance."""
    record = backtest_service.read_run(store, run_id).record
    equity = record.equity.rename_axis("time").reset_index()
    metrics = pd.DataFrame({"metric": list(record.metrics),
                            "value": [_num(v) for v in record.metrics.values()]})  # fmt: skip
    prov = Provenance(
        "backtest_run", provider=record.provider, as_of=pd.Timestamp(record.period_end).isoformat(),
        query={"run_id": run_id, "kind": record.kind, "source": dict(record.source),
               "start": pd.Timestamp(record.period_start).isoformat()},
    )  # fmt: skip
    return {"trades": record.trades.reset_index(drop=True), "equity": equity,
            "metrics": metrics}, prov  # fmt: skip


def export_backtest_run(
    store: Store,
    run_id: str,
    path: str | Path,
    fmt: Format | None = None,
    *,
    table: BacktestTable = "trades",
    compression: Compression | None = None,
) -> Provenance:
    """A stored run to ``path``: .xlsx gets every table (a sheet each), else ``table``."""
    tables, prov = backtest_tables(store, run_id)
    if (fmt or detect(path)[0]) == "xlsx":
        return export_workbook(tables, path, provenance=prov)
    prov = Provenance(f"backtest_{table}", prov.provider, prov.as_of, prov.query)
    return export_frame(tables[table], path, fmt, provenance=prov, compression=compression)


def alert_history(store: Store, *, owner: str | None = None) -> dict[str, pd.DataFrame]:
    """Notifications (the trigger history) and their delivery attempts (of ``owner``)."""
    notes = read_alert_notifications(store, owner=owner)
    attempts = read_delivery_attempts(store)
    attempts = attempts[attempts["dedupe_key"].isin(set(notes["dedupe_key"]))]
    return {"notifications": notes, "attempts": attempts.reset_index(drop=True)}


def export_alert_history(
    store: Store,
    path: str | Path,
    fmt: Format | None = None,
    *,
    owner: str | None = None,
    table: Literal["notifications", "attempts"] = "notifications",
    compression: Compression | None = None,
) -> Provenance:
    """Alert history to ``path``: .xlsx gets both tables, else ``table``."""
    tables = alert_history(store, owner=owner)
    query = {} if owner is None else {"owner": owner}
    if (fmt or detect(path)[0]) == "xlsx":
        return export_workbook(tables, path, provenance=Provenance("alert_history", query=query))
    prov = Provenance(f"alert_{table}", query=query)
    return export_frame(tables[table], path, fmt, provenance=prov, compression=compression)


def _num(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None
