"""Row-level validation of an import: every error, by row and column, vectorised.

Each column is converted once for the whole file (``pandas.to_numeric``/``to_datetime`` with
``errors="coerce"``), and a value that did not convert, is out of range, is not an allowed
choice, names an unknown symbol, is missing where required or repeats a natural key becomes a
:class:`RowError`. Rows are numbered from 1 (the first data row, after the header).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from optionsintel.exchange.mapping import ColumnMapping
from optionsintel.exchange.readers import depth
from optionsintel.exchange.specs import SYMBOL, ColumnSpec, DatasetSpec
from optionsintel.tz import EXCHANGE_TZ

_AWARE = r"(?:Z|[+-]\d\d:?\d\d)$"
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_MAX_JSON_DEPTH = 32


@dataclass(frozen=True)
class RowError:
    """One invalid value: ``row`` (1-based; 0 = the header), file ``column``, error ``code``."""

    row: int
    column: str
    code: str  # missing | type | range | choice | unknown_symbol | duplicate_key | invalid
    message: str
    value: str = ""

    def __str__(self) -> str:
        where = "header" if self.row == 0 else f"row {self.row}"
        return f"{where}, column {self.column!r}: {self.message}" + (
            f" (got {self.value})" if self.value else ""
        )


@dataclass
class ValidationReport:
    """The outcome of validating one file against one data set."""

    dataset: str
    rows: int
    mapping: ColumnMapping
    errors: list[RowError] = field(default_factory=list)
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        """True when no row has an error."""
        return not self.errors

    def errors_frame(self) -> pd.DataFrame:
        """The errors as a frame (row, column, code, message, value)."""
        return pd.DataFrame([e.__dict__ for e in self.errors],
                            columns=["row", "column", "code", "message", "value"])  # fmt: skip

    def summary(self, limit: int = 20) -> str:
        """A short text: the counts, then the first ``limit`` errors."""
        if self.ok:
            return f"{self.rows} rows of {self.dataset}: all valid"
        lines = [f"{self.rows} rows of {self.dataset}: {len(self.errors)} errors"]
        lines += [f"  {e}" for e in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"  ... and {len(self.errors) - limit} more")
        return "\n".join(lines)


def validate(
    raw: pd.DataFrame,
    spec: DatasetSpec,
    mapping: ColumnMapping,
    *,
    known_symbols: Collection[str] | None = None,
) -> ValidationReport:
    """Convert and check every mapped column of ``raw``; return the typed rows and the errors.

    Parameters
    ----------
    raw
        The file's table as read (:func:`optionsintel.exchange.readers.read_table`).
    spec, mapping
        The target data set and which file column feeds each of its columns.
    known_symbols
        When given and non-empty, symbol columns must name one of these.
    """
    report = ValidationReport(spec.name, len(raw), mapping)
    report.errors += [RowError(0, c, "missing", "required column is absent from the file")
                      for c in mapping.missing_required]  # fmt: skip
    out: dict[str, pd.Series] = {}
    for target, source in mapping.columns.items():
        cs = spec.columns[target]
        values = raw[source].reset_index(drop=True)
        converted, problems = _convert(values, cs, spec.validators.get(target))
        missing = _missing(values)
        if cs.required:
            problems.insert(0, (missing.to_numpy(), "missing", "required value is missing"))
        if cs.symbol and known_symbols:
            unknown = ~missing & ~converted.isin(list(known_symbols))
            problems.append(
                (unknown.to_numpy(), "unknown_symbol", "symbol is not a known instrument")
            )
        report.errors += _row_errors(values, source, problems)
        out[target] = converted
    frame = pd.DataFrame(out)
    for target, cs in spec.columns.items():
        if cs.default is not None and target in frame.columns:
            filled = [cs.default if _absent(v) else v for v in frame[target]]
            frame[target] = pd.Series(filled, index=frame.index, dtype=object)
    if spec.table == "daily_ohlc":
        report.errors += _bar_errors(frame, mapping)
    report.errors += _duplicate_errors(frame, spec, mapping)
    report.errors.sort(key=lambda e: (e.row, e.column))
    report.frame = frame
    return report


Problem = tuple[np.ndarray, str, str]


def _missing(s: pd.Series) -> pd.Series:
    blank = s.isna()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        blank |= s.astype("string").str.strip().fillna("").eq("")
    return blank.fillna(True).astype(bool)


def _convert(s: pd.Series, cs: ColumnSpec, validator: object) -> tuple[pd.Series, list[Problem]]:
    missing = _missing(s)
    kind = cs.kind
    if kind == "str":
        out = s.astype("string").str.strip().where(~missing)
        if cs.symbol or (cs.choices and all(c.isupper() for c in cs.choices)):
            out = out.str.upper()
        elif cs.choices:
            out = out.str.lower()
        problems = []
        if cs.max_length:
            problems.append(((out.str.len() > cs.max_length).fillna(False).to_numpy(), "range",
                             f"longer than {cs.max_length} characters"))  # fmt: skip
        if cs.symbol:
            bad = ~missing & ~out.fillna("").str.fullmatch(SYMBOL.pattern)
            problems.append((bad.to_numpy(), "type", "not a symbol (A-Z, 0-9, & . _ -)"))
        if cs.choices:
            bad = ~missing & ~out.isin(cs.choices)
            problems.append((bad.to_numpy(), "choice", f"must be one of {list(cs.choices)}"))
        return out.astype(object).where(~missing, None), problems
    if kind in ("float", "int"):
        return _number(s, missing, cs)
    if kind == "bool":
        return _bool(s, missing)
    if kind in ("date", "timestamp"):
        out = _instants(s, missing) if kind == "timestamp" else _dates(s, missing)
        problems = [((~missing & out.isna()).to_numpy(), "type", f"not a {kind} (use ISO 8601)")]
        if cs.observed:
            problems.append(_after_today(out, kind))
        return out, problems
    return _json(s, missing, validator)


def _number(s: pd.Series, missing: pd.Series, cs: ColumnSpec) -> tuple[pd.Series, list[Problem]]:
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        num = s.astype("float64")
    else:
        num = _parse_floats(s)
        if s.dtype == object:  # JSON/Excel cells: True is not a number
            num[s.map(lambda v: isinstance(v, bool)).astype(bool)] = np.nan
    bad_type = ~missing & (num.isna() | ~np.isfinite(num.fillna(0.0)))
    problems: list[Problem] = [
        (bad_type.to_numpy(), "type", f"not a {'whole ' if cs.kind == 'int' else ''}number")
    ]
    if cs.kind == "int":
        problems.append(
            ((~bad_type & ~missing & (num != num.round())).to_numpy(), "type", "not a whole number")
        )
    if cs.minimum is not None:
        problems.append(
            ((num < cs.minimum).fillna(False).to_numpy(), "range", f"below {cs.minimum:g}")
        )
    if cs.maximum is not None:
        problems.append(
            ((num > cs.maximum).fillna(False).to_numpy(), "range", f"above {cs.maximum:g}")
        )
    num = num.where(~bad_type)
    return (num.astype("Int64") if cs.kind == "int" else num), problems


def _after_today(out: pd.Series, kind: str) -> Problem:
    """Observations dated after the current exchange day (a bar of 3025 is a broken file)."""
    today = pd.Timestamp.now(tz=EXCHANGE_TZ).normalize()
    if kind == "timestamp":
        late = out >= (today + pd.Timedelta(days=1)).tz_convert("UTC")
    else:
        late = out > today.tz_localize(None)
    message = f"after today ({today.date().isoformat()}, exchange day): not observed yet"
    return late.fillna(False).to_numpy(dtype=bool), "range", message


def _parse_floats(s: pd.Series) -> pd.Series:
    """Text to floats: Arrow's C++ parser when every value parses, else pandas' coercion."""
    text = s.astype("string").str.strip()
    try:
        parsed = pc.cast(pa.array(text, pa.string(), from_pandas=True), pa.float64())
        return pd.Series(parsed.to_numpy(zero_copy_only=False), index=s.index, dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pd.to_numeric(text, errors="coerce").astype("float64")


def _bool(s: pd.Series, missing: pd.Series) -> tuple[pd.Series, list[Problem]]:
    text = s.map(lambda v: str(v).strip().lower() if v is not None and v == v else "")
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[text.isin(_TRUE)] = True
    out[text.isin(_FALSE)] = False
    return out, [((~missing & out.isna()).to_numpy(), "type", "not true/false")]


def _instants(s: pd.Series, missing: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return s.dt.tz_localize(EXCHANGE_TZ).dt.tz_convert("UTC")
    text = s.astype("string").str.strip().where(~missing)
    aware = text.str.contains(_AWARE, regex=True).fillna(False).astype(bool)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us, UTC]")
    if aware.any():
        out[aware] = pd.to_datetime(text[aware], utc=True, format="ISO8601", errors="coerce")
    naive = ~aware & ~missing
    if naive.any():
        local = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        out[naive] = local.dt.tz_localize(EXCHANGE_TZ).dt.tz_convert("UTC")
    return out


def _dates(s: pd.Series, missing: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return s.dt.normalize().astype("datetime64[us]")
    text = s.astype("string").str.strip().where(~missing)
    out = pd.to_datetime(text, format="ISO8601", errors="coerce")
    if isinstance(out.dtype, pd.DatetimeTZDtype):
        out = out.dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None)
    return out.dt.normalize().astype("datetime64[us]")


def _json(s: pd.Series, missing: pd.Series, validator: object) -> tuple[pd.Series, list[Problem]]:
    values, bad, invalid, messages = [], [], [], []
    for v in s:
        if isinstance(v, str) and v.strip():
            try:
                v = json.loads(v)
            except (ValueError, RecursionError):
                v = _BAD
        ok = isinstance(v, dict | list) and depth(v, _MAX_JSON_DEPTH + 1) <= _MAX_JSON_DEPTH
        bad.append(not ok and v is not None)
        found = validator(v) if ok and callable(validator) else []  # type: ignore[operator]
        invalid.append(bool(found))
        messages.append("; ".join(found))
        values.append(v if ok else None)
    out = pd.Series(values, index=s.index, dtype=object)
    problems: list[Problem] = [
        (np.array(bad) & ~missing.to_numpy(), "type", "not a JSON object or array")
    ]
    if any(invalid):
        problems.append(
            (
                np.array(invalid),
                "invalid",
                "definition rejected: " + (next(m for m in messages if m))[:200],
            )
        )
    return out, problems


_BAD = object()


def _absent(v: object) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)


def _row_errors(values: pd.Series, column: str, problems: list[Problem]) -> list[RowError]:
    errors, seen = [], np.zeros(len(values), dtype=bool)
    for mask, code, message in problems:
        hit = np.asarray(mask, dtype=bool) & ~seen  # one error per cell: the first that applies
        seen |= hit
        errors += [RowError(int(i) + 1, column, code, message, _shown(values.iloc[i]))
                   for i in np.flatnonzero(hit)]  # fmt: skip
    return errors


def _shown(value: object) -> str:
    return "" if value is None or value is pd.NA else repr(value)[:60]


def _bar_errors(frame: pd.DataFrame, mapping: ColumnMapping) -> list[RowError]:
    if not {"high", "low"} <= set(frame.columns):
        return []
    hi, lo = frame["high"], frame["low"]
    bad = hi < lo
    for col in ("open", "close"):
        if col in frame.columns:
            bad |= (frame[col] > hi) | (frame[col] < lo)
    return [RowError(int(i) + 1, mapping.columns["high"], "range",
                     "high must be >= open, close and low (and low <= open, close)")
            for i in np.flatnonzero(bad.fillna(False).to_numpy())]  # fmt: skip


def _duplicate_errors(
    frame: pd.DataFrame, spec: DatasetSpec, mapping: ColumnMapping
) -> list[RowError]:
    key = [c for c in spec.key if c in frame.columns]
    if len(key) != len(spec.key) or frame.empty:
        return []
    dup = frame.duplicated(key, keep="first").to_numpy()
    first = frame.groupby(key, sort=False, dropna=False).ngroup().to_numpy()
    first_row = pd.Series(np.arange(len(frame))).groupby(first).transform("min").to_numpy()
    label = ", ".join(mapping.columns[c] for c in key)
    return [
        RowError(int(i) + 1, label, "duplicate_key", f"repeats the key of row {first_row[i] + 1}")
        for i in np.flatnonzero(dup)
    ]
