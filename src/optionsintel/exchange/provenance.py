"""Provenance carried by every export: where the rows came from and which query chose them."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

#: Key of the provenance record in Parquet key/value metadata and Excel custom properties.
METADATA_KEY = "optionsintel.provenance"
SIDECAR_SUFFIX = ".provenance.json"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Provenance:
    """What an exported file holds and where it came from.

    Parameters
    ----------
    dataset
        Data set or result name (``daily_ohlc``, ``scan_results``, ``frame``...).
    provider
        The provider stamped on the rows (None for data that has none, e.g. instruments).
    as_of
        The instant or date the data stands at, as ISO text (None when not applicable).
    query
        The read's parameters (subject, bounds, filters), JSON-compatible.
    row_count
        Rows written; filled in by the writer when the export closes.
    created_at
        When the export was made (UTC, ISO 8601).
    """

    dataset: str
    provider: str | None = None
    as_of: str | None = None
    query: dict[str, Any] = field(default_factory=dict)
    row_count: int = 0
    created_at: str = field(default_factory=_now)
    format: str = ""
    generator: str = "optionsintel"

    def with_rows(self, row_count: int, fmt: str) -> Provenance:
        """A copy stamped with the final row count and the file format."""
        return replace(self, row_count=int(row_count), format=fmt)

    def to_json(self) -> str:
        """The record as compact JSON (non-JSON values in ``query`` become strings)."""
        return json.dumps(asdict(self), default=str, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Provenance:
        """Parse a record written by :meth:`to_json` (unknown keys are ignored)."""
        data = json.loads(text)
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def sidecar_path(path: str | Path) -> Path:
    """The JSON sidecar next to an export: ``chain.csv.gz`` -> ``chain.csv.gz.provenance.json``."""
    p = Path(path)
    return p.with_name(p.name + SIDECAR_SUFFIX)


def write_sidecar(path: str | Path, provenance: Provenance) -> Path:
    """Write ``provenance`` next to ``path`` and return the sidecar's path."""
    target = sidecar_path(path)
    target.write_text(json.dumps(json.loads(provenance.to_json()), indent=2) + "\n")
    return target


def read_sidecar(path: str | Path) -> Provenance | None:
    """The sidecar provenance of ``path``, or None when there is none."""
    target = sidecar_path(path)
    if not target.exists():
        return None
    return Provenance.from_json(target.read_bytes()[:1_000_000])
