"""MACD in one pass over the bars: two EMAs, the line, the signal EMA and the histogram.

Why: the five-pass formulation (fast EMA, slow EMA, line, signal EMA over the line,
histogram) reads and writes a full column five times and runs three separate recursions.
Here each column's head -- leading NaN, the SMA seeds of the fast and slow EMAs (a NaN
inside either seed window, or too few bars, leaves the column NaN), the line from the
later of the two seeds, and the signal's SMA seed over the first ``signal`` non-NaN line
values (a NaN among them leaves the signal and histogram NaN) -- is computed one column
at a time; then four columns advance together from their common first bar, each bar one
load and the two EMA steps, the line, the signal step and the histogram per column, the
twelve states in local variables (eight columns measured ~8% faster on the kernel alone, not
worth twice the lanes). After the seeds a NaN bar writes NaN to all three outputs and
keeps every state. Each value comes from the same floating-point operations, in the same
order, as ``ema(fast) - ema(slow)``, ``ema(line, signal)``, ``line - signal``: the results
are bit-identical to the five-pass kernel (kept in ``tests/research/test_indicator_lanes.py``).
Inputs and outputs are column-major (bars x symbols).
"""

from __future__ import annotations

import numba
import numpy as np

from optionsintel.research._common import FloatArray
from optionsintel.research._rolling import empty_like


