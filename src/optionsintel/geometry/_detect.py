"""Compiled pattern detector: walks each symbol's swing points in the order they become known.

For every symbol (``numba.prange``) the kernel replays the pivots sorted by the bar at which
they are known, keeps them alternating (two highs in a row: the higher survives, which is a
decision made at the second one's known bar), and after each change tests the templates on
the tail of the sequence at that known bar ``t``. Templates read only bars ``<= t``; the
breakout scan that follows reads bars ``> t`` and stamps the bar it finds, so a consumer at
time ``u`` uses a breakout only when ``breakout_bar <= u``.

Lines are ``price = slope * bar + intercept`` with ``bar`` the 0-based row position.
"""

from __future__ import annotations

import numba
import numpy as np

from optionsintel.geometry._kernels import serial

# parameter slots (see patterns.PatternParams.to_array)
(
    P_MIN_BARS,
    P_MAX_BARS,
    P_FLAT,
    P_CONV,
    P_PARALLEL,
    P_CONTAIN,
    P_TOUCH,
    P_BRK,
    P_MAX_WAIT,
    P_VOL_WINDOW,
    P_POLE_BARS,
    P_POLE_PCT,
    P_FLAG_MAX_BARS,
    P_FLAG_RETRACE,
    P_DT_TOL,
    P_DT_DEPTH,
    P_DT_MIN_SEP,
    P_HS_HEAD,
    P_HS_SHOULDER,
    P_HS_NECK,
    P_MIN_TOUCHES,
    P_MIN_HEIGHT,
    P_MIN_HEIGHT_ATR,
    P_CONSOL_HEIGHT_ATR,
) = range(24)
N_PARAMS = 24
# output columns
(
    F_SYM,
    F_CODE,
    F_START,
    F_END,
    F_KNOWN,
    F_US,
    F_UI,
    F_LS,
    F_LI,
    F_UT,
    F_LT,
    F_RES,
    F_BRK_BAR,
    F_BRK_DIR,
    F_BRK_LEVEL,
    F_VOL_RATIO,
) = range(16)
N_FIELDS = 16
# pattern codes (names in patterns.PATTERNS, same order)
(
    ASC_TRI,
    DESC_TRI,
    SYM_TRI,
    RISING_WEDGE,
    FALLING_WEDGE,
    CHANNEL_UP,
    CHANNEL_DOWN,
    RECTANGLE,
    BULL_FLAG,
    BEAR_FLAG,
    BULL_PENNANT,
    BEAR_PENNANT,
    DOUBLE_TOP,
    DOUBLE_BOTTOM,
    HEAD_SHOULDERS,
    INV_HEAD_SHOULDERS,
) = range(16)
MAX_PER_PIVOT = 4  # consolidation + flag/pennant + double + head-and-shoulders


@numba.njit(cache=True)
def _contained(C, start, t, us, ui, ls, li, tol):  # pragma: no cover - compiled
    for j in range(start, t + 1):
        c = C[j]
        if not np.isnan(c) and (c > (us * j + ui) * (1 + tol) or c < (ls * j + li) * (1 - tol)):
            return False
    return True


@numba.njit(cache=True)
def _breakout(C, V, t, us, ui, ls, li, mode, prm, row):  # pragma: no cover - compiled
    """Stamp the first close beyond a line after the known bar.

    First close beyond a line after ``t``; ``mode`` +1/-1 allows one side only (the other
    side then invalidates the pattern), 0 allows both.
    """
    n, brk = C.size, prm[P_BRK]
    row[F_BRK_BAR], row[F_BRK_DIR], row[F_BRK_LEVEL], row[F_VOL_RATIO] = -1, 0, np.nan, np.nan
    for j in range(t + 1, min(n, t + 1 + int(prm[P_MAX_WAIT]))):
        c, up, lo = C[j], us * j + ui, ls * j + li
        if np.isnan(c):
            continue
        d = 1 if c > up * (1 + brk) else (-1 if c < lo * (1 - brk) else 0)
        if d == 0:
            continue
        if mode == 0 or d == mode:
            row[F_BRK_BAR], row[F_BRK_DIR] = j, d
            row[F_BRK_LEVEL] = up if d == 1 else lo
            w = int(prm[P_VOL_WINDOW])
            tot, cnt = 0.0, 0
            for q in range(max(0, j - w), j):
                if not np.isnan(V[q]):
                    tot += V[q]
                    cnt += 1
            if cnt > 0 and tot > 0 and not np.isnan(V[j]):
                row[F_VOL_RATIO] = V[j] / (tot / cnt)
        return


