"""Rolling-window and recursive kernels over whole 2-D arrays (bars x symbols) in numba.

Why: pandas' ``DataFrame.rolling`` loops over columns in Python (~50 µs a column) and
its rolling std costs ~160 ms on 1,000 x 2,500; these kernels do the same arithmetic in
one compiled pass. Loops run symbol by symbol down each column and results are
column-major, the layout of a pandas frame's float block, so memory is read and
written in order (callers pass column-major arrays: ``np.asfortranarray``).

Conventions follow pandas' ``min_periods = window``: a window holding any NaN gives
NaN. Means use a compensated (Kahan) sliding sum like pandas'; standard deviations are
two-pass about the window mean (exact, no E[x²] - E[x]² cancellation). Shared by
:mod:`optionsintel.research.indicators` and :mod:`optionsintel.rules`.

Why the deviation stays two-pass (O(window) a bar) rather than an O(1) sliding update:
at prices ~50,000 moving by 0.01 a bar, pandas' sliding (Welford add/remove) variance is
off by 1.1e-6 relative and TA-Lib's sliding sums of x and x² by 7.4e-13, the two-pass
by 3.3e-16 (against a long-double reference; benchmarks/RESULTS.md, issue 21 h-ind);
summed 128-256 bars side by side in SIMD it costs a few ms on 1,000 x 2,500.
"""

from __future__ import annotations

import numba
import numpy as np

from optionsintel.research._common import FloatArray


def empty_like(x: FloatArray) -> FloatArray:
    """An uninitialised column-major output of ``x``'s shape.

    Allocated by NumPy, not inside the kernels: NumPy asks Linux for huge pages on
    arrays this large, so writing a fresh 20 MB output costs ~10 page faults instead of
    ~5,000 (measured: four 1,000 x 2,500 outputs written in 40 ms instead of 100 ms).
    """
    return np.empty(x.shape, order="F")


def rolling_mean(x: FloatArray, n: int) -> FloatArray:
    """Mean of the last ``n`` values (compensated sliding sum), per column."""
    out = empty_like(x)
    _mean_into(x, n, _ring_rows(n), out)
    return out


_TILE = 16  # columns advanced together, one SIMD lane each
_CHUNK = 128  # bars per tile: a ring of (_CHUNK + n) x _TILE values stays in L1/L2


def _ring_rows(n: int) -> int:
    """Rows of the bar-major ring: a power of two holding a window and a tile of bars.

    Bar ``t`` lives in row ``t & (rows - 1)``. ``rows >= n + _CHUNK`` keeps the bar
    leaving the window (``t - n``) in the ring until it is read, so each input value is
    copied once; copying rows ``t0 - n .. t0 + 127`` for every tile copied SMA-200's
    input ~2.6 times.
    """
    rows = _CHUNK
    while rows < n + _CHUNK:
        rows *= 2
    return rows


@numba.njit(cache=True, inline="always")
def _load_rows(
    x: FloatArray, j0: int, w: int, t0: int, nb: int, ring: FloatArray
) -> None:  # pragma: no cover - numba
    """Bars ``t0 .. t0 + nb - 1`` of columns ``j0 .. j0 + w - 1`` into their ring rows."""
    mask = ring.shape[0] - 1
    for t in range(t0, t0 + nb):
        row = ring[t & mask]
        for q in range(w):
            row[q] = x[t, j0 + q]


@numba.njit(cache=True, inline="always")
def _store_tile(
    ob: FloatArray, j0: int, w: int, t0: int, nb: int, out: FloatArray
) -> None:  # pragma: no cover - numba
    for i in range(nb):
        row = ob[i]
        for q in range(w):
            out[t0 + i, j0 + q] = row[q]


