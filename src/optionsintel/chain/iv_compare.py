"""How far a provider's implied volatility is from the platform's own.

NSE publishes an IV per contract under conventions it does not disclose (its forward,
rate, price and time to expiry). :func:`provider_iv_gap` sets it beside the platform's
figure (:func:`optionsintel.chain.chain_iv`) and summarises the difference by moneyness.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from optionsintel.chain.vol import DEFAULT_RATE, chain_iv

#: Edges of the ``K / F`` buckets (open at both ends).
MONEYNESS_EDGES: tuple[float, ...] = (0.90, 0.95, 0.98, 1.02, 1.05, 1.10)


def _labels(edges: tuple[float, ...]) -> list[str]:
    inner = [f"{a:.2f}-{b:.2f}" for a, b in itertools.pairwise(edges)]
    return [f"<{edges[0]:.2f}", *inner, f">={edges[-1]:.2f}"]


def provider_iv_gap(
    chain: pd.DataFrame,
    *,
    rate: float = DEFAULT_RATE,
    edges: tuple[float, ...] = MONEYNESS_EDGES,
    min_days: float = 1.0,
) -> pd.DataFrame:
    """Provider IV minus the platform's IV (volatility points), by ``K / F`` bucket.

    Parameters
    ----------
    chain
        Canonical chain frame(s) carrying the provider's ``iv``.
    rate
        Rate of the platform's convention.
    edges
        Ascending ``K / F`` bucket edges.
    min_days
        Expiries closer than this many days are left out (expiry-day IVs are noise).

    Returns
    -------
    pandas.DataFrame
        One row per bucket (``moneyness``): ``contracts`` (with both figures),
        ``median_gap``, ``p90_gap`` (90th percentile of the signed gap) and
        ``p90_abs_gap`` (of its absolute value), in volatility points; a last row
        ``all`` pools the buckets.
    """
    iv = chain_iv(chain, rate=rate)
    both = iv[
        iv["iv"].notna() & iv["provider_iv"].notna() & (iv["time_to_expiry"] * 365 >= min_days)
    ]
    gap = (both["provider_iv"] - both["iv"]).to_numpy()
    k_over_f = (both["strike"] / both["forward"]).to_numpy()
    bucket = np.searchsorted(np.asarray(edges), k_over_f, side="right")
    labels = np.asarray(_labels(edges), dtype=object)
    rows = []
    for b, name in [*enumerate(labels), (None, "all")]:
        g = gap if b is None else gap[bucket == b]
        stats = (
            (np.median(g), np.quantile(g, 0.9), np.quantile(np.abs(g), 0.9))
            if len(g)
            else (np.nan,) * 3
        )
        rows.append((name, len(g), *stats))
    return pd.DataFrame(
        rows, columns=["moneyness", "contracts", "median_gap", "p90_gap", "p90_abs_gap"]
    )
