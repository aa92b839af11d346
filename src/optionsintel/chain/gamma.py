"""Dealer gamma exposure (GEX) by strike and in total, and the gamma-flip level.

Glossary: ``F`` forward of the expiry, ``K`` strike, ``T`` years to expiry, ``sigma``
implied volatility (decimal), ``r`` rate, ``m`` contract multiplier, ``s_c, s_p`` the
hedgers' position sign in calls and puts under the positioning assumption.

Notes
-----
Per strike, ``GEX = Gamma(F, K, T, sigma) * (s_c OI_call + s_p OI_put) * m * F^2 * 0.01``:
the change in the hedgers' delta, in rupees of underlying, for a 1 % move (the
SqueezeMetrics (2017) "Gamma Exposure" white-paper convention). Black-76 gamma is the
same for calls and puts: ``Gamma = exp(-rT) phi(d1) / (F sigma sqrt(T))`` with
``d1 = (ln(F/K) + sigma^2 T / 2) / (sigma sqrt(T))`` (Black 1976; Hull ch. 19).
Positive total GEX means hedgers sell rallies and buy dips (dampening); negative
means they chase the move (amplifying). Indian index options are hedged with futures,
hence gamma with respect to the forward.
"""

from __future__ import annotations

from typing import Literal, TypedDict

import numpy as np
import pandas as pd

from optionsintel.chain._grid import FloatArray, IntArray, StrikeGrid, build_grid, group_frame
from optionsintel.chain._market import market, strike_vol
from optionsintel.chain.config import DEFAULT_CHAIN_CONFIG, POSITION_SIGNS, ChainConfig
from optionsintel.chain.vol import _atm_iv_arrays

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def _black76_gamma(
    F: FloatArray, K: FloatArray, T: FloatArray, sigma: FloatArray, r: float
) -> FloatArray:
    """Black-76 gamma w.r.t. the forward; 0 where ``T`` or ``sigma`` is not positive."""
    ok = (T > 0) & (sigma > 0) & (F > 0) & (K > 0)
    T_ = np.where(ok, T, 1.0)
    s = np.where(ok, sigma, 1.0)
    vol = s * np.sqrt(T_)
    d1 = (np.log(F / np.where(ok, K, F)) + 0.5 * vol * vol) / vol
    g = np.exp(-r * T_ - 0.5 * d1 * d1) * _INV_SQRT_2PI / (F * vol)
    return np.where(ok, g, 0.0)


class _GammaInputs:
    """Per-strike-row inputs of the GEX kernels, computed once per grid and config."""

    def __init__(self, grid: StrikeGrid, config: ChainConfig) -> None:
        t, fwd = market(grid, config.rate)
        vol = strike_vol(grid, config.rate)
        atm = _atm_iv_arrays(grid, config.rate)
        self.sigma = np.where(np.isfinite(vol), vol, atm[grid.group])
        self.t, self.fwd = t[grid.group], fwd[grid.group]
        s_c, s_p = POSITION_SIGNS[config.positioning]
        ce_oi, pe_oi = (np.nan_to_num(a, nan=0.0) for a in grid.side("oi"))
        self.call_w = s_c * ce_oi * config.contract_multiplier
        self.put_w = s_p * pe_oi * config.contract_multiplier
        self.rate = config.rate
        self.unit = self.gex_unit(grid.strike)

    @classmethod
    def of(cls, grid: StrikeGrid, config: ChainConfig) -> _GammaInputs:
        key = f"gamma:{config!r}"
        if key not in grid.cache:
            grid.cache[key] = cls(grid, config)
        return grid.cache[key]

    def gex_unit(
        self,
        strike: FloatArray,
        rows: np.ndarray | slice = slice(None),
        scale: float | FloatArray = 1.0,
    ) -> FloatArray:
        """``Gamma * F^2 * 0.01`` for ``rows`` with the forward scaled by ``scale``."""
        F = self.fwd[rows] * scale
        K = strike[rows]
        return _black76_gamma(F, K, self.t[rows], self.sigma[rows], self.rate) * F * F * 0.01


