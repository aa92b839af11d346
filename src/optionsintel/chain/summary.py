"""One-row-per-expiry headline figures of option chains (the daily option-OI summary)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optionsintel.chain._grid import build_grid, group_frame
from optionsintel.chain.config import DEFAULT_CHAIN_CONFIG, ChainConfig
from optionsintel.chain.gamma import _flip_scan, _gex_cols
from optionsintel.chain.oi import _concentration_cols, _max_pain_cols, _pcr_cols, _walls_cols
from optionsintel.chain.vol import _atm_cols, _straddle_cols


def chain_summary(chain: pd.DataFrame, config: ChainConfig = DEFAULT_CHAIN_CONFIG) -> pd.DataFrame:
    """Headline figures of every (underlying, snapshot_ts, expiry) in ``chain``.

    Parameters
    ----------
    chain
        Canonical option-chain frame (any number of underlyings, snapshots, expiries).
    config
        Window, positioning, rate and grid settings.

    Returns
    -------
    pandas.DataFrame
        Keys, ``provider, spot``; ``ce_oi, pe_oi, ce_volume, pe_volume, pcr_oi,
        pcr_volume`` (all strikes) and ``pcr_oi_ntm`` (near-the-money window);
        ``max_pain, max_pain_distance_pct``; ``forward, days_to_expiry, atm_strike,
        atm_iv``; ``straddle, expected_move, expected_move_pct``; ``support,
        support_oi, resistance, resistance_oi``; ``oi_top_share, oi_hhi`` (calls + puts
        per strike); ``net_gex`` of the expiry and, per snapshot (repeated on its
        expiries), ``total_gex, gamma_flip_level, gex_regime``. Definitions are those
        of the individual functions of :mod:`optionsintel.chain`.
    """
    grid = build_grid(chain)
    cols: dict[str, object] = {"spot": grid.spot}
    cols.update(_pcr_cols(grid, None, None))
    cols["pcr_oi_ntm"] = _pcr_cols(grid, config.window_strikes, config.window_pct)["pcr_oi"]
    mp = _max_pain_cols(grid)
    cols["max_pain"], cols["max_pain_distance_pct"] = mp["max_pain"], mp["distance_pct"]
    atm = _atm_cols(grid, config.rate)
    for c in ("forward", "days_to_expiry", "atm_strike", "atm_iv"):
        cols[c] = atm[c]
    strad = _straddle_cols(grid, config.rate)
    for c in ("straddle", "expected_move", "expected_move_pct"):
        cols[c] = strad[c]
    walls = _walls_cols(grid)
    for c in ("support", "support_oi", "resistance", "resistance_oi"):
        cols[c] = walls[c]
    conc = _concentration_cols(grid, config.top_n)
    cols["oi_top_share"], cols["oi_hhi"] = conc["total_top_share"], conc["total_hhi"]
    cols["net_gex"] = grid.gsum(_gex_cols(grid, config)["net_gex"])
    scan = _flip_scan(grid, config)
    owner = np.searchsorted(scan["snap"], np.arange(grid.n_groups), side="right") - 1
    net = scan["net_gex"]
    cols["total_gex"] = net[owner]
    cols["gamma_flip_level"] = (grid.spot[scan["snap"]] * (1.0 + scan["flip_x"]))[owner]
    cols["gex_regime"] = np.select([net > 0, net < 0], ["positive", "negative"], "flat")[owner]
    return group_frame(grid, cols)
