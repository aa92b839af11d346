"""Open-interest analytics: put-call ratio, max pain, concentration, OI walls.

Every function takes a canonical chain frame (:data:`optionsintel.frames.CHAIN_COLUMNS`,
any number of underlyings, snapshots and expiries) and returns one row per
``(underlying, snapshot_ts, expiry)`` unless said otherwise. Missing OI or volume
counts as zero.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from optionsintel.chain._grid import FloatArray, StrikeGrid, align_rows, build_grid, group_frame
from optionsintel.chain._market import window_mask


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _pcr_cols(
    grid: StrikeGrid,
    window_strikes: int | None,
    window_pct: float | None,
    snap: np.ndarray | None = None,
) -> dict[str, FloatArray]:
    """OI/volume totals and PCRs per group, or per snapshot block when ``snap`` is given."""
    keep = window_mask(grid, window_strikes, window_pct)
    sums: dict[str, FloatArray] = {}
    for field in ("oi", "volume"):
        ce, pe = grid.side(field)
        sums[f"ce_{field}"] = grid.gsum(np.where(keep, ce, 0.0))
        sums[f"pe_{field}"] = grid.gsum(np.where(keep, pe, 0.0))
    if snap is not None:
        sums = {k: np.add.reduceat(v, snap) for k, v in sums.items()}
    sums["pcr_oi"] = _ratio(sums["pe_oi"], sums["ce_oi"])
    sums["pcr_volume"] = _ratio(sums["pe_volume"], sums["ce_volume"])
    return sums


def pcr(
    chain: pd.DataFrame,
    *,
    window_strikes: int | None = None,
    window_pct: float | None = None,
    by: Literal["expiry", "underlying"] = "expiry",
) -> pd.DataFrame:
    """Put-call ratio of open interest and of traded volume.

    Parameters
    ----------
    chain
        Canonical option-chain frame.
    window_strikes
        Keep only the strike nearest the spot and this many listed strikes either side.
    window_pct
        Keep only strikes within +/- this percent of the spot (if ``window_strikes`` is
        ``None``). With both ``None`` (default) every strike counts.
    by
        ``"expiry"``: one row per expiry; ``"underlying"``: all expiries of a snapshot
        pooled (one row per underlying and snapshot, no ``expiry`` column).

    Returns
    -------
    pandas.DataFrame
        Keys, ``provider``, ``spot``, ``ce_oi, pe_oi, ce_volume, pe_volume`` and
        ``pcr_oi = pe_oi / ce_oi``, ``pcr_volume = pe_volume / ce_volume`` (NaN where
        the call total is zero).

    Notes
    -----
    PCR(OI) = sum of put OI / sum of call OI over the chosen strikes. Over all strikes of
    the nearest expiry it equals NSE's ``filtered.PE.totOI / filtered.CE.totOI``.
    """
    grid = build_grid(chain)
    if by == "expiry":
        return group_frame(grid, {"spot": grid.spot, **_pcr_cols(grid, window_strikes, window_pct)})
    if by != "underlying":
        raise ValueError(f"by must be 'expiry' or 'underlying'; got {by!r}")
    snap = grid.snapshot_starts()
    cols = _pcr_cols(grid, window_strikes, window_pct, snap)
    return group_frame(grid, {"spot": grid.spot[snap], **cols}, snap, drop_expiry=True)


def _payout_curve(grid: StrikeGrid) -> FloatArray:
    """Total intrinsic payout to holders if the expiry settled at each listed strike.

    Notes
    -----
    With strikes ``K_1 < ... < K_n`` of one expiry and settlement at ``K_j``:
    ``payout_j = sum_i c_i max(K_j - K_i, 0) + sum_i p_i max(K_i - K_j, 0)``
    ``= K_j C_j - CK_j + (PK_total - PK_{j-1}) - K_j (P_total - P_{j-1})``
    where ``C_j, CK_j`` are running sums of call OI and call OI x strike, and ``P, PK``
    the same for puts: O(n) per expiry through grouped cumulative sums.
    """
    ce_oi, pe_oi = (np.nan_to_num(a, nan=0.0) for a in grid.side("oi"))
    # payouts depend on strike differences only: measuring strikes from each group's
    # lowest keeps the running sums small (less cancellation)
    k = grid.strike - grid.strike[grid.starts][grid.group]

    def gcumsum(x: FloatArray) -> FloatArray:
        c = np.cumsum(x)
        before = np.concatenate(([0.0], c))[grid.starts]
        return c - before[grid.group]

    c_cum, ck_cum = gcumsum(ce_oi), gcumsum(ce_oi * k)
    p_cum, pk_cum = gcumsum(pe_oi), gcumsum(pe_oi * k)
    p_tot, pk_tot = grid.gsum(pe_oi)[grid.group], grid.gsum(pe_oi * k)[grid.group]
    p_below, pk_below = p_cum - pe_oi, pk_cum - pe_oi * k
    calls = k * c_cum - ck_cum
    puts = (pk_tot - pk_below) - k * (p_tot - p_below)
    return np.maximum(calls + puts, 0.0)


def _max_pain_cols(grid: StrikeGrid) -> dict[str, FloatArray]:
    payout = _payout_curve(grid)
    best = grid.first_min(payout)  # strikes ascend, so ties go to the lowest strike
    ce_oi, pe_oi = grid.side("oi")
    total_oi = grid.gsum(ce_oi) + grid.gsum(pe_oi)
    mp = np.where(total_oi > 0, grid.strike[best], np.nan)
    return {
        "max_pain": mp,
        "payout_at_max_pain": np.where(total_oi > 0, payout[best], np.nan),
        "distance_pct": (mp / grid.spot - 1.0) * 100.0,
    }


def max_pain(chain: pd.DataFrame) -> pd.DataFrame:
    """Max-pain strike of every expiry: the settlement minimising holders' payout.

    Returns
    -------
    pandas.DataFrame
        Keys, ``provider``, ``spot``, ``max_pain`` (a listed strike; NaN when the
        expiry has no OI), ``payout_at_max_pain`` (in OI units x price) and
        ``distance_pct = (max_pain / spot - 1) * 100``.

    Notes
    -----
    ``max_pain = argmin_j sum_i [c_i (K_j - K_i)^+ + p_i (K_i - K_j)^+]`` over listed
    strikes ``K_j`` (ties go to the lowest strike). The payout is piecewise linear in
    the settlement price with kinks only at listed strikes, so the minimum over all
    prices is attained at a listed strike.

    Examples
    --------
    Calls 100 @ K=100, puts 100 @ K=110 and 50 @ K=90: settling at 100 pays
    100 x 10 (puts at 110) = 1000, at 110 pays 100 x 10 = 1000, at 90 pays 100 x 20 =
    2000, so the lowest of the tied strikes, 100, is the max pain.
    """
    grid = build_grid(chain)
    return group_frame(grid, {"spot": grid.spot, **_max_pain_cols(grid)})


def _concentration_cols(grid: StrikeGrid, top_n: int) -> dict[str, FloatArray]:
    cols: dict[str, FloatArray] = {}
    for name, oi in zip(("ce", "pe", "total"), (*grid.side("oi"), None), strict=True):
        if oi is None:
            oi = np.nan_to_num(grid.ce["oi"]) + np.nan_to_num(grid.pe["oi"])
        oi = np.nan_to_num(oi, nan=0.0)
        total = grid.gsum(oi)
        share = _ratio(oi, total[grid.group])
        order = np.lexsort((-oi, grid.group))
        rank = np.empty(len(oi), dtype=np.int64)
        rank[order] = np.arange(len(oi)) - grid.starts[grid.group[order]]
        cols[f"{name}_top_share"] = _ratio(grid.gsum(np.where(rank < top_n, oi, 0.0)), total)
        hhi = grid.gsum(np.nan_to_num(share) ** 2)
        cols[f"{name}_hhi"] = np.where(total > 0, hhi, np.nan)
        cols[f"{name}_effective_strikes"] = _ratio(np.ones_like(hhi), cols[f"{name}_hhi"])
    return cols


def oi_concentration(chain: pd.DataFrame, *, top_n: int = 5) -> pd.DataFrame:
    """How concentrated open interest is across strikes, per expiry and side.

    Returns
    -------
    pandas.DataFrame
        Keys, ``provider`` and for each of ``ce``, ``pe``, ``total`` (calls + puts per
        strike): ``*_top_share`` (share of OI in the ``top_n`` largest strikes),
        ``*_hhi`` (Herfindahl-Hirschman index on a 0-1 scale) and
        ``*_effective_strikes = 1 / hhi``.

    Notes
    -----
    With ``s_i = OI_i / sum OI``: ``HHI = sum s_i^2`` (1 when all OI sits on one strike,
    ``1/n`` when spread evenly over ``n``), the index the US DoJ uses for market
    concentration (there on a 0-10000 scale).
    """
    if top_n < 1:
        raise ValueError(f"top_n must be >= 1; got {top_n}")
    grid = build_grid(chain)
    return group_frame(grid, _concentration_cols(grid, top_n))


def oi_change_by_strike(chain: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Open interest and its change per strike, calls and puts side by side.

    Parameters
    ----------
    chain
        Current snapshot(s).
    previous
        Optional earlier snapshot of the same underlyings/expiries. When given, the
        change is ``oi - previous oi`` per contract (a contract absent before counts
        from 0); otherwise the exchange's ``oi_change`` column is used (NSE reports
        the change since the previous day's close).

    Returns
    -------
    pandas.DataFrame
        One row per (underlying, snapshot_ts, expiry, strike): ``ce_oi, pe_oi,
        ce_oi_change, pe_oi_change, net_oi_change = pe_oi_change - ce_oi_change``.
    """
    grid = build_grid(chain)
    ce_oi, pe_oi = grid.side("oi")
    if previous is None:
        ce_chg, pe_chg = grid.side("oi_change")
    else:
        ce_prev, pe_prev = _previous_oi(grid, build_grid(previous))
        ce_chg, pe_chg = ce_oi - ce_prev, pe_oi - pe_prev
    return grid.frame(
        ce_oi=ce_oi,
        pe_oi=pe_oi,
        ce_oi_change=ce_chg,
        pe_oi_change=pe_chg,
        net_oi_change=pe_chg - ce_chg,
    )


