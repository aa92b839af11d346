"""The import specs agree with the store's tables (columns, kinds, keys, required values)."""

from __future__ import annotations

import pytest

from optionsintel.exchange.specs import DATASETS
from optionsintel.store.reads.stream import column_kinds
from optionsintel.store.schema import metadata, natural_key

_STAMPED = {"provider", "ingested_at", "created_at"}


@pytest.mark.parametrize("name", sorted(n for n, s in DATASETS.items() if not s.service))
def test_spec_matches_its_table(name):
    spec = DATASETS[name]
    table = metadata.tables[spec.table]
    kinds = column_kinds(spec.table)
    assert {c: s.kind for c, s in spec.columns.items()} == {c: kinds[c] for c in spec.columns}
    assert set(spec.key) | ({"provider"} if spec.market else set()) == set(natural_key(table))
    must = {c.name for c in table.columns
            if not c.nullable and c.server_default is None and c.name not in _STAMPED}  # fmt: skip
    assert must == set(spec.required)
    assert set(spec.columns) | _STAMPED >= {c.name for c in table.columns} - {"provider"}


@pytest.mark.parametrize("name", sorted(n for n, s in DATASETS.items() if s.service))
def test_document_spec_reads_what_its_export_writes(name):
    """Documents are stored by services, not as rows: the spec mirrors the export's shape."""
    from optionsintel.services.document_exports import _KINDS

    spec = DATASETS[name]
    written = {c: ("float" if k == "int" else k) for c, k in _KINDS[name].items()}
    written.pop("source", None)  # positions: the import's provider names it
    assert {c: s.kind for c, s in spec.columns.items()} == written
