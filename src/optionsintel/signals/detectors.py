"""The eight detectors, each vectorised over every (underlying, expiry) of a pair.

Every detector returns a :class:`Found`: per current group whether the signal fires,
its confidence (0-100), the strikes involved and the supporting figures. The market
logic and the formulas are in ``docs/signals.md``.

Scores: ``score(m, t) = 1 - t / (2 m)`` for a magnitude ``m`` at or above its
threshold ``t`` (0.5 at the threshold, 0.75 at twice it, tending to 1), else 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optionsintel.chain._grid import FloatArray
from optionsintel.chain.config import ChainConfig
from optionsintel.chain.gamma import _gex_cols
from optionsintel.chain.oi import _max_pain_cols, _walls_cols
from optionsintel.signals._pair import Pair, top_rows
from optionsintel.signals.config import SignalConfig, SignalType


@dataclass
class Found:
    """Detector output over the current groups of a pair."""

    signal_type: SignalType
    fire: np.ndarray
    confidence: FloatArray
    strikes: list[list[float]]
    support: dict[str, np.ndarray] = field(default_factory=dict)


def score(magnitude: FloatArray, threshold: float) -> FloatArray:
    """Saturating score in [0, 1): 0 below ``threshold``, ``1 - t / (2 m)`` above."""
    m = np.nan_to_num(np.asarray(magnitude, dtype=np.float64), nan=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(m >= threshold, 1.0 - threshold / (2.0 * m), 0.0)
    return np.clip(s, 0.0, 1.0)


def _pct(now: FloatArray, before: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(before > 0, (now / before - 1.0) * 100.0, np.nan)


@dataclass
class _Side:
    """Window aggregates of one option side."""

    oi_now: FloatArray
    oi_prev: FloatArray
    oi_pct: FloatArray
    premium_pct: FloatArray
    d_oi: FloatArray  # per strike row, window only (0 outside)


def side_stats(pair: Pair, side: str) -> _Side:
    """Window OI before/after and the OI-weighted premium change of one side (cached)."""
    key = ("side_stats", side)
    if key not in pair.cache:
        pair.cache[key] = _side_stats(pair, side)
    return pair.cache[key]


def _side_stats(pair: Pair, side: str) -> _Side:
    grid = pair.cur
    k = 0 if side == "CE" else 1
    oi_now = np.nan_to_num(grid.side("oi")[k], nan=0.0)
    oi_prev = np.nan_to_num(pair.prev_side("oi", fill=0.0)[k], nan=0.0)
    ltp_now, ltp_prev = grid.side("ltp")[k], pair.prev_side("ltp")[k]
    w = pair.window
    d_oi = np.where(w, oi_now - oi_prev, 0.0)
    sum_now, sum_prev = grid.gsum(np.where(w, oi_now, 0.0)), grid.gsum(np.where(w, oi_prev, 0.0))
    priced = w & (ltp_now > 0) & (ltp_prev > 0)
    weight = np.where(priced, oi_now, 0.0)
    chg = np.where(priced, ltp_now / np.where(priced, ltp_prev, 1.0) - 1.0, 0.0)
    wsum = grid.gsum(weight)
    with np.errstate(divide="ignore", invalid="ignore"):
        prem = np.where(wsum > 0, grid.gsum(weight * chg) / wsum * 100.0, np.nan)
    return _Side(sum_now, sum_prev, _pct(sum_now, sum_prev), prem, d_oi)


def _focus(pair: Pair, d_oi: FloatArray, strikes_score: FloatArray, k: int) -> FloatArray:
    """Share of the window's absolute OI change carried by its ``k`` largest movers."""
    grid = pair.cur
    s = np.where(pair.window, strikes_score, -np.inf)
    picks = grid.top_k(s, k)
    in_top = np.zeros(len(s), dtype=bool)
    in_top[picks[picks >= 0]] = True
    top = grid.gsum(np.where(in_top, np.abs(d_oi), 0.0))
    total = grid.gsum(np.abs(d_oi))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, top / total, 0.0)


_BIAS = {
    ("CE", "short_buildup"): "bearish", ("CE", "long_buildup"): "bullish",
    ("PE", "short_buildup"): "bullish", ("PE", "long_buildup"): "bearish",
    ("CE", "short_covering"): "bullish", ("CE", "long_unwinding"): "bearish",
    ("PE", "short_covering"): "bearish", ("PE", "long_unwinding"): "bullish",
}  # fmt: skip


