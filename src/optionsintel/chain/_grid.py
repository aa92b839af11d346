"""Strike grid: the one reshaping every chain kernel works on.

A canonical chain frame has one row per contract. The kernels want, for every
*group* (one ``underlying`` x ``snapshot_ts`` x ``expiry``), the listed strikes in
ascending order with the call and the put side by side. :func:`build_grid` does that
once with a sort and integer scatter (no ``groupby``), so kernels can use
``np.add.reduceat`` over contiguous group slices.

Glossary: ``g`` group id of a strike row, ``starts`` first strike row of each group,
``K`` strike, ``F`` forward, ``S`` spot, ``T`` years to expiry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from optionsintel.chain._kernels import factorize_runs, scatter_fields, spread
from optionsintel.errors import FrameValidationError
from optionsintel.frames import require_columns

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Columns a chain must have for the chain analytics (a subset of ``CHAIN_COLUMNS``).
REQUIRED_COLUMNS: tuple[str, ...] = (
    "underlying", "snapshot_ts", "expiry", "strike", "option_type", "oi", "provider",
)  # fmt: skip

#: Per-contract numeric fields carried into the grid when present in the frame.
GRID_FIELDS: tuple[str, ...] = ("oi", "volume", "oi_change", "iv", "ltp", "bid", "ask", "gamma")

GROUP_KEYS: tuple[str, ...] = ("underlying", "snapshot_ts", "expiry")


@dataclass(frozen=True)
class StrikeGrid:
    """Chain reshaped to one row per (group, strike) with CE and PE side by side.

    Attributes
    ----------
    keys
        One row per group: ``underlying, snapshot_ts, expiry, provider, spot``.
    starts
        Index of the first strike row of every group (for ``np.add.reduceat``).
    group
        Group id of every strike row.
    strike
        Strike of every strike row, ascending within a group.
    ce, pe
        Field name -> per-strike-row values of the call / the put (NaN if not listed).
    """

    keys: pd.DataFrame
    starts: IntArray
    group: IntArray
    strike: FloatArray
    ce: dict[str, FloatArray]
    pe: dict[str, FloatArray]
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_groups(self) -> int:
        """Number of (underlying, snapshot, expiry) groups."""
        return len(self.starts)

    @property
    def spot(self) -> FloatArray:
        """Underlying price of every group."""
        if "spot" not in self.cache:
            self.cache["spot"] = self.keys["spot"].to_numpy(dtype=np.float64)
        return self.cache["spot"]

    def gsum(self, values: FloatArray) -> FloatArray:
        """Sum ``values`` (one per strike row, NaN counted as 0) within every group."""
        if not np.isfinite(values).all():  # nan_to_num is slow; skip it when a no-op
            values = np.nan_to_num(values, nan=0.0)
        return np.add.reduceat(values, self.starts)

    def first_min(self, values: FloatArray) -> IntArray:
        """Row of the least value in each group, the first one on ties.

        Same rows as ``np.lexsort((values, group))[starts]`` (a stable sort), without
        sorting; NaN (sorted last) falls back to the sort.
        """
        if np.isnan(values).any():
            return np.lexsort((values, self.group))[self.starts]
        low = np.minimum.reduceat(values, self.starts)
        return self.first_true(values == low[self.group])

    def top_k(self, score: FloatArray, k: int) -> IntArray:
        """Rows of the ``k`` largest scores per group, shape ``(n_groups, k)``.

        Ties go to the lower row, as in a stable sort on ``-score``; ``-1`` past a
        group's last row. ``score`` must not hold NaN.
        """
        s = np.array(score, dtype=np.float64)
        picks = np.full((self.n_groups, k), -1, dtype=np.int64)
        for j in range(k):
            best = np.fmax.reduceat(s, self.starts)  # NaN marks rows already picked
            row = self.first_true(s == best[self.group])
            picks[:, j] = row
            if (row < 0).all():
                break
            s[row[row >= 0]] = np.nan
        return picks

    def side(self, field: str) -> tuple[FloatArray, FloatArray]:
        """Call and put arrays of ``field``; NaN-filled when the chain lacks it."""
        return self.ce[field], self.pe[field]

    def last_true(self, mask: npt.NDArray[np.bool_]) -> IntArray:
        """Index of the last strike row of each group where ``mask`` holds (-1 if none)."""
        idx = np.where(mask, np.arange(len(mask)), -1)
        return np.maximum.reduceat(idx, self.starts)

    def first_true(self, mask: npt.NDArray[np.bool_]) -> IntArray:
        """Index of the first strike row of each group where ``mask`` holds (-1 if none)."""
        big = len(mask)
        idx = np.minimum.reduceat(np.where(mask, np.arange(big), big), self.starts)
        return np.where(idx == big, -1, idx)

    def snapshot_starts(self) -> IntArray:
        """First group of every (underlying, snapshot_ts) block of groups."""
        u = self.keys["underlying"].to_numpy(dtype=object)
        ts = self.keys["snapshot_ts"].to_numpy()
        new = np.ones(self.n_groups, dtype=bool)
        new[1:] = (u[1:] != u[:-1]) | (ts[1:] != ts[:-1])
        return np.flatnonzero(new)

    def frame(self, **columns: Any) -> pd.DataFrame:
        """Group keys repeated for every strike row, ``strike``, then ``columns``."""
        data: dict[str, Any] = {
            c: self.keys[c].array.take(self.group)
            for c in ("underlying", "snapshot_ts", "expiry", "provider")
        }
        data["strike"] = self.strike
        data.update(columns)
        return pd.DataFrame(data)


def key_values(values: pd.Series) -> np.ndarray:
    """Comparable values of a key column: int64 nanoseconds for datetimes, else objects."""
    if values.dtype.kind == "M":
        # datetimes (tz-aware or naive): the int64 view, not Timestamp objects
        idx = pd.DatetimeIndex(values)
        return (idx if idx.unit == "ns" else idx.as_unit("ns")).asi8
    return object_values(values)


def object_values(values: pd.Series) -> np.ndarray:
    """Values of a column; text columns as an object array without the copy of ``to_numpy()``."""
    return values.to_numpy(dtype=object) if values.dtype.kind == "O" else values.to_numpy()


def group_ids(chain: pd.DataFrame) -> IntArray:
    """Sortable id of every row's (underlying, snapshot_ts, expiry), ordered like the keys."""
    values = [key_values(chain[col]) for col in GROUP_KEYS]
    n = len(chain)
    head = np.zeros(n, dtype=bool)
    head[:1] = True
    try:
        for v in values:
            head[1:] |= v[1:] != v[:-1]
    except (TypeError, ValueError):  # e.g. pd.NA in object arrays: hash every row
        head[:] = True
    heads = np.flatnonzero(head)
    combined = np.zeros(len(heads), dtype=np.int64)
    for col, v in zip(GROUP_KEYS, values, strict=True):
        # every distinct value occurs at some run head, so these are the full codes
        codes, uniques = pd.factorize(v[heads], sort=True)
        if (codes < 0).any():
            raise FrameValidationError(
                f"option chain column {col!r} has missing values; fill or drop those rows"
            )
        combined = combined * len(uniques) + codes
    return spread(combined, heads, n)


