"""Compiled kernels of the swing-point finders and the least-squares line fit.

Every kernel takes symbol-major arrays (``(n_symbols, n_bars)``, C-contiguous, so one
symbol's history is contiguous in memory) and runs a ``numba.prange`` over symbols. Each
kernel reads only bars ``<= t`` to decide what is known at bar ``t``: that is the whole
no-look-ahead argument and the tests in ``tests/geometry`` check it by truncation.

Glossary: ``H, L`` high and low; ``k`` left bars, ``r`` right bars; ``pct`` zigzag reversal
fraction; ``known`` the bar at which a pivot is first known.
"""

from __future__ import annotations

import types

import numba
import numpy as np


@numba.njit(parallel=True, cache=True)
def fractal_pivots(H, L, k, r):  # pragma: no cover - compiled
    """Mark fractal swing highs and lows.

    Bar ``i`` is a swing high when ``H[i]`` beats the ``k`` bars before strictly and the
    ``r`` bars after non-strictly (ties go to the earlier bar); lows mirror it.
    """
    m, n = H.shape
    is_high = np.zeros((m, n), dtype=np.bool_)
    is_low = np.zeros((m, n), dtype=np.bool_)
    for s in numba.prange(m):
        for i in range(k, n - r):
            h, lo = H[s, i], L[s, i]
            hi_ok = not np.isnan(h)
            lo_ok = not np.isnan(lo)
            for j in range(i - k, i + r + 1):
                if j == i:
                    continue
                hj, lj = H[s, j], L[s, j]
                if hi_ok and (np.isnan(hj) or (hj >= h if j < i else hj > h)):
                    hi_ok = False
                if lo_ok and (np.isnan(lj) or (lj <= lo if j < i else lj < lo)):
                    lo_ok = False
                if not (hi_ok or lo_ok):
                    break
            is_high[s, i] = hi_ok
            is_low[s, i] = lo_ok
    return is_high, is_low


@numba.njit(parallel=True, cache=True)
def zigzag_pivots(H, L, pct):  # pragma: no cover - compiled
    """Mark causal percentage-zigzag pivots.

    Causal percentage zigzag: the running extreme becomes a pivot on the first bar whose
    opposite extreme has reversed by ``pct`` from it; that bar is ``known``.
    """
    m, n = H.shape
    kind = np.zeros((m, n), dtype=np.int8)
    known = np.full((m, n), -1, dtype=np.int64)
    for s in numba.prange(m):
        direction = 0  # 0 undecided, +1 looking for a high, -1 looking for a low
        hi_i, lo_i = -1, -1
        for t in range(n):
            h, lo = H[s, t], L[s, t]
            if np.isnan(h) or np.isnan(lo):
                continue
            if direction >= 0 and (hi_i < 0 or h > H[s, hi_i]):
                hi_i = t
            if direction <= 0 and (lo_i < 0 or lo < L[s, lo_i]):
                lo_i = t
            if direction >= 0 and lo <= H[s, hi_i] * (1.0 - pct) and hi_i < t:
                kind[s, hi_i], known[s, hi_i] = 1, t
                direction, lo_i = -1, t
            elif direction <= 0 and h >= L[s, lo_i] * (1.0 + pct) and lo_i < t:
                kind[s, lo_i], known[s, lo_i] = -1, t
                direction, hi_i = 1, t
    return kind, known


@numba.njit(cache=True)
def fit_line(x, y):  # pragma: no cover - compiled
    """Least-squares ``y = slope * x + intercept``; residual is the RMS of ``y/fit - 1``."""
    n = x.size
    mx, my = x.mean(), y.mean()
    sxx, sxy = 0.0, 0.0
    for i in range(n):
        sxx += (x[i] - mx) ** 2
        sxy += (x[i] - mx) * (y[i] - my)
    slope = sxy / sxx if sxx > 0 else 0.0
    intercept = my - slope * mx
    ss = 0.0
    for i in range(n):
        ss += (y[i] / (slope * x[i] + intercept) - 1.0) ** 2
    return slope, intercept, np.sqrt(ss / n)


@numba.njit(parallel=True, cache=True)
def rolling_lines(P, is_pivot, known, npts):  # pragma: no cover - compiled
    """Fit, at every bar, the line through the last pivots known by then.

    At every bar ``t``, the least-squares line through the last ``npts`` pivots known by
    ``t`` (slope, intercept, residual); NaN until ``npts`` pivots are known.
    """
    m, n = P.shape
    slope = np.full((m, n), np.nan)
    intercept = np.full((m, n), np.nan)
    resid = np.full((m, n), np.nan)
    for s in numba.prange(m):
        bars = np.flatnonzero(is_pivot[s])
        kb = np.empty(bars.size, dtype=np.int64)
        for q in range(bars.size):
            kb[q] = known[s, bars[q]]
        order = np.argsort(kb * (n + 1) + bars, kind="mergesort")
        x = np.empty(npts)
        y = np.empty(npts)
        seen, q = 0, 0
        a, c, e = np.nan, np.nan, np.nan
        for t in range(n):
            changed = False
            while q < order.size and kb[order[q]] <= t:
                seen += 1
                q += 1
                changed = True
            if seen < npts:
                continue
            if changed:
                for r in range(npts):
                    b = bars[order[q - npts + r]]
                    x[r], y[r] = b, P[s, b]
                a, c, e = fit_line(x, y)
            slope[s, t], intercept[s, t], resid[s, t] = a, c, e
    return slope, intercept, resid


def serial(kernel):  # type: ignore[no-untyped-def]
    """The same kernel compiled without threads (``prange`` runs as ``range``).

    Waking the thread pool costs more than one symbol's work (tens of ms on a busy
    machine), so a chart's single symbol takes the serial twin. The twin is a copy of the
    Python function under its own qualified name: numba's on-disk cache is keyed by that
    name and the signature, not by ``parallel``, so with the same function both dispatchers
    shared cache entries and the "serial" one could load the threaded code (a single
    symbol's detections took 17 ms of CPU instead of 2.6 ms).
    """
    f = kernel.py_func
    twin = types.FunctionType(f.__code__, f.__globals__, f.__name__ + "_serial",
                              f.__defaults__, f.__closure__)  # fmt: skip
    twin.__qualname__ = f.__qualname__ + "_serial"
    twin.__doc__ = f.__doc__
    return numba.njit(cache=True)(twin)


fractal_pivots_serial = serial(fractal_pivots)
zigzag_pivots_serial = serial(zigzag_pivots)
rolling_lines_serial = serial(rolling_lines)
PARALLEL_FROM = 8
"""Symbols from which the parallel kernels pay for their thread start-up."""