@numba.njit(cache=True, inline="always")
def _mean_rows(
    ring: FloatArray,
    n: int,
    t0: int,
    nb: int,
    state: tuple[FloatArray, FloatArray, np.ndarray],
    ob: FloatArray,
) -> None:  # pragma: no cover - numba
    """Means of bars ``t0 .. t0 + nb - 1`` (all ``_TILE`` lanes) into ``ob``'s rows.

    A missing value adds 0 and an old one leaving the window is subtracted only if it is
    a number, by selects rather than branches, so the lanes become SIMD instructions
    (without reassociation: each lane's compensated sum is the same chain of operations
    as one column at a time, so are the results). Before bar ``n`` the leaving row is a
    ring row never loaded (zeros), and unused.
    """
    s, c, last_nan = state
    mask = ring.shape[0] - 1
    for i in range(nb):
        t = t0 + i
        new_row, old_row, o_row = ring[t & mask], ring[(t - n) & mask], ob[i]
        leaving = t >= n
        full = t >= n - 1
        for q in range(_TILE):
            v = new_row[q]
            bad = np.isnan(v)
            last_nan[q] = t if bad else last_nan[q]
            v = 0.0 if bad else v
            sq, cq = s[q], c[q]
            y = v - cq
            z = sq + y
            cq = (z - sq) - y
            sq = z
            old = old_row[q]
            y = -old - cq
            z = sq + y
            c2 = (z - sq) - y
            keep = not leaving or np.isnan(old)
            s[q] = sq if keep else z
            c[q] = cq if keep else c2
            o_row[q] = s[q] / n if full and t - last_nan[q] >= n else np.nan


@numba.njit(cache=True, inline="always")
def _new_state(n: int) -> tuple[FloatArray, FloatArray, np.ndarray]:  # pragma: no cover
    s = np.zeros(_TILE)
    c = np.zeros(_TILE)
    last_nan = np.full(_TILE, -n - 1, dtype=np.int64)
    return s, c, last_nan


@numba.njit(cache=True, inline="always")
def _reset(state: tuple[FloatArray, FloatArray, np.ndarray], n: int) -> None:  # pragma: no cover
    s, c, last_nan = state
    s[:] = 0.0
    c[:] = 0.0
    last_nan[:] = -n - 1


@numba.njit(cache=True, error_model="numpy")  # n >= 1: no zero-divisor branch (no SIMD)
def _mean_into(
    x: FloatArray, n: int, rows: int, out: FloatArray
) -> None:  # pragma: no cover - numba
    """:func:`rolling_mean` into ``out``; ``rows`` = :func:`_ring_rows` ``(n)``.

    ``_TILE`` columns advance together: their bars are copied bar-major into a ring, so
    the columns of one bar are adjacent (see :func:`_mean_rows`).
    """
    T, m = x.shape
    ring = np.empty((rows, _TILE))
    ob = np.empty((_CHUNK, _TILE))
    state = _new_state(n)
    for j0 in range(0, m, _TILE):
        w = min(_TILE, m - j0)
        ring[:] = 0.0  # lanes past the last column, and rows before bar 0
        _reset(state, n)
        for t0 in range(0, T, _CHUNK):
            nb = min(_CHUNK, T - t0)
            _load_rows(x, j0, w, t0, nb, ring)
            _mean_rows(ring, n, t0, nb, state, ob)
            _store_tile(ob, j0, w, t0, nb, out)


@numba.njit(cache=True, error_model="numpy")  # n == ddof: NaN like pandas, no exception
def rolling_std(
    x: FloatArray, mean: FloatArray, n: int, ddof: int
) -> FloatArray:  # pragma: no cover - numba
    """Standard deviation of the last ``n`` values about ``mean`` (two-pass, exact)."""
    T, m = x.shape
    out = np.full((m, T), np.nan).T
    for j in range(m):
        for t in range(n - 1, T):
            mu = mean[t, j]
            if np.isnan(mu):
                continue
            acc = 0.0
            for k in range(t - n + 1, t + 1):
                d = x[k, j] - mu
                acc += d * d
            out[t, j] = np.sqrt(acc / (n - ddof))
    return out


