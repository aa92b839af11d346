"""Excel .xlsx export: one sheet per table, typed cells, frozen header, never a formula.

Written with XlsxWriter in ``constant_memory`` mode (each row is flushed as soon as the next
one starts), so a workbook of any length costs the memory of one row. Every text cell is
written as text: ``strings_to_formulas`` is off, so a cell beginning with ``=``, ``+``,
``-`` or ``@`` is stored as a string and Excel never evaluates it (formula injection).
Instants are written in exchange time (IST, what a trader reads) without a zone, which is
how :mod:`optionsintel` reads naive instants back; dates keep a date format.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from optionsintel.errors import ExportError
from optionsintel.exchange.columns import utc_series
from optionsintel.exchange.provenance import METADATA_KEY, Provenance
from optionsintel.tz import EXCHANGE_TZ

MAX_ROWS = 1_048_576  # Excel's row limit per sheet, header included
_OPTIONS = {
    "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
    "strings_to_urls": False, "use_zip64": True,
}  # fmt: skip
_NUMBER_FORMATS = {"date": "yyyy-mm-dd", "timestamp": "yyyy-mm-dd hh:mm:ss"}


class ExcelWriter:
    """A workbook written sheet by sheet, chunk by chunk.

    Parameters
    ----------
    path
        The .xlsx file to create.
    """

    def __init__(self, path: str | Path) -> None:
        self.book = xlsxwriter.Workbook(str(path), _OPTIONS)
        self._header = self.book.add_format({"bold": True, "bg_color": "#DDE4EE"})
        self._formats = {
            k: self.book.add_format({"num_format": f}) for k, f in _NUMBER_FORMATS.items()
        }
        self._sheet: Any = None
        self._row = 0
        self._name = ""
        self._part = 1
        self.kinds: dict[str, str] = {}
        self.sheets: list[str] = []

    def add_sheet(self, name: str, kinds: Mapping[str, str]) -> None:
        """Start a sheet called ``name`` (cut to Excel's 31 characters) for these columns."""
        self.kinds = dict(kinds)
        self._name, self._part = _sheet_name(name, set(self.sheets)), 1
        self._open(self._name)

    def _open(self, name: str) -> None:
        ws = self.book.add_worksheet(name)
        self.sheets.append(name)
        for i, (column, kind) in enumerate(self.kinds.items()):
            width = 20 if kind == "timestamp" else max(10, min(40, len(column) + 2))
            ws.set_column(i, i, width, self._formats.get(kind))
            ws.write_string(0, i, column, self._header)
        ws.freeze_panes(1, 0)
        self._sheet, self._row = ws, 1

    def write(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame`` to the current sheet (continued on a new one when full)."""
        if self._sheet is None:
            raise ExportError("add a sheet before writing rows")
        columns = [_cells(frame[c], k) for c, k in self.kinds.items()]
        ws, write_row = self._sheet, self._sheet.write_row
        for values in zip(*columns, strict=True):
            if self._row >= MAX_ROWS:
                self._part += 1
                self._open(_sheet_name(f"{self._name}_{self._part}", set(self.sheets)))
                ws, write_row = self._sheet, self._sheet.write_row
            write_row(self._row, 0, values)
            self._row += 1
        del ws

    def close(self, provenance: Provenance) -> None:
        """Record ``provenance`` in the workbook's custom properties and write the file."""
        self.book.set_custom_property(METADATA_KEY, provenance.to_json()[:32_000])
        self.book.set_properties({"title": provenance.dataset, "comments": "optionsintel export"})
        self.book.close()


def _cells(s: pd.Series, kind: str) -> list[Any]:
    """Python values XlsxWriter writes natively; missing values become blank cells."""
    if kind == "timestamp":
        local = utc_series(s).dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None)
        return [None if v is pd.NaT else v for v in local.dt.to_pydatetime()]
    if kind == "date":
        days = pd.to_datetime(s)
        return [None if v is pd.NaT else v for v in days.dt.to_pydatetime()]
    if kind in ("float", "int"):
        values = s.to_numpy(dtype="float64", na_value=np.nan)
        finite = np.isfinite(values)
        cells: list[Any] = np.where(finite, values, None).tolist()  # type: ignore[attr-defined]
        return cells
    if kind == "json":
        from optionsintel.exchange.columns import to_arrow

        return to_arrow(pd.DataFrame({"v": s}), {"v": "json"}).column(0).to_pylist()
    if kind == "bool":
        return [None if pd.isna(v) else bool(v) for v in s]
    return [
        None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v) for v in s
    ]


def _sheet_name(name: str, taken: set[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "sheet"
    candidate, n = clean, 1
    while candidate in taken:
        n += 1
        candidate = f"{clean[: 31 - len(str(n)) - 1]}_{n}"
    return candidate