def check_chain(chain: pd.DataFrame) -> None:
    """Raise :class:`FrameValidationError` if ``chain`` lacks columns or rows."""
    require_columns(chain, REQUIRED_COLUMNS, "option chain")
    if len(chain) == 0:
        raise FrameValidationError("option chain frame is empty; pass at least one contract")


def build_grid(
    chain: pd.DataFrame,
    fields: tuple[str, ...] = GRID_FIELDS,
    *,
    rows: IntArray | None = None,
    gkey: IntArray | None = None,
) -> StrikeGrid:
    """Reshape a canonical chain frame into a :class:`StrikeGrid`.

    ``rows`` (positions) restricts the grid to those contracts; ``gkey`` passes
    :func:`group_ids` of the whole frame when the caller has already computed them.

    Raises
    ------
    FrameValidationError
        On missing columns, empty input, option types other than CE/PE, duplicated
        contracts or mixed providers inside one group.
    """
    check_chain(chain)
    if rows is not None and len(rows) == 0:
        raise FrameValidationError("option chain frame is empty; pass at least one contract")
    take = (lambda a: a) if rows is None else (lambda a: a[rows])
    otype = take(chain["option_type"].to_numpy(dtype=object))
    is_ce, is_pe = otype == "CE", otype == "PE"
    if not (is_ce | is_pe).all():
        raise FrameValidationError("option_type must be 'CE' or 'PE' in every row")
    strike = take(chain["strike"].to_numpy(dtype=np.float64))
    if not np.isfinite(strike).all():
        raise FrameValidationError("strike must be a finite number in every row")
    gkey = take(group_ids(chain) if gkey is None else gkey)
    order = np.lexsort((strike, gkey))
    gs, ks = gkey[order], strike[order]
    new_row = np.ones(len(order), dtype=bool)
    new_row[1:] = (gs[1:] != gs[:-1]) | (ks[1:] != ks[:-1])
    row_heads = np.flatnonzero(new_row)
    n_rows = len(row_heads)
    row = spread(np.arange(n_rows), row_heads, len(order))
    row_of = np.empty(len(order), dtype=np.int64)
    row_of[order] = row
    _check_unique(row_of, is_ce, is_pe, n_rows)
    new_group = np.ones(n_rows, dtype=bool)
    new_group[1:] = gs[new_row][1:] != gs[new_row][:-1]
    starts = np.flatnonzero(new_group)
    group = spread(np.arange(len(starts)), starts, n_rows)
    ce, pe = _scatter_fields(chain, fields, rows, row_of, is_ce, n_rows)
    keys = _group_keys(chain, take, order, gs, row_of, group, starts, rows)
    return StrikeGrid(keys, starts, group, ks[new_row], ce, pe)


