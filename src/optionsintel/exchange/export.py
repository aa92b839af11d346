"""Export frames to files: CSV, JSON, JSON Lines, Excel and Parquet, optionally compressed.

>>> export_frame(chain, "chain.parquet", provenance=Provenance("chains"))  # doctest: +SKIP

Large exports use :func:`open_export`: it takes chunks one by one (from a server-side cursor,
say) and reports progress, so memory stays that of one chunk. Every export carries its
:class:`~optionsintel.exchange.provenance.Provenance`: inside the file for Parquet (key/value
metadata) and Excel (custom document property), in a ``.provenance.json`` sidecar for the
text formats.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa

from optionsintel.errors import ExportError
from optionsintel.exchange.columns import infer_kinds
from optionsintel.exchange.excel import ExcelWriter
from optionsintel.exchange.formats import (
    COMPRESSION_SUFFIX,
    Compression,
    Format,
    check_format,
    compressed_sink,
)
from optionsintel.exchange.provenance import Provenance, write_sidecar
from optionsintel.exchange.writers import (
    ChunkWriter,
    CsvWriter,
    JsonLinesWriter,
    JsonRecordsWriter,
    ParquetWriter,
    parquet_codec,
)

Progress = Callable[[int, int | None], None]
"""``progress(done_rows, total_rows_or_None)``, called after every chunk."""


class ExportSession:
    """An open export: :meth:`write` chunks, then leave the ``with`` block to finish it."""

    def __init__(self, writer: ChunkWriter, total: int | None, progress: Progress | None) -> None:
        self.writer, self.total, self.progress = writer, total, progress
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame``'s rows and report progress."""
        self.writer.write(frame)
        self.rows += len(frame)
        if self.progress is not None:
            self.progress(self.rows, self.total)


@contextmanager
def open_export(
    path: str | Path,
    fmt: Format,
    kinds: Mapping[str, str],
    provenance: Provenance,
    *,
    compression: Compression | None = None,
    total: int | None = None,
    progress: Progress | None = None,
) -> Iterator[ExportSession]:
    """Open an incremental export of one table to ``path``.

    Parameters
    ----------
    path
        Target file; the compression suffix (``.gz``, ``.zip``, ``.zst``) is not added.
    fmt
        ``csv``, ``json`` (one array), ``jsonl``, ``xlsx`` or ``parquet``.
    kinds
        Column name -> kind (see :mod:`optionsintel.exchange.columns`), in output order.
    provenance
        Written with the file; its ``row_count`` is set to the rows actually written.
    compression
        ``gzip``, ``zip`` or ``zstd``. Parquet applies gzip and zstd to its pages (the file
        stays a Parquet file); Excel files are already zip archives and are wrapped as asked.
    total, progress
        Expected rows (for the progress fraction) and a ``progress(done, total)`` callback.

    Raises
    ------
    ExportError
        For an unknown format or compression. A failed export leaves no partial file and
        keeps the file that was at ``path`` (the file is written beside it, then moved).
    """
    check_format(fmt, compression)
    target = check_target(path)
    outer = None if fmt == "parquet" and compression in ("gzip", "zstd") else compression
    member = target.name.removesuffix(COMPRESSION_SUFFIX.get(compression or "", "\0"))
    try:
        with ExitStack() as stack:
            dest = stack.enter_context(_staged(target))  # left last: after the writer closed
            session = ExportSession(_writer(stack, dest, fmt, kinds, outer, compression, member),
                                    total, progress)  # fmt: skip
            yield session
            final = provenance.with_rows(session.rows, fmt)
            session.writer.close(final)
        if fmt in ("csv", "json", "jsonl") and dest is not target:  # a regular file
            write_sidecar(target, final)
    except OSError as exc:  # a full disk, a read-only folder: one line, not a traceback
        raise ExportError(f"cannot write {str(target)!r}: {exc.strerror or exc}") from exc