def _previous_oi(grid: StrikeGrid, prev: StrikeGrid) -> tuple[FloatArray, FloatArray]:
    """Previous OI aligned on ``grid``'s strike rows by (underlying, expiry, strike)."""
    rows = align_rows(grid, prev)
    found = rows >= 0
    out = []
    for arr in prev.side("oi"):
        vals = np.where(found, np.nan_to_num(arr, nan=0.0)[np.maximum(rows, 0)], 0.0)
        out.append(vals)
    return out[0], out[1]


def _walls_cols(grid: StrikeGrid) -> dict[str, FloatArray]:
    ce_oi, pe_oi = (np.nan_to_num(a, nan=0.0) for a in grid.side("oi"))
    spot = grid.spot[grid.group]
    cols: dict[str, FloatArray] = {}
    for name, oi, side_mask in (
        ("support", pe_oi, grid.strike <= spot),
        ("resistance", ce_oi, grid.strike >= spot),
    ):
        masked = np.where(side_mask, oi, -1.0)
        picks = grid.top_k(masked, 2)
        top, second = picks[:, 0], picks[:, 1]
        found = masked[top] > 0
        cols[name] = np.where(found, grid.strike[top], np.nan)
        cols[f"{name}_oi"] = np.where(found, oi[top], np.nan)
        cols[f"{name}_share"] = np.where(found, _ratio(oi[top], grid.gsum(oi)), np.nan)
        runner = np.where(second >= 0, np.maximum(masked[np.maximum(second, 0)], 0.0), 0.0)
        cols[f"{name}_dominance"] = np.where(found, _ratio(oi[top], oi[top] + runner), np.nan)
    return cols


def support_resistance(chain: pd.DataFrame) -> pd.DataFrame:
    """Support and resistance from open-interest walls, per expiry.

    Returns
    -------
    pandas.DataFrame
        Keys, ``provider``, ``spot``; ``support`` = strike at or below the spot with the
        largest put OI, ``resistance`` = strike at or above the spot with the largest
        call OI; for each, ``*_oi``, ``*_share`` (that OI over all put / call OI of the
        expiry) and ``*_dominance = OI_wall / (OI_wall + OI_runner_up)`` (0.5 = a tie
        with the next strike on that side, -> 1 = a lone wall). NaN when no OI.

    Notes
    -----
    Put writers defend the strikes where they are heavily short (their loss starts
    below the strike), so the largest put OI under the market reads as support; the
    largest call OI above it as resistance (standard Indian OI analysis).
    """
    grid = build_grid(chain)
    return group_frame(grid, {"spot": grid.spot, **_walls_cols(grid)})