def _scatter_fields(
    chain: pd.DataFrame,
    fields: tuple[str, ...],
    rows: IntArray | None,
    row_of: IntArray,
    is_ce: npt.NDArray[np.bool_],
    n_rows: int,
) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
    columns = {}
    for f in fields:
        if f in chain.columns:
            col = chain[f]
            columns[f] = (
                col.to_numpy()
                if col.dtype == np.float64
                else col.to_numpy(dtype=np.float64, na_value=np.nan)
            )
    src = np.arange(len(chain)) if rows is None else np.asarray(rows, dtype=np.int64)
    return scatter_fields(columns, fields, src, row_of, is_ce, n_rows)


def _check_unique(
    row_of: IntArray, is_ce: npt.NDArray[np.bool_], is_pe: npt.NDArray[np.bool_], n: int
) -> None:
    if (np.bincount(row_of[is_ce], minlength=n) > 1).any() or (
        np.bincount(row_of[is_pe], minlength=n) > 1
    ).any():
        raise FrameValidationError(
            "duplicated contracts: each (underlying, snapshot_ts, expiry, strike, option_type) "
            "must appear once; drop duplicates before computing chain analytics"
        )


def _group_keys(
    chain: pd.DataFrame,
    take: Any,
    order: IntArray,
    gs: IntArray,
    row_of: IntArray,
    group: IntArray,
    starts: IntArray,
    rows: IntArray | None,
) -> pd.DataFrame:
    first_of_group = np.ones(len(order), dtype=bool)
    first_of_group[1:] = gs[1:] != gs[:-1]
    firsts = order[first_of_group]
    src = firsts if rows is None else rows[firsts]
    keys = pd.DataFrame({c: chain[c].array.take(src) for c in GROUP_KEYS})
    prov_codes, prov_names = factorize_runs(take(object_values(chain["provider"])), sort=False)
    if (prov_codes < 0).any():
        raise FrameValidationError("every option-chain row must name its provider")
    g_of_contract = group[row_of]
    first = prov_codes[firsts]
    if (prov_codes != first[g_of_contract]).any():
        raise FrameValidationError(
            "one option chain (underlying, snapshot, expiry) mixes providers; "
            "analyse each provider's chain separately"
        )
    keys["provider"] = np.asarray(prov_names, dtype=object)[first]
    px = take(_underlying_price(chain))
    keys["spot"] = _group_spot(px, g_of_contract, order, np.flatnonzero(first_of_group))
    return keys


