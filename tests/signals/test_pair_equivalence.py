"""The optimised pair construction and signal assembly equal the previous versions.

References: the former pandas restriction (``drop_duplicates`` + ``MultiIndex.isin``
on whole frames), the former lexsort ``top_rows`` and the per-element supporting
dicts, kept here to pin the fast code to them on real NIFTY chains.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optionsintel.calendar import years_to_expiry
from optionsintel.chain._grid import build_grid
from optionsintel.signals import SignalConfig, detect_signals
from optionsintel.signals._pair import build_pair, top_rows
from optionsintel.signals.core import _py, _support_dicts


def _reference_nearest(current: pd.DataFrame, n: int) -> pd.DataFrame:
    pairs = current[["underlying", "snapshot_ts", "expiry"]].drop_duplicates()
    exp = pd.DatetimeIndex(pairs["expiry"]).to_numpy().astype("datetime64[D]")
    live = pairs[np.asarray(years_to_expiry(pd.DatetimeIndex(pairs["snapshot_ts"]), exp)) > 0]
    live = live.sort_values(["underlying", "expiry"], kind="stable")
    u = live["underlying"].to_numpy(dtype=object)
    first = np.ones(len(live), dtype=bool)
    first[1:] = u[1:] != u[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(len(live)), 0))
    return live[np.arange(len(live)) - start < n][["underlying", "expiry"]]


def _reference_restrict(frame: pd.DataFrame, keep: pd.DataFrame) -> pd.DataFrame:
    index = pd.MultiIndex.from_frame(keep)
    mask = pd.MultiIndex.from_arrays([frame["underlying"], frame["expiry"]]).isin(index)
    return frame[mask]


def _reference_top_rows(pair, score, mask, k):
    grid = pair.cur
    s = np.where(mask & np.isfinite(score), score, -np.inf)
    order = np.lexsort((-s, grid.group))
    rank = np.empty(len(s), dtype=np.int64)
    rank[order] = np.arange(len(s)) - grid.starts[grid.group[order]]
    pick = order[(rank[order] < k) & np.isfinite(s[order])]
    cuts = np.searchsorted(grid.group[pick], np.arange(1, grid.n_groups))
    return [part.tolist() for part in np.split(grid.strike[pick], cuts)]


def _many(chain: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(n):
        c = chain.copy()
        c["underlying"] = f"U{i}"
        c["oi"] = np.round(c["oi"] * rng.uniform(0.7, 1.4, len(c)))
        c["volume"] = np.round(c["volume"] * rng.uniform(0.5, 3.0, len(c)))
        parts.append(c)
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def pair_frames(nifty_0716, nifty_0717):
    prev, cur = _many(nifty_0716.chain, 4, seed=5), _many(nifty_0717.chain, 4, seed=6)
    # a different row order in the previous snapshot must not matter
    prev = prev.iloc[np.random.default_rng(7).permutation(len(prev))]
    return prev, cur


@pytest.mark.parametrize("max_expiries", [1, 2, 5])
def test_pair_grids_match_pandas_restriction(pair_frames, max_expiries):
    prev, cur = pair_frames
    config = SignalConfig(max_expiries=max_expiries)
    pair = build_pair(prev, cur, config)
    keep = _reference_nearest(cur, max_expiries)
    ref_cur = build_grid(_reference_restrict(cur, keep))
    ref_prev = build_grid(_reference_restrict(prev, keep))
    for fast, ref in ((pair.cur, ref_cur), (pair.prev, ref_prev)):
        pd.testing.assert_frame_equal(fast.keys, ref.keys)
        np.testing.assert_array_equal(fast.strike, ref.strike)
        np.testing.assert_array_equal(fast.starts, ref.starts)
        for f in fast.ce:  # the pair grids carry a subset of the fields
            np.testing.assert_array_equal(fast.ce[f], ref.ce[f])
            np.testing.assert_array_equal(fast.pe[f], ref.pe[f])


def test_top_rows_and_supporting_match_references(pair_frames):
    prev, cur = pair_frames
    pair = build_pair(prev, cur, SignalConfig())
    rng = np.random.default_rng(8)
    n = len(pair.cur.strike)
    score = rng.integers(-3, 4, n).astype(float)  # many ties
    score[rng.random(n) < 0.1] = np.nan
    mask = rng.random(n) < 0.7
    for k in (1, 3, 5):
        assert top_rows(pair, score, mask, k) == _reference_top_rows(pair, score, mask, k)
    support = {
        "x": rng.normal(size=pair.cur.n_groups),
        "label": np.where(rng.random(pair.cur.n_groups) < 0.5, "up", "down"),
        "obj": np.full(pair.cur.n_groups, "CE", dtype=object),
    }
    idx = np.flatnonzero(rng.random(pair.cur.n_groups) < 0.5)
    ref = [{k: _py(v[i]) for k, v in support.items()} for i in idx]
    got = _support_dicts(support, idx)
    assert got == ref
    assert [type(v) for d in got for v in d.values()] == [type(v) for d in ref for v in d.values()]


def test_signals_of_many_underlyings_equal_one_at_a_time(pair_frames):
    prev, cur = pair_frames
    together = detect_signals(prev, cur)
    alone = pd.concat(
        [
            detect_signals(prev[prev["underlying"] == u], cur[cur["underlying"] == u])
            for u in sorted(cur["underlying"].unique())
        ],
        ignore_index=True,
    )
    assert len(together) > 0
    pd.testing.assert_frame_equal(
        together.drop(columns="supporting"), alone.drop(columns="supporting")
    )
    assert [d.keys() for d in together["supporting"]] == [d.keys() for d in alone["supporting"]]
