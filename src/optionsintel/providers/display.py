"""Plain-text rendering of an option chain: calls | strike | puts, as on NSE's page."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optionsintel.frames import CHAIN_KEY, require_columns

_SIDE_FIELDS = ("oi", "oi_change", "volume", "iv", "ltp")
_HEAD = ("OI", "chg OI", "volume", "IV", "LTP")


def _fmt(values: pd.Series, decimals: int) -> list[str]:
    """Right-aligned text of numbers, ``-`` for NaN."""
    return ["-" if pd.isna(v) else f"{v:,.{decimals}f}" for v in values]


def format_chain_table(
    chain: pd.DataFrame,
    *,
    expiry: object | None = None,
    max_rows: int = 21,
    spot: float | None = None,
) -> str:
    """Render one expiry of a canonical chain as a calls | strike | puts text table.

    Parameters
    ----------
    chain
        Canonical option chain (:data:`~optionsintel.frames.CHAIN_COLUMNS`).
    expiry
        Expiry to show; default the nearest one in ``chain``.
    max_rows
        Number of strikes shown, centred on the strike nearest ``spot``.
    spot
        Underlying price; default the median ``underlying_price`` of the chain.

    Returns
    -------
    str
        A header line and one line per strike; columns on each side are OI, change in
        OI (contracts), volume, IV (%), LTP.
    """
    require_columns(chain, [*CHAIN_KEY, *_SIDE_FIELDS, "underlying_price"], "option chain")
    if chain.empty:
        return "(empty option chain)"
    exp = pd.Timestamp(expiry) if expiry is not None else chain["expiry"].min()
    one = chain.loc[chain["expiry"] == exp]
    wide = one.pivot_table(
        index="strike",
        columns="option_type",
        values=list(_SIDE_FIELDS),
        aggfunc="first",
        dropna=False,
    )
    strikes = wide.index.to_numpy(np.float64)
    centre = float(one["underlying_price"].median()) if spot is None else spot
    mid = int(np.argmin(np.abs(strikes - centre))) if np.isfinite(centre) else len(strikes) // 2
    lo = max(0, min(mid - max_rows // 2, len(strikes) - max_rows))
    wide = wide.iloc[lo : lo + max_rows]
    cols: list[list[str]] = []
    for side in ("CE", "PE"):
        for field in _SIDE_FIELDS:
            series = (
                wide[(field, side)]
                if (field, side) in wide
                else pd.Series(np.nan, index=wide.index)
            )
            cols.append(_fmt(series, 2 if field in ("iv", "ltp") else 0))
    strike_txt = _fmt(pd.Series(wide.index), 2 if (wide.index % 1 != 0).any() else 0)
    calls, puts = cols[:5], cols[5:]
    puts = puts[::-1]  # mirror: LTP next to the strike on both sides
    header = [*_HEAD, "STRIKE", *_HEAD[::-1]]
    table = [*calls, strike_txt, *puts]
    widths = [max(len(h), *(len(v) for v in col)) for h, col in zip(header, table, strict=True)]
    title = f"{one['underlying'].iloc[0]}  expiry {exp.date()}  spot {centre:,.2f}   CALLS | PUTS"
    lines = [title, "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    for i in range(len(strike_txt)):
        lines.append("  ".join(col[i].rjust(w) for col, w in zip(table, widths, strict=True)))
    return "\n".join(lines)
