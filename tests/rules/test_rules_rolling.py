"""The 2-D rolling kernels (research's, reused by rules) equal pandas (Bollinger: an exact
per-window reference), NaN gaps included."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

import optionsintel.research.indicators as ind
from optionsintel.research._rolling import bollinger, rolling_extreme, rolling_mean
from optionsintel.rules.compute import relative_volume

prices = arrays(
    np.float64,
    st.tuples(st.integers(1, 60), st.integers(1, 4)),
    elements=st.one_of(st.floats(1, 1000), st.just(np.nan)),
)


@settings(max_examples=200, deadline=None)
@given(prices, st.integers(1, 25))
def test_rolling_kernels_match_pandas(x: np.ndarray, n: int) -> None:
    df = pd.DataFrame(x)
    roll = df.rolling(n, min_periods=n)
    assert_allclose(rolling_mean(x, n), roll.mean().to_numpy(), rtol=1e-10)
    assert_allclose(ind.sma(df, n).to_numpy(), roll.mean().to_numpy(), rtol=1e-10)
    assert_allclose(rolling_extreme(x, n, True), df.rolling(n, min_periods=n).max(), rtol=0)
    assert_allclose(rolling_extreme(x, n, False), df.rolling(n, min_periods=n).min(), rtol=0)
    if n >= 2 and len(x) >= n:
        # an exact two-pass reference per window: pandas' sliding std drifts (a window of
        # equal prices after a far one gave 3.6e-6 instead of 0), ours must not
        w = np.lib.stride_tricks.sliding_window_view(x, n, axis=0)  # (rows-n+1, cols, n)
        mid = w.mean(axis=2)
        sd = np.sqrt(((w - mid[..., None]) ** 2).mean(axis=2))
        lead = np.full((n - 1, x.shape[1]), np.nan)
        ref = {
            k: np.vstack([lead, v])
            for k, v in {"middle": mid, "upper": mid + 2.0 * sd, "lower": mid - 2.0 * sd}.items()
        }
        ours = bollinger(x, n, 2.0)
        public = ind.bollinger_bands(df, n, 2.0)
        for key in ("middle", "upper", "lower"):
            assert_allclose(ours[key], ref[key], rtol=1e-9, atol=1e-9)
            assert_allclose(public[key].to_numpy(), ref[key], rtol=1e-9, atol=1e-9)


def test_relative_volume_by_hand() -> None:
    v = np.array([[10.0], [20.0], [30.0], [40.0], [0.0], [0.0], [5.0]])
    out = relative_volume(v, 2)[:, 0]
    assert_allclose(out[:2], [np.nan, np.nan])
    assert_allclose(out[2:], [30 / 15, 40 / 25, 0 / 35, 0 / 20, np.nan])
