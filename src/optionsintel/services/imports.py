"""Import use cases: a file in, validated, then committed all-or-nothing (or only previewed).

>>> plan = plan_import(store, "bars.csv", "daily_bars", provider="my_broker")  # doctest: +SKIP
>>> print(plan.report.summary())                                               # doctest: +SKIP
>>> commit_import(store, plan)                                                 # doctest: +SKIP

:func:`plan_import` is the dry run: it reads the file safely, maps its columns, validates
every row and checks the provider name, writing nothing. :func:`commit_import` writes the
validated rows and the import's ``bulk_operations`` record in one transaction; the rows go
through the store's idempotent upsert, and the record's id is derived from the file's
content, so importing the same file again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from optionsintel._typing import Provider
from optionsintel.errors import ImportFileError, ImportValidationError, ProviderNameError
from optionsintel.exchange.formats import Compression, Format
from optionsintel.exchange.mapping import auto_map
from optionsintel.exchange.readers import Limits, read_table
from optionsintel.exchange.specs import DatasetSpec, check_provider_name, dataset_spec
from optionsintel.exchange.validate import ValidationReport, validate
from optionsintel.services.document_imports import check_documents, commit_documents
from optionsintel.services.universe import known_symbols
from optionsintel.store import Store
from optionsintel.store.reads import MARKET_DATASETS, list_providers

IMPORT_KIND = "import"
USER_SOURCE = "user_import"
"""The source stamped on imported reference rows (instruments) when no name is given."""


@dataclass
class ImportPlan:
    """A validated import, ready to commit (or to show as a dry run)."""

    spec: DatasetSpec
    provider: Provider | None
    report: ValidationReport
    source: str
    sha256: str
    user: str = "import"

    @property
    def operation_id(self) -> str:
        """The ``bulk_operations`` id: same file, data set, provider and mapping, same id."""
        mapping = json.dumps(self.report.mapping.columns)
        token = f"{self.spec.name}|{self.provider}|{self.sha256}|{mapping}"
        return "import-" + hashlib.sha256(token.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class ImportResult:
    """What a committed import did."""

    dataset: str
    provider: Provider | None
    rows: int
    inserted: int
    updated: int
    operation_id: str

    @property
    def unchanged(self) -> int:
        """Rows that were already stored exactly as in the file."""
        return self.rows - self.inserted - self.updated


def plan_import(
    store: Store,
    source: str | Path | bytes,
    dataset: str,
    *,
    provider: Provider | None = None,
    fmt: Format | None = None,
    compression: Compression | None = None,
    name: str = "upload",
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
    limits: Limits = Limits(),
    user: str = "import",
) -> ImportPlan:
    """Read, map and validate ``source`` for ``dataset``; nothing is written (the dry run).

    Parameters
    ----------
    store
        Used to check the provider name and the known symbols (instruments).
    source
        A path or uploaded bytes (``name`` then tells the format).
    dataset
        ``daily_bars``, ``option_chain``, ``instruments``, or a user document set:
        ``patterns``, ``alert_rules``, ``watchlists``, ``strategies``, ``positions``,
        ``user_settings``.
    provider
        Market data only: the name stamped on the rows (see :func:`check_import_provider`).
    mapping
        Overrides of the detected column mapping: data-set column -> file column.
    user
        Who imports (recorded as the author of pattern versions without ``created_by``).

    Raises
    ------
    ImportFileError
        The file is unreadable or hostile.
    ProviderNameError
        The provider name is missing, malformed, built in or another source's.
    """
    spec = dataset_spec(dataset)
    if spec.market:
        check_import_provider(store, provider)
    elif spec.sourced:
        provider = check_provider_name(provider or USER_SOURCE)
    elif provider is not None:
        raise ProviderNameError(f"{spec.name} rows carry no provider; drop --provider")
    data = source if isinstance(source, bytes) else _read_bounded(Path(source), limits)
    label = name if isinstance(source, bytes) else Path(source).name
    raw = read_table(data, fmt, compression, name=label, sheet=sheet, limits=limits)
    column_map = auto_map([str(c) for c in raw.columns], spec, mapping)
    known = _known_symbols(store) if spec.market else None
    if spec.service and any(c.symbol for c in spec.columns.values()):
        known = known_symbols(store)  # instruments and every symbol with stored data
    report = validate(raw, spec, column_map, known_symbols=known)
    if spec.service:
        check_documents(store, spec, report, known or ())
    digest = hashlib.sha256(data).hexdigest()
    return ImportPlan(spec, provider, report, label, digest, user)


def commit_import(store: Store, plan: ImportPlan) -> ImportResult:
    """Write a valid plan's rows and its import record in one transaction.

    Raises
    ------
    ImportValidationError
        When any row failed validation: nothing is written.
    StoreWriteError
        When PostgreSQL refuses the rows: nothing is written.
    """
    report = plan.report
    if not report.ok:
        raise ImportValidationError(
            f"{len(report.errors)} invalid values in {plan.source}; nothing was imported "
            f"(first: {report.errors[0]})",
            report=report,
        )
    frame = report.frame.copy()
    if plan.spec.market or plan.spec.sourced:
        frame["provider"] = plan.provider
    record = pd.DataFrame(
        [
            {
                "operation_id": plan.operation_id,
                "kind": IMPORT_KIND,
                "status": "SUCCEEDED",
                "total_items": len(frame),
                "done_items": len(frame),
                "params": {
                    "dataset": plan.spec.name,
                    "table": plan.spec.table,
                    "provider": plan.provider,
                    "source": plan.source,
                    "sha256": plan.sha256,
                },
            }
        ]
    )
    if plan.spec.service:
        # validated as a whole first; each document is stored by its owner's service
        inserted, updated = commit_documents(
            store, plan.spec, report.frame, provider=plan.provider, user=plan.user
        )
        store.append("bulk_operations", record, on_duplicate="skip")
        return ImportResult(plan.spec.name, plan.provider, len(frame), inserted, updated,
                            plan.operation_id)  # fmt: skip
    with store.transaction() as writer:
        merged = writer.write(plan.spec.table, frame)
        writer.append("bulk_operations", record, on_duplicate="skip")
    return ImportResult(
        plan.spec.name,
        plan.provider,
        merged.rows,
        merged.inserted,
        merged.updated,
        plan.operation_id,
    )


def import_file(
    store: Store,
    source: str | Path | bytes,
    dataset: str,
    *,
    dry_run: bool = True,
    **options: object,
) -> tuple[ImportPlan, ImportResult | None]:
    """Plan an import and, unless ``dry_run`` (the default), commit it."""
    plan = plan_import(store, source, dataset, **options)  # type: ignore[arg-type]
    return plan, (None if dry_run else commit_import(store, plan))


def import_providers(store: Store) -> set[str]:
    """Provider names the user's earlier imports stamped (their own to reuse)."""
    ops = store.read("bulk_operations", where={"kind": IMPORT_KIND}, columns=["params"])
    return {
        str(p.get("provider")) for p in ops["params"] if isinstance(p, dict) and p.get("provider")
    }


def check_import_provider(store: Store, provider: Provider | None) -> str:
    """Accept ``provider`` for imported market rows, or raise :class:`ProviderNameError`.

    A name must be well formed, not a built-in source's, and not stamped on stored rows by
    anything but the user's own earlier imports (rows of two sources never mix).
    """
    if provider is None:
        raise ProviderNameError(
            "importing market data needs --provider NAME (your own source name)"
        )
    check_provider_name(provider)
    if provider in import_providers(store):
        return provider
    for dataset in MARKET_DATASETS:
        if provider in list_providers(store, dataset):  # type: ignore[arg-type]
            raise ProviderNameError(
                f"provider {provider!r} already names {dataset} rows that no import of yours "
                "wrote; choose another name"
            )
    return provider


def _read_bounded(path: Path, limits: Limits) -> bytes:
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise ImportFileError(
            f"{path.name} is {size:,} bytes; the import limit is {limits.max_bytes:,}"
        )
    return path.read_bytes()


def _known_symbols(store: Store) -> set[str]:
    return {str(s) for s in store.distinct("instruments", "symbol")}
