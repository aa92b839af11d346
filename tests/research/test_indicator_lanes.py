"""Issue 21: the four-columns-at-a-time kernels give bit-identical frames to the kernels
they replaced (copied here as references, one column at a time, outputs pre-filled).

Covers late listings (leading NaN), missing bars, flat windows, window longer than the
data, column counts that are not a multiple of four, C- and Fortran-ordered input.
"""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import optionsintel.research.indicators as ind
from optionsintel.research import _macd, _recursive, _rolling


@numba.njit(cache=True)
def _old_smooth(x, n, alpha, seed_first):  # type: ignore[no-untyped-def]  # pragma: no cover
    T, m = x.shape
    out = np.full((m, T), np.nan).T
    for j in range(m):
        start = 0
        while start < T and np.isnan(x[start, j]):
            start += 1
        if seed_first:
            if start >= T:
                continue
            prev = x[start, j]
            out[start, j] = prev
            first = start + 1
        else:
            if start + n > T:
                continue
            acc = 0.0
            bad = False
            for t in range(start, start + n):
                if np.isnan(x[t, j]):
                    bad = True
                acc += x[t, j]
            if bad:
                continue
            prev = acc / n
            out[start + n - 1, j] = prev
            first = start + n
        for t in range(first, T):
            v = x[t, j]
            if np.isnan(v):
                continue
            prev = prev + alpha * (v - prev)
            out[t, j] = prev
    return out


@numba.njit(cache=True)
def _old_rsi(x, n):  # type: ignore[no-untyped-def]  # pragma: no cover
    T, m = x.shape
    out = np.full((m, T), np.nan).T
    alpha = 1.0 / n
    for j in range(m):
        start = 1
        while start < T and (np.isnan(x[start, j]) or np.isnan(x[start - 1, j])):
            start += 1
        if start + n > T:
            continue
        acc_u = 0.0
        acc_d = 0.0
        bad = False
        for t in range(start, start + n):
            d = x[t, j] - x[t - 1, j]
            if np.isnan(d):
                bad = True
            acc_u += max(d, 0.0)
            acc_d += max(-d, 0.0)
        if bad:
            continue
        au = acc_u / n
        ad = acc_d / n
        out[start + n - 1, j] = _recursive._rsi_value(au, ad)
        for t in range(start + n, T):
            d = x[t, j] - x[t - 1, j]
            if np.isnan(d):
                continue
            au = au + alpha * (max(d, 0.0) - au)
            ad = ad + alpha * (max(-d, 0.0) - ad)
            out[t, j] = _recursive._rsi_value(au, ad)
    return out


@numba.njit(cache=True)
def _old_rolling_mean(x, n):  # type: ignore[no-untyped-def]  # pragma: no cover
    T, m = x.shape
    out = np.full((m, T), np.nan).T
    for j in range(m):
        s = 0.0
        c = 0.0
        last_nan = -n - 1
        for t in range(T):
            v = x[t, j]
            if np.isnan(v):
                last_nan = t
                v = 0.0
            y = v - c
            z = s + y
            c = (z - s) - y
            s = z
            if t >= n:
                old = x[t - n, j]
                if not np.isnan(old):
                    y = -old - c
                    z = s + y
                    c = (z - s) - y
                    s = z
            if t >= n - 1 and t - last_nan >= n:
                out[t, j] = s / n
    return out


def _old_atr(h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int) -> np.ndarray:
    prev = np.vstack([np.full((1, c.shape[1]), np.nan), c[:-1]])
    tr = np.fmax(h - lo, np.fmax(np.abs(h - prev), np.abs(lo - prev)))
    tr[0] = h[0] - lo[0]
    return _old_smooth(tr, n, 1.0 / n, False)


def _old_bollinger(x: np.ndarray, n: int, ddof: int) -> dict[str, np.ndarray]:
    mid = _old_rolling_mean(x, n)
    sd = _rolling.rolling_std(x, mid, n, ddof)  # the two-pass std, unchanged
    upper, lower = mid + 2.0 * sd, mid - 2.0 * sd
    with np.errstate(divide="ignore", invalid="ignore"):
        width, pct = (upper - lower) / mid, (x - lower) / (upper - lower)
    return {"middle": mid, "upper": upper, "lower": lower, "bandwidth": width, "percent_b": pct}


prices = arrays(
    np.float64,
    st.tuples(st.integers(1, 90), st.integers(1, 9)),
    elements=st.one_of(st.floats(1, 1000), st.just(np.nan), st.just(50.0)),
)
order = st.sampled_from(["C", "F"])


def _same(a: np.ndarray, b: np.ndarray, what: str) -> None:
    np.testing.assert_array_equal(a, b, err_msg=what, strict=True)


@settings(max_examples=150, deadline=None)
@given(prices, st.integers(1, 30), order, st.booleans())
def test_smooth_lanes_equal_the_column_kernel(x: np.ndarray, n: int, o: str, first: bool) -> None:
    x = np.asarray(x, order=o)
    _same(
        _recursive.smooth(x, n, 2.0 / (n + 1.0), first),
        _old_smooth(x, n, 2.0 / (n + 1), first),
        "ema",
    )


