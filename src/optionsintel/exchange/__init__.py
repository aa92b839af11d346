"""Export and import of data: pure codecs between frames and files, with validation.

Exports (:mod:`~optionsintel.exchange.export`) write any frame, or a stream of chunks, to
CSV, JSON, JSON Lines, Excel or Parquet with provenance. Imports read a file safely
(:mod:`~optionsintel.exchange.readers`), map its columns (:mod:`~optionsintel.exchange.mapping`)
and validate every row (:mod:`~optionsintel.exchange.validate`). Nothing here touches the store:
the use cases in :mod:`optionsintel.services` join these codecs to it.
"""

from optionsintel.exchange import documents  # noqa: F401  (registers the document specs)
from optionsintel.exchange.export import export_frame, export_workbook, open_export
from optionsintel.exchange.formats import COMPRESSIONS, FORMATS, Compression, Format, detect
from optionsintel.exchange.provenance import Provenance, read_sidecar

__all__ = [
    "COMPRESSIONS",
    "FORMATS",
    "Compression",
    "Format",
    "Provenance",
    "detect",
    "export_frame",
    "export_workbook",
    "open_export",
    "read_sidecar",
]
