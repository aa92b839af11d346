"""Low-level helpers of the strike grid: run-based factorization and the field scatter.

Chain frames hold each (underlying, snapshot, expiry) in long contiguous runs, so keys
are factorized from the first row of each run only; the per-contract fields are
scattered into the grid in one compiled pass instead of two fancy-indexing passes per
field.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def spread(per_run: np.ndarray, heads: IntArray, n: int) -> np.ndarray:
    """Repeat one value per run (runs start at ``heads``) over all ``n`` rows."""
    return np.repeat(per_run, np.diff(heads, append=n))


def factorize_runs(values: Any, *, sort: bool = True) -> tuple[IntArray, np.ndarray]:
    """``pd.factorize(values, sort=sort)`` computed from runs of equal neighbours.

    Only the first value of every run is hashed; the codes are the same as a full
    factorization. Falls back to ``pd.factorize`` when values cannot be compared.
    """
    arr = np.asarray(values)
    if arr.size < 2:
        return pd.factorize(arr, sort=sort)
    head = np.empty(arr.size, dtype=bool)
    head[0] = True
    try:
        np.not_equal(arr[1:], arr[:-1], out=head[1:])
    except (TypeError, ValueError):  # e.g. pd.NA in object arrays
        return pd.factorize(arr, sort=sort)
    heads = np.flatnonzero(head)
    codes, uniques = pd.factorize(arr[heads], sort=sort)
    return spread(codes, heads, arr.size), uniques


@numba.njit(cache=True)
def _scatter_kernel(col, slot, src, dest, is_ce, out_ce, out_pe):  # pragma: no cover
    for j in range(src.size):
        if is_ce[j]:
            out_ce[slot, dest[j]] = col[src[j]]
        else:
            out_pe[slot, dest[j]] = col[src[j]]


def scatter_fields(
    columns: dict[str, FloatArray],
    fields: tuple[str, ...],
    src: IntArray,
    dest: IntArray,
    is_ce: npt.NDArray[np.bool_],
    n_rows: int,
) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
    """Call and put value of every field on the grid rows (NaN where not listed).

    ``columns`` maps the fields present in the chain to whole-frame float arrays;
    contract ``j`` is frame row ``src[j]`` and lands on grid row ``dest[j]`` of the
    call side when ``is_ce[j]``, else of the put side. Absent fields stay NaN.
    """
    out_ce = np.full((len(fields), n_rows), np.nan)
    out_pe = np.full((len(fields), n_rows), np.nan)
    for slot, f in enumerate(fields):
        if f in columns:  # one compiled signature for every field (C-contiguous float64)
            col = np.ascontiguousarray(columns[f], dtype=np.float64)
            _scatter_kernel(col, slot, src, dest, is_ce, out_ce, out_pe)
    ce = {f: out_ce[i] for i, f in enumerate(fields)}
    pe = {f: out_pe[i] for i, f in enumerate(fields)}
    return ce, pe