@settings(max_examples=150, deadline=None)
@given(prices, st.integers(1, 30), order)
def test_rsi_lanes_equal_the_column_kernel(x: np.ndarray, n: int, o: str) -> None:
    x = np.asarray(x, order=o)
    _same(_recursive.rsi(x, n), _old_rsi(x, n), "rsi")


@settings(max_examples=150, deadline=None)
@given(prices, prices, st.integers(1, 30))
def test_atr_on_the_fly_equals_the_array_formulation(c: np.ndarray, s: np.ndarray, n: int) -> None:
    T, m = min(c.shape[0], s.shape[0]), min(c.shape[1], s.shape[1])
    c, s = np.asfortranarray(c[:T, :m]), np.asfortranarray(s[:T, :m]) / 100.0
    h, lo = c + s, c - s
    _same(_recursive.atr(h, lo, c, n), _old_atr(h, lo, c, n), "atr")


@settings(max_examples=150, deadline=None)
@given(prices, st.integers(1, 30), order, st.sampled_from([0, 1]))
def test_rolling_lanes_and_blocked_bands_equal_the_old_kernels(
    x: np.ndarray, n: int, o: str, ddof: int
) -> None:
    x = np.asarray(x, order=o)
    _same(_rolling.rolling_mean(x, n), _old_rolling_mean(x, n), "sma")
    new, old = _rolling.bollinger(x, n, 2.0, ddof), _old_bollinger(x, n, ddof)
    for k in old:
        _same(new[k], old[k], k)


def test_wide_frame_public_functions_unchanged() -> None:
    """1,003 symbols x 700 bars (blocks of 256 bars, a last group of 3 columns)."""
    rng = np.random.default_rng(21)
    close = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.015, (700, 1003)), axis=0)))
    close.iloc[:150, :40] = np.nan
    close.iloc[300, 7] = np.nan
    close.iloc[400:430, 9] = 77.0  # a flat stretch: zero deviation, %b NaN
    spread = np.abs(rng.normal(0, 0.01, close.shape)) * close
    x, h, lo = (np.asfortranarray(f.to_numpy()) for f in (close, close + spread, close - spread))
    _same(ind.rsi(close, 14).to_numpy(), _old_rsi(x, 14), "rsi")
    _same(ind.sma(close, 20).to_numpy(), _old_rolling_mean(x, 20), "sma")
    m = ind.macd(close)
    line = _old_smooth(x, 12, 2 / 13, False) - _old_smooth(x, 26, 2 / 27, False)
    sig = _old_smooth(line, 9, 2 / 10, False)
    for k, v in (("macd", line), ("signal", sig), ("histogram", line - sig)):
        _same(m[k].to_numpy(), v, k)
    _same(
        ind.atr(close + spread, close - spread, close, 14).to_numpy(), _old_atr(h, lo, x, 14), "atr"
    )
    bands, old = ind.bollinger_bands(close, 20, 2.0), _old_bollinger(x, 20, 0)
    for k in old:
        _same(bands[k].to_numpy(), old[k], k)
    assert np.isnan(bands["percent_b"].to_numpy()[428, 9])


# Issue 21 (h-ind): the SIMD-tiled sliding mean (16 columns x 128 bars per tile) and the
# fused MACD (three EMAs per group of four columns) against the same references, on
# frames wider than a tile and windows longer than a tile of bars.
wide = arrays(
    np.float64,
    st.tuples(st.integers(1, 300), st.integers(1, 40)),
    elements=st.one_of(st.floats(1, 1000), st.just(np.nan), st.just(50.0)),
)


@settings(max_examples=100, deadline=None)
@given(wide, st.integers(1, 300), order)
def test_tiled_mean_equals_the_column_kernel(x: np.ndarray, n: int, o: str) -> None:
    x = np.asarray(x, order=o)
    _same(_rolling.rolling_mean(x, n), _old_rolling_mean(x, n), "sma")


@settings(max_examples=100, deadline=None)
@given(wide, st.integers(1, 300), order, st.sampled_from([0, 1]), st.booleans())
def test_one_pass_bollinger_equals_the_old_kernels(
    x: np.ndarray, n: int, o: str, ddof: int, extras: bool
) -> None:
    """Issue 21 (h-ind21): middle band and deviation computed per tile in one pass, the
    input kept in a ring (windows longer than a tile of bars too); ``extras=False`` gives
    the same three bands and nothing else."""
    x = np.asarray(x, order=o)
    new, old = _rolling.bollinger(x, n, 2.0, ddof, extras), _old_bollinger(x, n, ddof)
    assert list(new) == list(old)[: len(new)] and len(new) == (5 if extras else 3)
    for k in new:
        _same(new[k], old[k], k)


def test_public_bollinger_without_extras_gives_the_same_bands() -> None:
    rng = np.random.default_rng(4)
    close = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.015, (400, 37)), axis=0)))
    close.iloc[:90, :5] = np.nan
    full, bands = ind.bollinger_bands(close), ind.bollinger_bands(close, extras=False)
    assert list(bands) == ["middle", "upper", "lower"]
    for k, v in bands.items():
        pd.testing.assert_frame_equal(v, full[k], check_exact=True)


