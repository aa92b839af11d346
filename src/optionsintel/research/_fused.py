"""Fused per-symbol kernel behind :func:`~optionsintel.research.compute_all_metrics`.

One numba pass per symbol column gathers every raw sum the metrics need (moments,
growth, drawdown positions, historical quantiles and tail sums, downside/omega sums,
paired regression sums and capture log-growth), instead of one NumPy pass (and
temporary array) per metric. The arithmetic reproduces the single-metric kernels
(``nan_moments``, ``nan_quantile``, ``_details_kernel``, ``_pair_sums``,
``_subset_cagr``, ...) operation for operation; only sums that NumPy evaluates
pairwise are accumulated sequentially here, which changes results by a few ulps
(``tests/research/test_metrics_fused.py`` checks agreement with the public
single-metric functions to 1e-12).

Glossary: ``x`` one symbol's returns (length ``T``), ``s`` the same sorted
ascending (NaN last), ``b`` benchmark returns, ``rf`` per-period risk-free rate,
``mar`` per-period required return, ``W`` wealth, ``a`` VaR tail probability.
"""

from __future__ import annotations

import numba
import numpy as np

from optionsintel.research._common import FloatArray

# rows of the raw-statistics array returned by :func:`fused_column_stats`
N_OBS, MEAN, S2, S3, S4, FIRST_VALID, GROWTH, EX_MEAN, EX_S2 = range(9)
ADJ_SUM, DOWN_SQ, OMEGA_UP, OMEGA_DOWN = range(9, 13)
DEPTH, PEAK, TROUGH, RECOVERY = range(13, 17)
Q05, Q95, Q_TAIL, ES_SUM, ES_CNT = range(17, 22)
PAIR_N, PAIR_XBAR, PAIR_YBAR, PAIR_SXX, PAIR_SXY, PAIR_SYY = range(22, 28)
LOG_UP, LOG_DOWN, LOG_ALL = range(28, 31)
N_STATS = 31

_BIG = np.finfo(np.float64).max
_Sums5 = tuple[int, float, float, float, float]


@numba.njit(cache=True, error_model="numpy")
def _no_nan(v: float) -> float:  # pragma: no cover - numba
    # np.nan_to_num(v, nan=0.0): NaN -> 0, +-inf -> +-largest float
    if np.isnan(v):
        return 0.0
    if v == np.inf:
        return _BIG
    if v == -np.inf:
        return -_BIG
    return v


@numba.njit(cache=True, error_model="numpy")
def _moments(x: FloatArray, shift: float) -> _Sums5:  # pragma: no cover - numba
    # two passes (mean, then central moments) exactly as _common._moments_kernel
    n, s = 0, 0.0
    for v in x:
        v = v - shift
        if not np.isnan(v):
            n += 1
            s += v
    mean = s / n if n > 0 else np.nan
    m2 = m3 = m4 = 0.0
    for v in x:
        v = v - shift
        if not np.isnan(v):
            d = v - mean
            d2 = d * d
            m2 += d2
            m3 += d2 * d
            m4 += d2 * d2
    return n, mean, m2, m3, m4


@numba.njit(cache=True, error_model="numpy")
def _flow_sums(x: FloatArray, rf: float, mar: float, out: FloatArray) -> None:  # pragma: no cover
    # growth, first valid row, Sortino/downside (x - mar) and omega (x - rf - mar) sums
    T = x.shape[0]
    first, growth, adj_sum, down_sq, up, down = T, 1.0, 0.0, 0.0, 0.0, 0.0
    for t in range(T):
        v = x[t]
        growth *= 1.0 + _no_nan(v)
        if np.isnan(v):
            continue
        first = min(first, t)
        adj = v - mar
        adj_sum += adj
        if adj < 0.0:
            down_sq += adj * adj
        om = (v - rf) - mar
        if om > 0.0:
            up += om
        elif om < 0.0:
            down += -om
    out[FIRST_VALID], out[GROWTH], out[ADJ_SUM], out[DOWN_SQ] = first, growth, adj_sum, down_sq
    out[OMEGA_UP], out[OMEGA_DOWN] = up, down


