"""The fast strike-grid primitives give exactly what the sort-based originals gave.

The references below are the previous implementations (full ``pd.factorize`` of every
key column, ``np.lexsort`` per group), kept here to pin the optimised code to them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optionsintel import chain as ch
from optionsintel.chain._grid import GROUP_KEYS, StrikeGrid, build_grid, group_ids
from optionsintel.chain._kernels import factorize_runs


def _reference_group_ids(chain: pd.DataFrame) -> np.ndarray:
    combined = np.zeros(len(chain), dtype=np.int64)
    for col in GROUP_KEYS:
        values = chain[col]
        arr = pd.DatetimeIndex(values).asi8 if values.dtype.kind == "M" else values.to_numpy()
        codes, uniques = pd.factorize(arr, sort=True)
        combined = combined * len(uniques) + codes
    return combined


def _reference_first_min(values: np.ndarray, group: np.ndarray, starts: np.ndarray):
    return np.lexsort((values, group))[starts]


def _reference_top_k(score: np.ndarray, group: np.ndarray, starts: np.ndarray, k: int):
    order = np.lexsort((-score, group))
    rank = np.empty(len(score), dtype=np.int64)
    rank[order] = np.arange(len(score)) - starts[group[order]]
    picks = np.full((len(starts), k), -1)
    for row in order[rank[order] < k]:
        picks[group[row], rank[row]] = row
    return picks


def _many(chain: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(n):
        c = chain.copy()
        c["underlying"] = f"U{i}"
        c["oi"] = np.round(c["oi"] * rng.uniform(0.7, 1.4, len(c)))
        parts.append(c)
    both = pd.concat(parts, ignore_index=True)
    return both.iloc[rng.permutation(len(both))].reset_index(drop=True)


words = st.lists(st.sampled_from(["NIFTY", "BANKNIFTY", "A", "B", None]), max_size=40)


@given(words, st.booleans())
def test_factorize_runs_matches_pandas(values, sort):
    arr = np.array(values, dtype=object)
    got_codes, got_uniques = factorize_runs(arr, sort=sort)
    ref_codes, ref_uniques = pd.factorize(arr, sort=sort)
    np.testing.assert_array_equal(got_codes, ref_codes)
    assert list(got_uniques) == list(ref_uniques)


def test_factorize_runs_with_pd_na_falls_back():
    arr = np.array(["A", pd.NA, pd.NA, "B"], dtype=object)
    codes, _ = factorize_runs(arr)
    np.testing.assert_array_equal(codes, pd.factorize(arr, sort=True)[0])


@pytest.mark.parametrize("shuffle", [False, True])
def test_group_ids_match_full_factorization(nifty_0716, nifty_0717, shuffle):
    chain = pd.concat([nifty_0716.chain, nifty_0717.chain], ignore_index=True)
    if shuffle:
        chain = _many(chain, 3, seed=1)
    np.testing.assert_array_equal(group_ids(chain), _reference_group_ids(chain))


def test_grid_of_row_subset_equals_grid_of_sliced_frame(nifty_0716):
    chain = _many(nifty_0716.chain, 3, seed=2)
    rows = np.sort(np.random.default_rng(3).choice(len(chain), len(chain) // 2, replace=False))
    fast = build_grid(chain, rows=rows, gkey=group_ids(chain))
    ref = build_grid(chain.iloc[rows].reset_index(drop=True))
    pd.testing.assert_frame_equal(fast.keys, ref.keys)
    np.testing.assert_array_equal(fast.strike, ref.strike)
    np.testing.assert_array_equal(fast.starts, ref.starts)
    for f in fast.ce:
        np.testing.assert_array_equal(fast.ce[f], ref.ce[f])
        np.testing.assert_array_equal(fast.pe[f], ref.pe[f])


def test_analytics_do_not_depend_on_row_order(nifty_0716):
    chain = nifty_0716.chain
    shuffled = chain.iloc[np.random.default_rng(4).permutation(len(chain))]
    pd.testing.assert_frame_equal(ch.chain_summary(chain), ch.chain_summary(shuffled))


grouped = st.lists(
    st.lists(st.sampled_from([0.0, 1.0, 2.0, 5.0, -np.inf]), min_size=1, max_size=8),
    min_size=1,
    max_size=6,
)


def _grid_of(groups: list[list[float]]):
    sizes = np.array([len(g) for g in groups])
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    group = np.repeat(np.arange(len(groups)), sizes)
    values = np.concatenate([np.asarray(g, dtype=float) for g in groups])
    return values, group, starts


@settings(max_examples=200)
@given(grouped, st.integers(1, 4))
def test_top_k_and_first_min_match_stable_sorts(groups, k):
    values, group, starts = _grid_of(groups)
    grid = StrikeGrid(
        keys=pd.DataFrame(index=range(len(starts))),
        starts=starts,
        group=group,
        strike=np.arange(len(values), dtype=float),
        ce={},
        pe={},
    )
    np.testing.assert_array_equal(grid.top_k(values, k), _reference_top_k(values, group, starts, k))
    np.testing.assert_array_equal(
        grid.first_min(values), _reference_first_min(values, group, starts)
    )
    with_nan = np.where(values == 5.0, np.nan, values)
    np.testing.assert_array_equal(
        grid.first_min(with_nan), _reference_first_min(with_nan, group, starts)
    )


def test_flip_scan_units_are_bit_identical_to_black76_gamma():
    """The hoisted grid kernel of the flip scan equals ``_black76_gamma * F^2 / 100``."""
    from optionsintel.chain.gamma import _black76_gamma, _gex_unit_grid

    rng = np.random.default_rng(9)
    n, m = 400, 81
    K = rng.uniform(-100.0, 30000.0, (n, 1))
    T = rng.choice([0.0, -0.01, 0.002, 0.08, 0.5], (n, 1))
    sigma = rng.choice([np.nan, 0.0, 0.11, 0.35, 1.2], (n, 1))
    fwd = rng.choice([-5.0, 0.0, 24000.0, 25100.0], (n, 1))
    F = fwd * (1.0 + np.linspace(-0.1, 0.1, m))[None, :]
    with np.errstate(all="ignore"):
        ref = _black76_gamma(F, K, T, sigma, 0.065) * F * F * 0.01
    np.testing.assert_array_equal(_gex_unit_grid(F, K, T, sigma, 0.065), ref)