def oi_flow(pair: Pair, config: SignalConfig, side: str, rising: bool) -> Found:
    """CALL/PUT BUILDUP (``rising``) or UNWINDING on one side of the window."""
    st = side_stats(pair, side)
    thr = config.buildup_oi_pct if rising else config.unwinding_oi_pct
    magnitude = st.oi_pct if rising else -st.oi_pct
    fire = pair.active & (st.oi_prev >= config.min_window_oi) & (magnitude >= thr)
    prem_up = st.premium_pct > config.premium_flat_pct
    if rising:
        kind = np.where(prem_up, "long_buildup", "short_buildup")
    else:
        kind = np.where(prem_up, "short_covering", "long_unwinding")
    mover = st.d_oi if rising else -st.d_oi
    focus = _focus(pair, st.d_oi, mover, config.max_strikes)
    conf = 100.0 * (0.7 * score(magnitude, thr) + 0.3 * focus)
    name = f"{'CALL' if side == 'CE' else 'PUT'}_{'BUILDUP' if rising else 'UNWINDING'}"
    bias = np.array([_BIAS[(side, str(k))] for k in np.unique(kind)], dtype=object)
    bias = bias[np.searchsorted(np.unique(kind), kind)]
    return Found(
        SignalType(name),
        fire,
        np.where(fire, conf, 0.0),
        top_rows(pair, mover, pair.window & (mover > 0), config.max_strikes),
        {
            "side": np.full(len(fire), side, dtype=object),
            "interpretation": kind,
            "bias": bias,
            "window_oi_prev": st.oi_prev,
            "window_oi_now": st.oi_now,
            "oi_change_pct": st.oi_pct,
            "premium_change_pct": st.premium_pct,
            "spot_prev": pair.spot_prev,
            "spot": pair.spot,
            "top_strike_share": focus,
        },
    )


