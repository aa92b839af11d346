"""Column mapping of an import: auto-detected from the header, previewed, overridable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from optionsintel.errors import ImportFileError
from optionsintel.exchange.specs import DatasetSpec


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


@dataclass(frozen=True)
class ColumnMapping:
    """Which file column feeds each data-set column.

    Attributes
    ----------
    columns
        Data-set column -> file column.
    unmapped
        File columns nothing reads (ignored).
    missing_required
        Required data-set columns no file column feeds.
    """

    columns: dict[str, str]
    unmapped: list[str]
    missing_required: list[str]

    def preview(self, frame: pd.DataFrame, rows: int = 5) -> pd.DataFrame:
        """The first ``rows`` of ``frame`` under their data-set column names."""
        return (
            frame.head(rows)
            .loc[:, list(self.columns.values())]
            .set_axis(list(self.columns), axis=1)
        )


def auto_map(
    file_columns: list[str], spec: DatasetSpec, overrides: Mapping[str, str] | None = None
) -> ColumnMapping:
    """Match file columns to ``spec``'s columns: exact name, then synonyms, then overrides.

    ``overrides`` maps data-set column -> file column and wins over detection; an override
    naming a column absent from either side raises :class:`ImportFileError`.
    """
    by_norm: dict[str, str] = {}
    for col in file_columns:
        by_norm.setdefault(_norm(col), col)
    chosen: dict[str, str] = {}
    for target, cs in spec.columns.items():
        for candidate in (target, *cs.synonyms):
            source = by_norm.get(_norm(candidate))
            if source is not None and source not in chosen.values():
                chosen[target] = source
                break
    for target, source in (overrides or {}).items():
        if target not in spec.columns:
            raise ImportFileError(
                f"{spec.name} has no column {target!r}; columns: {list(spec.columns)}"
            )
        if source not in file_columns:
            raise ImportFileError(f"the file has no column {source!r}; columns: {file_columns}")
        chosen = {t: s for t, s in chosen.items() if s != source}
        chosen[target] = source
    ordered = {t: chosen[t] for t in spec.columns if t in chosen}
    used = set(ordered.values())
    return ColumnMapping(ordered, [c for c in file_columns if c not in used],
                         [c for c in spec.required if c not in ordered])  # fmt: skip
