"""Reading one sheet of an .xlsx upload with openpyxl in read-only mode, within limits.

Read-only mode streams the sheet's XML (openpyxl parses it with defusedxml when that is
installed, which refuses entity-expansion bombs). A cell holding a formula is refused, not
evaluated and not trusted for its cached value: an import takes data, never formulas.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import pandas as pd

from optionsintel.errors import ImportFileError


def read_sheet(data: bytes, sheet: str | None, limits: Any) -> pd.DataFrame:
    """The rows of ``sheet`` (default the first) with the first row as the header."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on malformed archives
        raise ImportFileError(f"malformed Excel file: {type(exc).__name__}: {exc}"[:300]) from None
    try:
        if len(book.sheetnames) > limits.max_sheets:
            raise ImportFileError(
                f"the workbook has {len(book.sheetnames)} sheets; the limit is {limits.max_sheets}"
            )
        name = sheet or book.sheetnames[0]
        if name not in book.sheetnames:
            raise ImportFileError(f"the workbook has no sheet {name!r}; sheets: {book.sheetnames}")
        rows: list[list[Any]] = []
        header: list[str] | None = None
        for r, row in enumerate(book[name].iter_rows(), start=1):
            if r > limits.max_rows + 1:
                raise ImportFileError(f"sheet {name!r} has more than {limits.max_rows:,} rows")
            if len(row) > limits.max_columns:
                raise ImportFileError(f"sheet {name!r} has more than {limits.max_columns} columns")
            values = []
            for c, cell in enumerate(row, start=1):
                if getattr(cell, "data_type", None) == "f":
                    raise ImportFileError(
                        f"sheet {name!r} cell {get_column_letter(c)}{r} holds a formula; "
                        "imports take values only (paste as values and retry)"
                    )
                values.append(cell.value)
            if header is None:
                header = [
                    str(v).strip() if v is not None else f"column_{i + 1}"
                    for i, v in enumerate(values)
                ]
            elif any(v is not None for v in values):
                rows.append(values)
    except ImportFileError:
        raise
    except Exception as exc:  # the sheet's XML is parsed lazily: a broken cell fails here
        raise ImportFileError(f"malformed Excel sheet {name!r}: {type(exc).__name__}: "
                              f"{exc}"[:300]) from None  # fmt: skip
    finally:
        book.close()
    if header is None:
        raise ImportFileError(f"sheet {name!r} is empty")
    width = len(header)
    return pd.DataFrame([(v + [None] * width)[:width] for v in rows], columns=header, dtype=object)