def _gex_unit_grid(
    F: FloatArray, K: FloatArray, T: FloatArray, sigma: FloatArray, r: float
) -> FloatArray:
    """``_black76_gamma(F, K, T, sigma, r) * F * F * 0.01`` for forwards ``F[rows, points]``.

    ``K, T, sigma`` are columns (one value per row). The arithmetic is that of
    :func:`_black76_gamma`, operation for operation, with the per-row terms computed
    once per row instead of once per grid point, so the values are bit-identical.
    """
    ok_row = (T > 0) & (sigma > 0) & (K > 0)
    T_ = np.where(ok_row, T, 1.0)
    s = np.where(ok_row, sigma, 1.0)
    vol = s * np.sqrt(T_)
    half_var = 0.5 * vol * vol
    minus_rt = -r * T_
    ok = ok_row & (F > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # masked below
        d1 = np.log(F / K)
        d1 += half_var
        d1 /= vol
        g = 0.5 * d1
        g *= d1
        np.subtract(minus_rt, g, out=g)
        np.exp(g, out=g)
        g *= _INV_SQRT_2PI
        g /= F * vol
    g = np.where(ok, g, 0.0)
    g *= F
    g *= F
    g *= 0.01
    return g


def _gex_cols(grid: StrikeGrid, config: ChainConfig) -> dict[str, FloatArray]:
    inputs = _GammaInputs.of(grid, config)
    call = inputs.unit * inputs.call_w
    put = inputs.unit * inputs.put_w
    return {"call_gex": call, "put_gex": put, "net_gex": call + put}


def gamma_exposure(
    chain: pd.DataFrame,
    *,
    config: ChainConfig = DEFAULT_CHAIN_CONFIG,
    by: Literal["strike", "expiry", "underlying"] = "strike",
) -> pd.DataFrame:
    """Hedgers' gamma exposure at the current spot.

    Parameters
    ----------
    chain
        Canonical option-chain frame (IV in percent; missing IVs are filled with the
        expiry's ATM IV).
    config
        ``positioning`` (the sign convention; default ``"dealers_short_both"``),
        ``contract_multiplier`` (lot size when OI is in contracts) and ``rate``.
    by
        ``"strike"``: one row per strike; ``"expiry"``: summed per expiry;
        ``"underlying"``: summed over every expiry of a snapshot.

    Returns
    -------
    pandas.DataFrame
        Keys, ``provider`` and ``call_gex, put_gex, net_gex`` in rupees per 1 % move
        (per unit of OI when ``contract_multiplier`` is 1).

    Notes
    -----
    See the module docstring for the formula and the sign convention.
    """
    grid = build_grid(chain)
    cols = _gex_cols(grid, config)
    if by == "strike":
        return grid.frame(**cols)
    sums = {c: grid.gsum(v) for c, v in cols.items()}
    if by == "expiry":
        return group_frame(grid, {"spot": grid.spot, **sums})
    if by != "underlying":
        raise ValueError(f"by must be 'strike', 'expiry' or 'underlying'; got {by!r}")
    snap = grid.snapshot_starts()
    tot = {c: np.add.reduceat(v, snap) for c, v in sums.items()}
    return group_frame(grid, {"spot": grid.spot[snap], **tot}, snap, drop_expiry=True)


def _scan(
    grid: StrikeGrid, inputs: _GammaInputs, live: np.ndarray, owner: np.ndarray, xs: FloatArray
) -> FloatArray:
    """Total GEX per snapshot at relative spot moves ``xs`` (shape ``[n_snap, m]``)."""
    weight = (inputs.call_w + inputs.put_w)[live]
    col = live[:, None]
    F = inputs.fwd[col] * (1.0 + xs[owner])
    contrib = _gex_unit_grid(F, grid.strike[col], inputs.t[col], inputs.sigma[col], inputs.rate)
    contrib *= weight[:, None]
    totals = np.zeros(xs.shape)
    if len(live):
        snaps, first = np.unique(owner, return_index=True)
        totals[snaps] = np.add.reduceat(contrib, first, axis=0)
    return totals


class _FlipScan(TypedDict):
    """Per-snapshot output of :func:`_flip_scan`; ``snap`` indexes the first group."""

    net_gex: FloatArray
    flip_x: FloatArray
    peak_x: FloatArray
    snap: IntArray


def _flip_scan(grid: StrikeGrid, config: ChainConfig) -> _FlipScan:
    """GEX at the spot, flip move and peak-|GEX| move of every snapshot (cached)."""
    key = f"flip:{config!r}"
    if key in grid.cache:
        return grid.cache[key]
    inputs = _GammaInputs.of(grid, config)
    snap = grid.snapshot_starts()
    weight = inputs.call_w + inputs.put_w
    live = np.flatnonzero((weight != 0) & (inputs.t > 0))
    row_snap = np.searchsorted(grid.starts[snap], np.arange(len(grid.strike)), "right") - 1
    owner = row_snap[live]
    x = np.linspace(-config.flip_grid_pct, config.flip_grid_pct, config.flip_grid_points)
    coarse = _scan(grid, inputs, live, owner, np.broadcast_to(x, (len(snap), len(x))))
    j = _crossing_index(x, coarse)
    flip = np.full(len(snap), np.nan)
    if (j >= 0).any():
        step = (x[1] - x[0]) * np.linspace(0.0, 1.0, 17)[None, :]
        fine_x = x[np.maximum(j, 0), None] + step
        fine = _scan(grid, inputs, live, owner, fine_x)
        k = _crossing_index_rows(fine_x, fine)
        ok = (j >= 0) & (k >= 0)
        flip = np.where(ok, _interp_root(fine_x, fine, np.maximum(k, 0)), np.nan)
    out: _FlipScan = {
        "net_gex": np.add.reduceat(inputs.unit * weight, grid.starts[snap]),
        "flip_x": flip,
        "peak_x": x[np.argmax(np.abs(coarse), axis=1)],
        "snap": snap,
    }
    grid.cache[key] = out
    return out


def _crossing_index(x: FloatArray, totals: FloatArray) -> np.ndarray:
    """Index ``j`` of the sign change between ``x[j]`` and ``x[j+1]`` nearest 0 (-1: none)."""
    return _crossing_index_rows(np.broadcast_to(x, totals.shape), totals)


def _crossing_index_rows(xs: FloatArray, totals: FloatArray) -> np.ndarray:
    a, b = totals[:, :-1], totals[:, 1:]
    cross = (a * b < 0) | ((a == 0) & (b != 0))
    dist = np.where(cross, np.abs(0.5 * (xs[:, :-1] + xs[:, 1:])), np.inf)
    j = np.argmin(dist, axis=1)
    return np.where(np.isfinite(dist[np.arange(len(j)), j]), j, -1)


def _interp_root(xs: FloatArray, totals: FloatArray, j: np.ndarray) -> FloatArray:
    rows = np.arange(len(j))
    x0, x1 = xs[rows, j], xs[rows, j + 1]
    g0, g1 = totals[rows, j], totals[rows, j + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(g1 != g0, x0 - g0 * (x1 - x0) / (g1 - g0), x0)


def gamma_flip_level(
    chain: pd.DataFrame, *, config: ChainConfig = DEFAULT_CHAIN_CONFIG
) -> pd.DataFrame:
    """Spot level at which the hedgers' total gamma exposure changes sign.

    Re-evaluates every contract's Black-76 gamma on a spot grid ``spot * (1 + x)``
    (``flip_grid_points`` values of ``x`` over ``[-flip_grid_pct, flip_grid_pct]``;
    sticky-strike IVs, forwards moved in proportion), sums over all strikes and
    expiries of a snapshot, then re-scans the grid cell holding the sign change
    nearest the spot 16 times finer and interpolates linearly inside it.

    Returns
    -------
    pandas.DataFrame
        One row per (underlying, snapshot_ts): ``provider, spot, net_gex`` (at the
        spot), ``flip_level`` (NaN when GEX keeps one sign over the grid, always so
        under ``dealers_short_both`` / ``dealers_long_both``), ``flip_distance_pct``,
        ``peak_gex_level`` (grid spot of the largest ``|GEX|``, where hedging flows are
        strongest) and ``regime`` (``"positive"`` / ``"negative"`` / ``"flat"``).
    """
    grid = build_grid(chain)
    scan = _flip_scan(grid, config)
    snap = scan["snap"]
    spot = grid.spot[snap]
    net = scan["net_gex"]
    cols = {
        "spot": spot,
        "net_gex": net,
        "flip_level": spot * (1.0 + scan["flip_x"]),
        "flip_distance_pct": scan["flip_x"] * 100.0,
        "peak_gex_level": spot * (1.0 + scan["peak_x"]),
        "regime": np.select([net > 0, net < 0], ["positive", "negative"], "flat"),
    }
    return group_frame(grid, cols, snap, drop_expiry=True)