@numba.njit(cache=True)
def _emit(
    out, pos, cap, cnt, s, code, start, end, t, lines, touches, res, mode, C, V, prm
):  # pragma: no cover
    if cnt >= cap:
        return cnt
    row = out[pos + cnt]
    us, ui, ls, li = lines[0], lines[1], lines[2], lines[3]
    row[F_SYM], row[F_CODE], row[F_START], row[F_END], row[F_KNOWN] = s, code, start, end, t
    row[F_US], row[F_UI], row[F_LS], row[F_LI] = us, ui, ls, li
    row[F_UT], row[F_LT], row[F_RES] = touches[0], touches[1], res
    _breakout(C, V, t, us, ui, ls, li, mode, prm, row)
    return cnt + 1


@numba.njit(cache=True)
def _tall(height, price, atr, prm, multiple=-1.0):  # pragma: no cover - compiled
    """Tell whether a pattern is tall enough to stand out.

    A pattern must stand out: ``P_MIN_HEIGHT`` of price and ``P_MIN_HEIGHT_ATR`` ATRs, or
    ``multiple`` ATRs when given (the ATR at the known bar; NaN while it warms up, which
    fails the test).
    """
    n_atr = prm[P_MIN_HEIGHT_ATR] if multiple < 0 else multiple
    return height >= prm[P_MIN_HEIGHT] * price and height >= n_atr * atr


@numba.njit(cache=True)
def _line(b0, p0, b1, p1):  # pragma: no cover - compiled
    slope = (p1 - p0) / (b1 - b0)
    return slope, p0 - slope * b0


@numba.njit(cache=True)
def _classify(ru, rl, w0, w1, prm):  # pragma: no cover - compiled
    flat = prm[P_FLAT]
    up_flat, lo_flat = abs(ru) <= flat, abs(rl) <= flat
    conv = w1 < w0 * (1 - prm[P_CONV])
    par = abs(w1 / w0 - 1) <= prm[P_PARALLEL]
    if up_flat and rl > flat and conv:
        return ASC_TRI
    if lo_flat and ru < -flat and conv:
        return DESC_TRI
    if ru < -flat and rl > flat:
        return SYM_TRI
    if ru > flat and rl > flat and conv:
        return RISING_WEDGE
    if ru < -flat and rl < -flat and conv:
        return FALLING_WEDGE
    if par and ru > flat and rl > flat:
        return CHANNEL_UP
    if par and ru < -flat and rl < -flat:
        return CHANNEL_DOWN
    if par and up_flat and lo_flat:
        return RECTANGLE
    return -1


@numba.njit(cache=True)
def _flag(code, start, top0, bot0, w0, H, L, prm):  # pragma: no cover - compiled
    """Name the flag or pennant a consolidation forms, or return -1.

    A flag or pennant: a pole of ``P_POLE_PCT`` within ``P_POLE_BARS`` bars into the
    consolidation's first bar, which retraces at most ``P_FLAG_RETRACE`` of the pole.
    """
    a = max(0, start - int(prm[P_POLE_BARS]))
    lmin, hmax = np.inf, -np.inf
    for j in range(a, start + 1):
        if not np.isnan(L[j]):
            lmin = min(lmin, L[j])
        if not np.isnan(H[j]):
            hmax = max(hmax, H[j])
    pct, retr = prm[P_POLE_PCT], prm[P_FLAG_RETRACE]
    if top0 / lmin - 1 >= pct and w0 <= retr * (top0 - lmin):
        if code in (CHANNEL_DOWN, RECTANGLE):
            return BULL_FLAG
        if code == SYM_TRI:
            return BULL_PENNANT
    if 1 - bot0 / hmax >= pct and w0 <= retr * (hmax - bot0):
        if code in (CHANNEL_UP, RECTANGLE):
            return BEAR_FLAG
        if code == SYM_TRI:
            return BEAR_PENNANT
    return -1