def macd(
    x: FloatArray, fast: int, slow: int, signal: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """MACD line, signal and histogram in one pass over the bars, four columns at a time.

    The same operations as ``ema(fast) - ema(slow)``, ``ema(line, signal)`` and
    ``line - signal`` over whole arrays, so the same values. Each column's head (NaN,
    the SMA seeds, the signal's seed over the first ``signal`` line values) is computed
    one column at a time (:func:`_macd_head`); then four columns advance together, each
    bar one load and, per column, the two EMA steps, the line, the signal step and the
    histogram (:func:`_macd_step`), instead of five passes over full-size arrays.
    """
    line, sig, hist = empty_like(x), empty_like(x), empty_like(x)
    _macd_into(x, fast, slow, signal, line, sig, hist)
    return line, sig, hist


@numba.njit(cache=True, inline="always")
def _sma_seed(x: FloatArray, j: int, start: int, n: int) -> float:  # pragma: no cover
    """``_recursive._seed``'s mean of ``x[start:start + n, j]``; NaN if short or a NaN is inside."""
    if start + n > x.shape[0]:
        return np.nan
    acc = 0.0
    for t in range(start, start + n):
        if np.isnan(x[t, j]):
            return np.nan
        acc += x[t, j]
    return acc / n


@numba.njit(cache=True, inline="always")
def _macd_step(
    x: FloatArray,
    line: FloatArray,
    sig: FloatArray,
    hist: FloatArray,
    t: int,
    j: int,
    f: float,
    s: float,
    g: float,
    a: tuple[float, float, float],
) -> tuple[float, float, float]:  # pragma: no cover - numba
    """Bar ``t`` of column ``j`` after its signal seed; returns the three EMA states."""
    v = x[t, j]
    if np.isnan(v):  # a missing bar: NaN out, every state kept
        line[t, j] = np.nan
        sig[t, j] = np.nan
        hist[t, j] = np.nan
        return f, s, g
    f = f + a[0] * (v - f)
    s = s + a[1] * (v - s)
    ln = f - s
    line[t, j] = ln
    if np.isnan(ln):  # (inf - inf) the signal EMA skips a NaN line value
        sig[t, j] = np.nan
        hist[t, j] = np.nan
        return f, s, g
    g = g + a[2] * (ln - g)
    sig[t, j] = g
    hist[t, j] = ln - g
    return f, s, g


@numba.njit(cache=True, inline="always")
def _macd_head(
    x: FloatArray,
    line: FloatArray,
    sig: FloatArray,
    hist: FloatArray,
    j: int,
    n: tuple[int, int, int],
    a: tuple[float, float, float],
) -> tuple[int, float, float, float]:  # pragma: no cover - numba
    """Column ``j`` up to its signal's seed: (next bar, fast, slow, signal states).

    A column whose signal never seeds (too short, a NaN among its first ``n[2]`` line
    values) is written whole here, and the next bar returned is ``T``.
    """
    T = x.shape[0]
    start = 0
    while start < T and np.isnan(x[start, j]):
        start += 1
    f, s = _sma_seed(x, j, start, n[0]), _sma_seed(x, j, start, n[1])
    first = max(n[0], n[1]) + start - 1  # the line's first bar
    if np.isnan(f) or np.isnan(s):  # either EMA all NaN (a NaN seed stays NaN too)
        line[:, j] = np.nan
        sig[:, j] = np.nan
        hist[:, j] = np.nan
        return T, np.nan, np.nan, np.nan
    line[:first, j] = np.nan
    # the earlier-seeded EMA runs up to the line's first bar (inside the other's seed
    # window, so no NaN there)
    for t in range(start + n[0], first + 1):
        f = f + a[0] * (x[t, j] - f)
    for t in range(start + n[1], first + 1):
        s = s + a[1] * (x[t, j] - s)
    ln = f - s
    line[first, j] = ln
    acc, count, t = 0.0, 0, first
    while True:  # the signal's seed: the mean of the first n[2] non-NaN line values
        if count > 0 or not np.isnan(ln):
            if np.isnan(ln):
                break
            acc += ln
            count += 1
            if count == n[2]:
                sig[:t, j] = np.nan
                hist[:t, j] = np.nan
                g = acc / n[2]
                sig[t, j] = g
                hist[t, j] = ln - g
                return t + 1, f, s, g
        t += 1
        if t == T:
            break
        v = x[t, j]
        if not np.isnan(v):
            f = f + a[0] * (v - f)
            s = s + a[1] * (v - s)
        ln = f - s if not np.isnan(v) else np.nan
        line[t, j] = ln
    for u in range(t + 1, T):  # no signal: the rest of the line alone
        v = x[u, j]
        if np.isnan(v):
            line[u, j] = np.nan
        else:
            f = f + a[0] * (v - f)
            s = s + a[1] * (v - s)
            line[u, j] = f - s
    sig[:, j] = np.nan
    hist[:, j] = np.nan
    return T, np.nan, np.nan, np.nan


@numba.njit(cache=True, inline="always")
def _macd_lane(
    x: FloatArray,
    line: FloatArray,
    sig: FloatArray,
    hist: FloatArray,
    j: int,
    t0: int,
    t1: int,
    state: FloatArray,
    a: tuple[float, float, float],
) -> tuple[float, float, float]:  # pragma: no cover - numba
    """Column ``j``'s bars ``t0:t1`` alone (up to its group's common start)."""
    f, s, g = state[j, 0], state[j, 1], state[j, 2]
    for t in range(t0, t1):
        f, s, g = _macd_step(x, line, sig, hist, t, j, f, s, g, a)
    return f, s, g


@numba.njit(cache=True)
def _macd_into(
    x: FloatArray,
    fast: int,
    slow: int,
    signal: int,
    line: FloatArray,
    sig: FloatArray,
    hist: FloatArray,
) -> None:  # pragma: no cover - numba
    T, m = x.shape
    n = (fast, slow, signal)
    a = (2.0 / (fast + 1.0), 2.0 / (slow + 1.0), 2.0 / (signal + 1.0))
    first = np.empty(m, dtype=np.int64)
    state = np.empty((m, 3))
    live = np.empty(m, dtype=np.int64)  # columns with bars left after their head
    k = 0
    for j in range(m):
        first[j], state[j, 0], state[j, 1], state[j, 2] = _macd_head(x, line, sig, hist, j, n, a)
        if first[j] < T:
            live[k] = j
            k += 1
    # Groups of four live columns; a short last group repeats its last column (the
    # same values written twice), so every group runs the same four-lane loop.
    for i in range(0, k, 4):
        c0, c1 = live[i], live[min(i + 1, k - 1)]
        c2, c3 = live[min(i + 2, k - 1)], live[min(i + 3, k - 1)]
        t0 = max(max(first[c0], first[c1]), max(first[c2], first[c3]))
        f0, s0, g0 = _macd_lane(x, line, sig, hist, c0, first[c0], t0, state, a)
        f1, s1, g1 = _macd_lane(x, line, sig, hist, c1, first[c1], t0, state, a)
        f2, s2, g2 = _macd_lane(x, line, sig, hist, c2, first[c2], t0, state, a)
        f3, s3, g3 = _macd_lane(x, line, sig, hist, c3, first[c3], t0, state, a)
        for t in range(t0, T):
            f0, s0, g0 = _macd_step(x, line, sig, hist, t, c0, f0, s0, g0, a)
            f1, s1, g1 = _macd_step(x, line, sig, hist, t, c1, f1, s1, g1, a)
            f2, s2, g2 = _macd_step(x, line, sig, hist, t, c2, f2, s2, g2, a)
            f3, s3, g3 = _macd_step(x, line, sig, hist, t, c3, f3, s3, g3, a)