@settings(max_examples=100, deadline=None)
@given(wide, st.integers(1, 15), st.integers(1, 30), st.integers(1, 12), order)
def test_fused_macd_equals_three_whole_array_emas(
    x: np.ndarray, fast: int, extra: int, signal: int, o: str
) -> None:
    x = np.asarray(x, order=o)
    slow = fast + extra
    line = _old_smooth(x, fast, 2.0 / (fast + 1), False) - _old_smooth(
        x, slow, 2.0 / (slow + 1), False
    )
    sig = _old_smooth(line, signal, 2.0 / (signal + 1), False)
    new = _macd.macd(x, fast, slow, signal)
    for got, want, k in zip(
        new, (line, sig, line - sig), ("macd", "signal", "histogram"), strict=True
    ):
        _same(got, want, k)


def test_bollinger_deviation_is_exact_at_large_offsets() -> None:
    """Prices ~50,000 moving by 0.01: the two-pass deviation stays within 1e-14 relative of
    a long-double two-pass (pandas' sliding Welford update is off by ~1e-6 here)."""
    rng = np.random.default_rng(3)
    x = 50_000 + np.cumsum(rng.normal(0, 0.01, 600))
    bands = _rolling.bollinger(np.asfortranarray(x[:, None]), 20, 2.0)
    xl = x.astype(np.longdouble)
    windows = (xl[t - 19 : t + 1] for t in range(19, 600))
    ref = np.array([float(np.sqrt(((w - w.mean()) ** 2).mean())) for w in windows])
    sd_full = _rolling.rolling_std(np.asfortranarray(x[:, None]), bands["middle"], 20, 0)[19:, 0]
    assert np.max(np.abs(sd_full - ref) / ref) < 1e-14
    upper = bands["upper"][19:, 0]
    np.testing.assert_array_equal(upper, bands["middle"][19:, 0] + 2.0 * sd_full)


@numba.njit(cache=True)
def _old_macd_into(x, fast, slow, signal, line, sig, hist):  # type: ignore[no-untyped-def]  # pragma: no cover
    """The five-pass MACD kernel (issue 21, h-ind) the one-pass kernel replaced."""
    T, m = x.shape
    lanes = 4
    slow_ema = np.empty((lanes, T)).T
    for j0 in range(0, m, lanes):
        j1 = min(j0 + lanes, m)
        xb, lb, sb, hb = x[:, j0:j1], line[:, j0:j1], sig[:, j0:j1], hist[:, j0:j1]
        tb = slow_ema[:, : j1 - j0]
        _recursive._smooth_into(xb, fast, 2.0 / (fast + 1.0), False, lb)
        _recursive._smooth_into(xb, slow, 2.0 / (slow + 1.0), False, tb)
        for q in range(j1 - j0):
            lq, tq = lb[:, q], tb[:, q]
            for t in range(T):
                lq[t] = lq[t] - tq[t]
        _recursive._smooth_into(lb, signal, 2.0 / (signal + 1.0), False, sb)
        for q in range(j1 - j0):
            lq, sq, hq = lb[:, q], sb[:, q], hb[:, q]
            for t in range(T):
                hq[t] = lq[t] - sq[t]


@st.composite
def _gappy_frames(draw: st.DrawFn) -> np.ndarray:
    """Random walks with per-column leading NaN runs, NaN gaps and the odd flat or inf bar."""
    T, m = draw(st.integers(0, 120)), draw(st.integers(1, 11))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = np.asfortranarray(100.0 * np.exp(np.cumsum(rng.normal(0, 0.02, (T, m)), axis=0)))
    lead = draw(st.lists(st.integers(0, T), min_size=m, max_size=m))
    for j, k in enumerate(lead):
        x[:k, j] = np.nan
    gaps = draw(st.sampled_from([0.0, 0.01, 0.05, 0.3]))
    x[rng.random((T, m)) < gaps] = np.nan
    if T and draw(st.booleans()):  # rare values: flat runs, infinities
        x[rng.random((T, m)) < 0.02] = draw(st.sampled_from([50.0, np.inf, -np.inf, 0.0]))
    return x


@settings(max_examples=300, deadline=None)
@given(_gappy_frames(), st.integers(1, 15), st.integers(1, 40), st.integers(1, 15), order)
def test_one_pass_macd_equals_the_five_pass_kernel(
    x: np.ndarray, fast: int, extra: int, signal: int, o: str
) -> None:
    """Issue 21 (h-macd): the line, signal and histogram in one pass over the bars."""
    x = np.asarray(x, order=o)
    slow = fast + extra
    old = [np.empty(x.shape, order="F") for _ in range(3)]
    _old_macd_into(x, fast, slow, signal, *old)
    new = _macd.macd(x, fast, slow, signal)
    for got, want, k in zip(new, old, ("macd", "signal", "histogram"), strict=True):
        _same(got, want, k)