@numba.njit(cache=True, error_model="numpy")
def _drawdown(x: FloatArray, wealth: FloatArray, out: FloatArray) -> None:  # pragma: no cover
    # rows k = 0..T of W (k = 0 is the initial wealth 1), as drawdown._details_kernel;
    # NaN comparisons and argmin-on-NaN follow NumPy (maximum propagates NaN)
    T = x.shape[0]
    w = peak = wealth[0] = 1.0
    trough, last_peak, peak_at_trough, best, nan_seen = 0, 0, 0, 0.0, False
    for k in range(1, T + 1):
        w = w * (1.0 + _no_nan(x[k - 1]))
        wealth[k] = w
        peak = np.nan if (np.isnan(w) or np.isnan(peak)) else max(peak, w)
        if w >= peak:
            last_peak = k
        d = w / peak - 1.0
        if not nan_seen and (np.isnan(d) or d < best):
            nan_seen, best, trough, peak_at_trough = np.isnan(d), d, k, last_peak
    peak_val, rec = wealth[peak_at_trough], -1
    for k in range(trough + 1, T + 1):
        if wealth[k] >= peak_val:
            rec = k
            break
    out[DEPTH], out[PEAK], out[TROUGH] = best, peak_at_trough - 1, trough - 1
    out[RECOVERY] = rec - 1 if rec >= 0 else -1


@numba.njit(cache=True, error_model="numpy")
def _quantile(s: FloatArray, n: int, q: float) -> float:  # pragma: no cover - numba
    # _common.nan_quantile for one sorted column with n non-NaN values
    if n == 0:
        return np.nan
    top = max(n - 1, 0)
    pos = q * top
    lo = int(np.floor(pos))
    hi = min(lo + 1, top)
    frac = pos - lo
    a, b = s[lo], s[hi]
    if frac == 0:
        return a
    diff = b - a
    return b - diff * (1 - frac) if frac >= 0.5 else a + diff * frac


@numba.njit(cache=True, error_model="numpy")
def _tails(s: FloatArray, n: int, tail: float, out: FloatArray) -> None:  # pragma: no cover
    out[Q05], out[Q95] = _quantile(s, n, 0.05), _quantile(s, n, 0.95)
    q = _quantile(s, n, tail)
    total, cnt = 0.0, 0
    while cnt < n and s[cnt] <= q:  # the tail is a prefix of the sorted column
        total += s[cnt]
        cnt += 1
    out[Q_TAIL], out[ES_SUM], out[ES_CNT] = q, total, cnt


@numba.njit(cache=True, error_model="numpy")
def _versus(x: FloatArray, b: FloatArray, rf: float, out: FloatArray) -> None:  # pragma: no cover
    # benchmark._pair_sums on (x - rf, b - rf), then benchmark._subset_cagr log sums
    n, sx, sy = 0, 0.0, 0.0
    for t in range(x.shape[0]):
        yv, xv = x[t] - rf, b[t] - rf
        if not (np.isnan(yv) or np.isnan(xv)):
            n += 1
            sx += xv
            sy += yv
    xb, yb = (sx / n, sy / n) if n > 0 else (np.nan, np.nan)
    sxx = sxy = syy = lup = ldown = lall = 0.0
    for t in range(x.shape[0]):
        yv, xv = x[t] - rf, b[t] - rf
        if not (np.isnan(yv) or np.isnan(xv)):
            dx, dy = xv - xb, yv - yb
            sxx += dx * dx
            sxy += dx * dy
            syy += dy * dy
        lg = np.log1p(_no_nan(x[t]))
        lall += lg
        if b[t] > 0:
            lup += lg
        elif b[t] < 0:
            ldown += lg
    out[PAIR_N], out[PAIR_XBAR], out[PAIR_YBAR] = n, xb, yb
    out[PAIR_SXX], out[PAIR_SXY], out[PAIR_SYY] = sxx, sxy, syy
    out[LOG_UP], out[LOG_DOWN], out[LOG_ALL] = lup, ldown, lall


@numba.njit(cache=True, error_model="numpy")
def fused_column_stats(
    rt: FloatArray, st: FloatArray, bt: FloatArray, rf: float, mar: float, tail: float
) -> FloatArray:  # pragma: no cover - numba
    """Raw per-symbol statistics; ``rt``/``st`` are (symbols, T) returns and sorted returns.

    ``bt`` is (0, T) without a benchmark, else (1 or symbols, T).
    """
    # serial on purpose: with 2 loaded cores, a prange version measured no faster
    m, T = rt.shape
    out = np.full((N_STATS, m), np.nan)
    wealth = np.empty(T + 1)
    for j in range(m):
        col = out[:, j].copy()
        x = rt[j]
        col[N_OBS], col[MEAN], col[S2], col[S3], col[S4] = _moments(x, 0.0)
        _, col[EX_MEAN], col[EX_S2], _, _ = _moments(x, rf)  # Sharpe: moments of x - rf
        _flow_sums(x, rf, mar, col)
        _drawdown(x, wealth, col)
        _tails(st[j], int(col[N_OBS]), tail, col)
        if bt.shape[0] == 1:
            _versus(x, bt[0], rf, col)
        elif bt.shape[0] > 1:
            _versus(x, bt[j], rf, col)
        out[:, j] = col
    return out