@numba.njit(cache=True)
def rolling_extreme(
    x: FloatArray, n: int, want_max: bool
) -> FloatArray:  # pragma: no cover - numba
    """Max (or min) of the last ``n`` values: a monotonic deque, O(bars) per column."""
    T, m = x.shape
    out = np.full((m, T), np.nan).T
    dq = np.empty(T, dtype=np.int64)
    for j in range(m):
        head = 0
        tail = 0
        last_nan = -n - 1
        for t in range(T):
            v = x[t, j]
            if np.isnan(v):
                last_nan = t
            else:
                while tail > head and (
                    (want_max and x[dq[tail - 1], j] <= v)
                    or (not want_max and x[dq[tail - 1], j] >= v)
                ):
                    tail -= 1
                dq[tail] = t
                tail += 1
            while tail > head and dq[head] <= t - n:
                head += 1
            if t >= n - 1 and t - last_nan >= n and tail > head:
                out[t, j] = x[dq[head], j]
    return out


_BLOCK = 256


@numba.njit(cache=True, error_model="numpy")
def _bollinger_kernel(
    x: FloatArray,
    mid: FloatArray,
    n: int,
    num_std: float,
    ddof: int,
    bands: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    extras: bool,
) -> None:  # pragma: no cover - numba
    """Upper, lower (with ``extras`` bandwidth and %b) from ``mid`` in one pass, into ``bands``.

    The same operations as the array formulation (:func:`rolling_std`, then the bands),
    so the same values, without eight full-size temporaries. The squared deviations of
    ``_BLOCK`` consecutive bars are summed side by side (window position by window
    position, the order of :func:`rolling_std` for each bar), which the compiler turns
    into SIMD instructions.
    """
    T, m = x.shape
    upper, lower, width, pct = bands
    acc = np.empty(_BLOCK)
    xt, mt = x.T, mid.T  # rows of the transposes: contiguous columns (SIMD loads)
    ut, lt, wt, pt = upper.T, lower.T, width.T, pct.T
    for j in range(m):
        xj, mj, uj, lj, wj, pj = xt[j], mt[j], ut[j], lt[j], wt[j], pt[j]
        head = min(n - 1, T)
        uj[:head] = np.nan
        lj[:head] = np.nan
        if extras:
            wj[:head] = np.nan
            pj[:head] = np.nan
        for t0 in range(n - 1, T, _BLOCK):
            nb = min(_BLOCK, T - t0)
            acc[:nb] = 0.0
            mb = mj[t0 : t0 + nb]
            for k in range(n):
                xb = xj[t0 - n + 1 + k : t0 - n + 1 + k + nb]  # views, indexed from 0: SIMD
                for i in range(nb):
                    d = xb[i] - mb[i]
                    acc[i] += d * d
            uo, lo_ = uj[t0 : t0 + nb], lj[t0 : t0 + nb]
            if not extras:  # two divisions a bar and two outputs less
                for i in range(nb):  # no branch: a NaN mean makes acc and so every band NaN
                    mu = mb[i]
                    sd = np.sqrt(acc[i] / (n - ddof))
                    uo[i] = mu + num_std * sd
                    lo_[i] = mu - num_std * sd
                continue
            xo, wo, po = xj[t0 : t0 + nb], wj[t0 : t0 + nb], pj[t0 : t0 + nb]
            for i in range(nb):
                mu = mb[i]
                sd = np.sqrt(acc[i] / (n - ddof))
                up, lo = mu + num_std * sd, mu - num_std * sd
                uo[i] = up
                lo_[i] = lo
                wo[i] = (up - lo) / mu
                po[i] = (xo[i] - lo) / (up - lo)


def bollinger(
    x: FloatArray, n: int, num_std: float, ddof: int = 0, extras: bool = True
) -> dict[str, FloatArray]:
    """Bollinger family over a 2-D array (see ``indicators.bollinger_bands``).

    ``extras``: also ``bandwidth`` and ``percent_b``; without, TA-Lib's three bands only.
    """
    mid = rolling_mean(x, n)
    upper, lower = empty_like(x), empty_like(x)
    width, pct = (empty_like(x), empty_like(x)) if extras else (upper, lower)  # unused if not
    _bollinger_kernel(x, mid, n, float(num_std), ddof, (upper, lower, width, pct), extras)
    out = {"middle": mid, "upper": upper, "lower": lower}
    if extras:
        out |= {"bandwidth": width, "percent_b": pct}
    return out