def _underlying_price(chain: pd.DataFrame) -> FloatArray:
    if "underlying_price" not in chain.columns:
        raise FrameValidationError(
            "option chain frame needs 'underlying_price' (the spot at the snapshot)"
        )
    return chain["underlying_price"].to_numpy(dtype=np.float64, na_value=np.nan)


def _group_spot(px: FloatArray, g: IntArray, order: IntArray, bounds: IntArray) -> FloatArray:
    """Spot per group: the common price when the rows agree, else their mean."""
    n_groups = len(bounds)
    ok = np.isfinite(px) & (px > 0)
    total = np.bincount(g[ok], weights=px[ok], minlength=n_groups)
    count = np.bincount(g[ok], minlength=n_groups)
    ok_sorted, px_sorted = ok[order], px[order]  # contracts grouped by ``bounds``
    hi = np.maximum.reduceat(np.where(ok_sorted, px_sorted, -np.inf), bounds)
    lo = np.minimum.reduceat(np.where(ok_sorted, px_sorted, np.inf), bounds)
    with np.errstate(invalid="ignore", divide="ignore"):
        spot = np.where(hi == lo, hi, total / count)  # exact when the rows agree
    if not np.isfinite(spot).all():
        raise FrameValidationError(
            "some option chains have no positive underlying_price; the spot is needed"
        )
    return spot


def group_frame(
    grid: StrikeGrid,
    columns: Mapping[str, Any],
    rows: IntArray | None = None,
    *,
    drop_expiry: bool = False,
) -> pd.DataFrame:
    """Group keys (``underlying, snapshot_ts, expiry, provider``) plus ``columns``.

    ``rows`` selects groups (e.g. the first group of every snapshot); ``columns`` must
    then be aligned with the selection.
    """
    names = ["underlying", "snapshot_ts", *([] if drop_expiry else ["expiry"]), "provider"]
    keys = grid.keys if rows is None else grid.keys.iloc[rows]
    data: dict[str, Any] = {c: keys[c].array for c in names}
    data.update(columns)
    return pd.DataFrame(data)


def broadcast(grid: StrikeGrid, per_group: FloatArray) -> FloatArray:
    """Repeat a per-group array onto every strike row."""
    return per_group[grid.group]


def align_rows(grid: StrikeGrid, other: StrikeGrid) -> IntArray:
    """Row of ``other`` with the same (underlying, expiry, strike) as each row of ``grid``.

    ``-1`` where ``other`` does not list the strike. Snapshot times are ignored, so
    ``other`` must hold a single snapshot per (underlying, expiry).

    Raises
    ------
    FrameValidationError
        If ``other`` lists an (underlying, expiry, strike) more than once.
    """
    n_a = len(grid.strike)
    codes = []
    for col in ("underlying", "expiry"):
        # factorize the (few) group keys, then spread the codes onto the strike rows
        both = np.concatenate([grid.keys[col].to_numpy(), other.keys[col].to_numpy()])
        c = pd.factorize(both)[0].astype(np.int64)
        codes.append(
            np.concatenate([c[: grid.n_groups][grid.group], c[grid.n_groups :][other.group]])
        )
    k_codes = pd.factorize(np.concatenate([grid.strike, other.strike]))[0].astype(np.int64)
    n_e, n_k = codes[1].max() + 1, k_codes.max() + 1
    key = (codes[0] * n_e + codes[1]) * n_k + k_codes
    key_a, key_b = key[:n_a], key[n_a:]
    order = np.argsort(key_b, kind="stable")
    sorted_b = key_b[order]
    if (sorted_b[1:] == sorted_b[:-1]).any():
        raise FrameValidationError(
            "the earlier chain holds several snapshots of one (underlying, expiry); "
            "pass exactly one snapshot per underlying"
        )
    pos = np.clip(np.searchsorted(sorted_b, key_a), 0, max(len(sorted_b) - 1, 0))
    hit = sorted_b[pos] == key_a if len(sorted_b) else np.zeros(n_a, dtype=bool)
    return np.where(hit, order[pos], -1)