@numba.njit(cache=True)
def _consolidation(
    sb, sp, sk, ln, t, s, H, L, C, V, A, prm, out, pos, cap, cnt
):  # pragma: no cover
    """Triangles, wedges, channels, rectangles (and flags/pennants) on the last 4 pivots."""
    hi = ln - 1 if sk[ln - 1] == 1 else ln - 2
    lo = ln - 1 if sk[ln - 1] == -1 else ln - 2
    us, ui = _line(sb[hi - 2], sp[hi - 2], sb[hi], sp[hi])
    ls, li = _line(sb[lo - 2], sp[lo - 2], sb[lo], sp[lo])
    start, end = sb[ln - 4], sb[ln - 1]
    touches = np.array([2.0, 2.0])
    ss = 0.0
    for j in range(ln - 5, max(-1, ln - 13), -1):  # older pivots still on their line
        fit = us * sb[j] + ui if sk[j] == 1 else ls * sb[j] + li
        d = sp[j] / fit - 1
        if abs(d) > prm[P_TOUCH]:
            break
        start = sb[j]
        touches[0 if sk[j] == 1 else 1] += 1
        ss += d * d
    span = end - start
    if touches[0] + touches[1] < prm[P_MIN_TOUCHES]:
        return cnt
    if span < prm[P_MIN_BARS] or span > prm[P_MAX_BARS]:
        return cnt
    top0, bot0 = us * start + ui, ls * start + li
    w0, w1 = top0 - bot0, (us - ls) * end + ui - li
    # triangles, wedges, channels and rectangles need P_CONSOL_HEIGHT_ATR ATRs (noise forms
    # low ones all the time); a flag or pennant is small by definition: P_MIN_HEIGHT_ATR
    big = _tall(w0, bot0, A[t], prm, prm[P_CONSOL_HEIGHT_ATR])
    small = span <= prm[P_FLAG_MAX_BARS] and _tall(w0, bot0, A[t], prm)
    if not (big or small) or w1 <= 0 or not _contained(C, start, t, us, ui, ls, li, prm[P_CONTAIN]):
        return cnt
    code = _classify(us * span / w0, ls * span / w0, w0, w1, prm)
    if code < 0:
        return cnt
    lines = np.array([us, ui, ls, li])
    res = np.sqrt(ss / (touches[0] + touches[1]))
    if big:
        cnt = _emit(out, pos, cap, cnt, s, code, start, end, t, lines, touches, res, 0, C, V, prm)
    if small:
        flag = _flag(code, start, top0, bot0, w0, H, L, prm)
        if flag >= 0:
            cnt = _emit(
                out, pos, cap, cnt, s, flag, start, end, t, lines, touches, res, 0, C, V, prm
            )
    return cnt


@numba.njit(cache=True)
def _double(sb, sp, sk, ln, t, s, C, V, A, prm, out, pos, cap, cnt):  # pragma: no cover - compiled
    """Detect a double top or bottom on the last four pivots.

    Double top (bottom): two peaks (troughs) within ``P_DT_TOL`` of each other, a trough
    (peak) between them at least ``P_DT_DEPTH`` away, entered from beyond that neckline.
    """
    k = sk[ln - 1]
    p1, p2, p3, p0 = sp[ln - 3], sp[ln - 2], sp[ln - 1], sp[ln - 4]
    b1, b3 = sb[ln - 3], sb[ln - 1]
    ext = max(p1, p3) if k == 1 else min(p1, p3)
    depth = min(p1, p3) / p2 - 1 if k == 1 else p2 / max(p1, p3) - 1
    # entered from beyond the neckline: the move into the first top starts below it
    entered = p0 <= p2 * (1 - prm[P_DT_DEPTH]) if k == 1 else p0 >= p2 * (1 + prm[P_DT_DEPTH])
    sep = b3 - b1
    if abs(p1 - p3) / abs(ext) > prm[P_DT_TOL] or depth < prm[P_DT_DEPTH] or not entered:
        return cnt
    if not _tall(abs(ext - p2), abs(p2), A[t], prm):
        return cnt
    if sep < prm[P_DT_MIN_SEP] or sep > prm[P_MAX_BARS]:
        return cnt
    ps, pi = _line(b1, p1, b3, p3)
    lines = np.array([ps, pi, 0.0, p2]) if k == 1 else np.array([0.0, p2, ps, pi])
    if not _contained(C, b1, t, lines[0], lines[1], lines[2], lines[3], prm[P_CONTAIN]):
        return cnt
    code = DOUBLE_TOP if k == 1 else DOUBLE_BOTTOM
    touches = np.array([2.0, 1.0]) if k == 1 else np.array([1.0, 2.0])
    return _emit(out, pos, cap, cnt, s, code, b1, b3, t, lines, touches, 0.0, -k, C, V, prm)