def gamma_squeeze(pair: Pair, config: SignalConfig) -> Found:
    """Spot running through short-gamma strikes while that side's writers cover."""
    grid = pair.cur
    move = _pct(pair.spot, pair.spot_prev)
    up = move > 0
    ce, pe = side_stats(pair, "CE"), side_stats(pair, "PE")
    unwind = np.where(up, -ce.oi_pct, -pe.oi_pct)
    chain_cfg = ChainConfig(rate=config.rate, positioning=config.positioning)
    net = _gex_cols(grid, chain_cfg)["net_gex"]
    net_total = grid.gsum(net)
    near = np.abs(grid.gsum(np.where(pair.window, net, 0.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        near_share = np.where(np.abs(net_total) > 0, near / np.abs(grid.gsum(np.abs(net))), 0.0)
    fire = (
        pair.active
        & (net_total < 0)
        & (np.abs(move) >= config.squeeze_move_pct)
        & (unwind >= config.squeeze_unwind_pct)
    )
    conf = 100.0 * (
        0.4 * score(np.abs(move), config.squeeze_move_pct)
        + 0.4 * score(unwind, config.squeeze_unwind_pct)
        + 0.2 * near_share
    )
    d_side = np.where(up[grid.group], -ce.d_oi, -pe.d_oi)
    return Found(
        SignalType.GAMMA_SQUEEZE,
        fire,
        np.where(fire, conf, 0.0),
        top_rows(pair, d_side, pair.window & (d_side > 0), config.max_strikes),
        {
            "direction": np.where(up, "up", "down"),
            "spot_prev": pair.spot_prev,
            "spot": pair.spot,
            "spot_change_pct": move,
            "squeezed_side": np.where(up, "CE", "PE"),
            "squeezed_oi_change_pct": -unwind,
            "net_gex": net_total,
            "near_spot_gamma_share": near_share,
            "positioning": np.full(len(fire), config.positioning, dtype=object),
        },
    )


def max_pain_pull(pair: Pair, config: SignalConfig) -> Found:
    """Spot away from a stable max pain close to expiry: expect a pull towards it."""
    mp = _max_pain_cols(pair.cur)["max_pain"]
    pg = np.maximum(pair.prev_group, 0)
    mp_prev = np.where(pair.prev_group >= 0, _max_pain_cols(pair.prev)["max_pain"][pg], np.nan)
    dist = np.abs(pair.spot / mp - 1.0) * 100.0
    days = pair.t * 365.0
    fire = (
        pair.active
        & (days <= config.max_pain_days)
        & (dist >= config.max_pain_distance_pct)
        & (dist <= config.max_pain_max_distance_pct)
    )
    stable = np.where(mp == mp_prev, 1.0, 0.5)
    urgency = np.clip(1.0 - days / (config.max_pain_days + 1.0), 0.0, 1.0)
    conf = 100.0 * (0.5 * score(dist, config.max_pain_distance_pct) + 0.3 * urgency + 0.2 * stable)
    return Found(
        SignalType.MAX_PAIN,
        fire,
        np.where(fire, conf, 0.0),
        [[float(v)] if np.isfinite(v) else [] for v in mp],
        {
            "max_pain": mp,
            "max_pain_prev": mp_prev,
            "spot": pair.spot,
            "distance_pct": dist,
            "direction": np.where(mp > pair.spot, "up", "down"),
            "days_to_expiry": days,
        },
    )


def momentum_shift(pair: Pair, config: SignalConfig) -> Found:
    """Near-the-money PCR(OI) jump on the same strikes, corroborated by walls and price.

    Both PCRs are taken over the current window's strikes (the previous OI looked up on
    those very strikes, as the OI-flow detectors do), so a move of the spot alone, with
    every OI unchanged, changes nothing. A rising PCR reads bullish, a falling one bearish.
    """
    ce, pe = side_stats(pair, "CE"), side_stats(pair, "PE")
    with np.errstate(divide="ignore", invalid="ignore"):
        pcr_now = np.where(ce.oi_now > 0, pe.oi_now / ce.oi_now, np.nan)
        pcr_prev = np.where(ce.oi_prev > 0, pe.oi_prev / ce.oi_prev, np.nan)
    pg, seen = np.maximum(pair.prev_group, 0), pair.prev_group >= 0
    walls_now, walls_prev = _walls_cols(pair.cur), _walls_cols(pair.prev)
    d_sup = walls_now["support"] - np.where(seen, walls_prev["support"][pg], np.nan)
    d_res = walls_now["resistance"] - np.where(seen, walls_prev["resistance"][pg], np.nan)
    d_pcr = pcr_now - pcr_prev
    direction = np.sign(d_pcr)
    wall_dir = np.sign(np.nan_to_num(np.sign(d_sup)) + np.nan_to_num(np.sign(d_res)))
    price_dir = np.sign(np.nan_to_num(pair.spot - pair.spot_prev))
    agree_walls = 0.5 + 0.5 * wall_dir * direction
    agree_price = 0.5 + 0.5 * price_dir * direction
    fire = pair.active & (np.abs(np.nan_to_num(d_pcr)) >= config.pcr_shift)
    conf = 100.0 * (
        0.6 * score(np.abs(d_pcr), config.pcr_shift) + 0.2 * agree_walls + 0.2 * agree_price
    )
    strikes = [
        [float(v) for v in sorted({a, b}) if np.isfinite(v)]
        for a, b in zip(walls_now["support"], walls_now["resistance"], strict=True)
    ]
    return Found(
        SignalType.MOMENTUM_SHIFT,
        fire,
        np.where(fire, conf, 0.0),
        strikes,
        {
            "direction": np.where(direction > 0, "bullish", "bearish"),
            "pcr_prev": pcr_prev,
            "pcr": pcr_now,
            "pcr_change": d_pcr,
            "support_prev": walls_now["support"] - d_sup,
            "support": walls_now["support"],
            "resistance_prev": walls_now["resistance"] - d_res,
            "resistance": walls_now["resistance"],
            "spot_prev": pair.spot_prev,
            "spot": pair.spot,
        },
    )


def history_volume(pair: Pair, history: pd.DataFrame | None) -> tuple[FloatArray, FloatArray]:
    """Mean volume of each current contract over ``history`` snapshots (NaN if unseen)."""
    n = len(pair.cur.strike)
    if history is None or len(history) == 0:
        return np.full(n, np.nan), np.full(n, np.nan)
    keys = ["underlying", "expiry", "strike", "option_type"]
    cur = pair.cur.frame()[["underlying", "expiry", "strike"]]
    both = pd.concat(
        [
            cur.assign(option_type="CE"),
            cur.assign(option_type="PE"),
            history[keys].assign(expiry=pd.to_datetime(history["expiry"]).dt.normalize()),
        ],
        ignore_index=True,
    )
    code = np.zeros(len(both), dtype=np.int64)
    for col in keys:
        c, u = pd.factorize(both[col])
        code = code * (len(u) + 1) + c
    code = pd.factorize(code)[0]
    hist_code = code[2 * n :]
    vol = history["volume"].to_numpy(dtype=np.float64, na_value=np.nan)
    ok = np.isfinite(vol)
    total = np.bincount(hist_code[ok], weights=vol[ok], minlength=code.max() + 1)
    count = np.bincount(hist_code[ok], minlength=code.max() + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
    return mean[code[:n]], mean[code[n : 2 * n]]