@contextmanager
def _staged(target: Path) -> Iterator[Path]:
    """Where to write ``target``: the same name in a hidden folder beside it, moved on success.

    An export that fails, is cancelled or is killed never leaves a half-written file under
    the target's name, and never removes a file that was there before. A target that is
    not a regular file (``/dev/stdout``, a pipe) is written directly and never removed.
    """
    if target.exists() and not target.is_file():
        yield target
        return
    folder = Path(tempfile.mkdtemp(prefix=".export-", dir=target.expanduser().absolute().parent))
    staged = folder / target.name
    try:
        yield staged
        staged.replace(target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_target(path: str | Path) -> Path:
    """Return ``path`` as a :class:`~pathlib.Path` if a file can be written there.

    Raises
    ------
    ExportError
        When ``path`` is a folder or its folder does not exist (checked before any work).
    """
    target = Path(path)
    if target.is_dir():
        raise ExportError(f"cannot write {str(path)!r}: it is a folder; name a file in it")
    folder = target.expanduser().absolute().parent
    if not folder.is_dir():
        raise ExportError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    return target


def _writer(
    stack: ExitStack, target: Path, fmt: str, kinds: Mapping[str, str],
    outer: Compression | None, compression: Compression | None, member: str,
) -> ChunkWriter:  # fmt: skip
    if fmt == "xlsx" or (fmt == "parquet" and outer is not None):
        # These need a seekable file: write it plainly, then compress it into place.
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=target.parent))) / member
        stack.callback(_compress_into, tmp, target, outer)
        if fmt == "xlsx":
            xl = ExcelWriter(tmp)
            xl.add_sheet(Path(member).stem, kinds)
            return xl
        return _parquet(stack, tmp, kinds, None)
    if fmt == "parquet":
        return _parquet(stack, target, kinds, compression)
    sink = stack.enter_context(compressed_sink(target, outer, member))
    if fmt == "csv":
        return CsvWriter(sink, kinds)
    return JsonLinesWriter(sink, kinds) if fmt == "jsonl" else JsonRecordsWriter(sink, kinds)


def _parquet(
    stack: ExitStack, path: Path, kinds: Mapping[str, str], compression: Compression | None
) -> ParquetWriter:
    # Arrow's own file: its pages are written without taking the GIL (a Python file object
    # would take it for every write), so a read-ahead thread keeps running meanwhile.
    writer = ParquetWriter(stack.enter_context(pa.OSFile(str(path), "wb")), kinds,
                           parquet_codec(compression))  # fmt: skip
    stack.callback(writer.discard)
    return writer


def _compress_into(plain: Path, target: Path, compression: Compression | None) -> None:
    if not plain.exists():
        return
    with open(plain, "rb") as src, compressed_sink(target, compression, plain.name) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)


def export_frame(
    frame: pd.DataFrame,
    path: str | Path,
    fmt: Format | None = None,
    *,
    provenance: Provenance | None = None,
    compression: Compression | None = None,
    kinds: Mapping[str, str] | None = None,
) -> Provenance:
    """Write ``frame`` to ``path`` in one go; returns the provenance written with it.

    The format defaults to the one named by the suffix (``.csv``, ``.parquet``...).
    """
    if fmt is None:
        from optionsintel.exchange.formats import detect

        fmt, named = detect(path)
        compression = compression or named
    prov = provenance or Provenance("frame")
    with open_export(path, fmt, kinds or infer_kinds(frame), prov, compression=compression) as s:
        s.write(frame)
    return prov.with_rows(len(frame), fmt)


def export_workbook(
    frames: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    provenance: Provenance | None = None,
    kinds: Mapping[str, Mapping[str, str]] | None = None,
) -> Provenance:
    """Write several tables to one .xlsx file, one sheet per table (sheet = mapping key)."""
    if not frames:
        raise ExportError("a workbook needs at least one table")
    check_target(path)
    book = ExcelWriter(path)
    rows = 0
    for name, frame in frames.items():
        book.add_sheet(name, (kinds or {}).get(name) or infer_kinds(frame))
        book.write(frame)
        rows += len(frame)
    final = (provenance or Provenance(",".join(frames))).with_rows(rows, "xlsx")
    book.close(final)
    return final