@numba.njit(cache=True)
def _head_shoulders(sb, sp, sk, ln, t, s, C, V, A, prm, out, pos, cap, cnt):  # pragma: no cover
    """Detect a head and shoulders (or inverse) on the last five pivots.

    Head and shoulders (inverse): the middle of three peaks (troughs) beyond both shoulders
    by ``P_HS_HEAD``, shoulders within ``P_HS_SHOULDER`` of each other, a neckline through
    the two troughs (peaks) moving at most ``P_HS_NECK`` of the head's height.
    """
    k = sk[ln - 1]
    b1, b2, b3, b4, b5 = sb[ln - 5], sb[ln - 4], sb[ln - 3], sb[ln - 2], sb[ln - 1]
    p1, p2, p3, p4, p5 = sp[ln - 5], sp[ln - 4], sp[ln - 3], sp[ln - 2], sp[ln - 1]
    if b5 - b1 < prm[P_MIN_BARS] or b5 - b1 > prm[P_MAX_BARS]:
        return cnt
    shoulder = max(p1, p5) if k == 1 else min(p1, p5)
    if k * (p3 - shoulder) < prm[P_HS_HEAD] * abs(shoulder):
        return cnt
    if abs(p1 - p5) / abs(p3) > prm[P_HS_SHOULDER]:
        return cnt
    ns, ni = _line(b2, p2, b4, p4)
    height = abs(p3 - (ns * b3 + ni))
    if not _tall(height, abs(p3), A[t], prm):
        return cnt
    if abs(ns) * (b5 - b1) > prm[P_HS_NECK] * height:
        return cnt
    ss, si = _line(b1, p1, b5, p5)
    if k == 1:
        ok = _contained(C, b1, t, 0.0, p3, ns, ni, prm[P_CONTAIN])
        lines = np.array([ss, si, ns, ni])
    else:
        ok = _contained(C, b1, t, ns, ni, 0.0, p3, prm[P_CONTAIN])
        lines = np.array([ns, ni, ss, si])
    if not ok:
        return cnt
    code = HEAD_SHOULDERS if k == 1 else INV_HEAD_SHOULDERS
    touches = np.array([2.0, 2.0])
    return _emit(out, pos, cap, cnt, s, code, b1, b5, t, lines, touches, 0.0, -k, C, V, prm)


@numba.njit(parallel=True, cache=True)
def detect(H, L, C, V, A, is_high, is_low, known_h, known_l, prm, offsets):  # pragma: no cover
    """All templates for every symbol; returns the packed rows and the count per symbol."""
    m, n = C.shape
    out = np.full((offsets[m], N_FIELDS), np.nan)
    counts = np.zeros(m, dtype=np.int64)
    for s in numba.prange(m):
        npv = int(is_high[s].sum() + is_low[s].sum())
        eb = np.empty(npv, dtype=np.int64)
        ek = np.empty(npv, dtype=np.int64)
        kind = np.empty(npv, dtype=np.int64)
        q = 0
        for i in range(n):
            if is_high[s, i]:
                eb[q], ek[q], kind[q] = i, known_h[s, i], 1
                q += 1
            if is_low[s, i]:
                eb[q], ek[q], kind[q] = i, known_l[s, i], -1
                q += 1
        order = np.argsort(ek * (n + 1) + eb, kind="mergesort")
        sb = np.empty(npv, dtype=np.int64)
        sp = np.empty(npv)
        sk = np.empty(npv, dtype=np.int64)
        ln, cnt, pos, cap = 0, 0, offsets[s], offsets[s + 1] - offsets[s]
        for o in order:
            b, k = eb[o], kind[o]
            p = H[s, b] if k == 1 else L[s, b]
            if ln > 0 and sk[ln - 1] == k:
                if k * (p - sp[ln - 1]) <= 0:
                    continue  # the earlier, more extreme pivot of the pair stands
                ln -= 1
            sb[ln], sp[ln], sk[ln] = b, p, k
            ln += 1
            t = ek[o]
            if ln >= 4:
                cnt = _consolidation(
                    sb, sp, sk, ln, t, s, H[s], L[s], C[s], V[s], A[s], prm, out, pos, cap, cnt
                )
                cnt = _double(sb, sp, sk, ln, t, s, C[s], V[s], A[s], prm, out, pos, cap, cnt)
            if ln >= 5:
                cnt = _head_shoulders(
                    sb, sp, sk, ln, t, s, C[s], V[s], A[s], prm, out, pos, cap, cnt
                )
        counts[s] = cnt
    return out, counts


detect_serial = serial(detect)
