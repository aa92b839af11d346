"""The option chain laid out as traders read it: calls | strike | puts (pure pandas).

:func:`trader_chain` turns one expiry of a canonical chain into one row per strike with
call and put fields side by side plus display flags; :func:`chain_html` renders it as
an HTML table (ATM row marked, in-the-money side shaded, large OI highlighted).
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from optionsintel.ui import theme

FIELDS = ("oi", "oi_change", "volume", "iv", "ltp", "delta")
HEADERS = {"oi": "OI", "oi_change": "OI chg", "volume": "Volume", "iv": "IV", "ltp": "LTP",
           "delta": "Delta"}  # fmt: skip
_DECIMALS: dict[str, int | None] = {
    "oi": 0,
    "oi_change": 0,
    "volume": 0,
    "iv": 2,
    "ltp": None,
    "delta": 3,
}  # ltp: the viewer's decimals


def trader_chain(
    chain: pd.DataFrame,
    spot: float | None = None,
    strikes_each_side: int | None = 15,
    big_oi_quantile: float = 0.9,
) -> pd.DataFrame:
    """One expiry's chain as ``ce_<field> | strike | pe_<field>`` rows with display flags.

    Parameters
    ----------
    chain
        Canonical chain rows of ONE expiry and one snapshot.
    spot
        Underlying price (default: the chain's median ``underlying_price``).
    strikes_each_side
        Strikes kept below and above the ATM strike (None = all).
    big_oi_quantile
        A side's OI at or above this quantile of that side's OI is flagged ``big``.

    Returns
    -------
    pandas.DataFrame
        ``strike``, ``ce_*`` and ``pe_*`` for :data:`FIELDS`, ``is_atm`` (strike nearest
        the spot), ``ce_itm`` (strike < spot), ``pe_itm`` (strike > spot),
        ``ce_big_oi``, ``pe_big_oi``; sorted by strike.
    """
    if chain.empty:
        return pd.DataFrame(columns=["strike", *_side_cols("ce"), *_side_cols("pe"), "is_atm"])
    wide = chain.pivot_table(index="strike", columns="option_type", values=list(FIELDS),
                             aggfunc="last", dropna=False)  # fmt: skip
    out = pd.DataFrame({"strike": wide.index.to_numpy(float)})
    for side in ("CE", "PE"):
        for f in FIELDS:
            col = (f, side)
            vals = wide[col].to_numpy(float) if col in wide.columns else np.nan
            out[f"{side.lower()}_{f}"] = vals
    if spot is None or not np.isfinite(spot):
        spot = float(np.nanmedian(chain["underlying_price"].to_numpy(float)))
    k = out["strike"].to_numpy()
    atm = int(np.nanargmin(np.abs(k - spot))) if np.isfinite(spot) else len(k) // 2
    out["is_atm"] = np.arange(len(k)) == atm
    out["ce_itm"], out["pe_itm"] = k < spot, k > spot
    for side in ("ce", "pe"):
        oi = out[f"{side}_oi"].to_numpy(float)
        cut = np.nanquantile(oi, big_oi_quantile) if np.isfinite(oi).any() else np.inf
        out[f"{side}_big_oi"] = np.nan_to_num(oi, nan=-1.0) >= max(cut, 1e-12)
    if strikes_each_side is not None:
        out = out.iloc[max(atm - strikes_each_side, 0) : atm + strikes_each_side + 1]
    return out.reset_index(drop=True)


def _side_cols(side: str) -> list[str]:
    return [f"{side}_{f}" for f in FIELDS]


def _fmt(values: pd.Series, decimals: int | None, signed: bool = False) -> pd.Series:
    """The viewer's grouping (lakh/crore or international) and decimals, or '–'.

    ``decimals=None`` (prices) follows the viewer's decimals setting; counts keep theirs.
    """
    arr = values.to_numpy(float)
    text = [theme.fmt(v, decimals, signed=signed) for v in arr]
    return pd.Series(text, index=values.index)


def _cells(frame: pd.DataFrame, side: str) -> list[pd.Series]:
    fields = FIELDS if side == "ce" else FIELDS[::-1]
    cells = []
    for f in fields:
        text = _fmt(frame[f"{side}_{f}"], _DECIMALS[f], signed=f == "oi_change")
        cls = pd.Series(f"{side} {f}", index=frame.index)
        cls = cls.where(~frame[f"{side}_itm"], cls + " itm")
        if f == "oi":
            cls = cls.where(~frame[f"{side}_big_oi"], cls + " big")
        if f == "oi_change":
            chg = frame[f"{side}_oi_change"].to_numpy(float)
            cls = cls + np.where(chg > 0, " up", np.where(chg < 0, " down", ""))
        cells.append('<td class="' + cls + '">' + text + "</td>")
    return cells


def chain_html(frame: pd.DataFrame, caption: str = "") -> str:
    """Render :func:`trader_chain` output as an HTML table (class ``oi-chain``)."""
    head_ce = "".join(f"<th>{HEADERS[f]}</th>" for f in FIELDS)
    head_pe = "".join(f"<th>{HEADERS[f]}</th>" for f in FIELDS[::-1])
    header = (
        f'<tr class="sides"><th colspan="{len(FIELDS)}">CALLS</th><th></th>'
        f'<th colspan="{len(FIELDS)}">PUTS</th></tr>'
        f'<tr>{head_ce}<th class="strike">Strike</th>{head_pe}</tr>'
    )
    if frame.empty:
        body = f'<tr><td colspan="{2 * len(FIELDS) + 1}">no contracts</td></tr>'
    else:
        strike = '<td class="strike">' + _fmt(frame["strike"], 0).str.replace(",", "") + "</td>"
        row_cls = pd.Series(np.where(frame["is_atm"], "chain-row atm", "chain-row"), frame.index)
        row = '<tr class="' + row_cls + '">'
        for cell in _cells(frame, "ce"):
            row = row + cell
        row = row + strike
        for cell in _cells(frame, "pe"):
            row = row + cell
        body = "".join(row + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'<div class="oi-chain-wrap"><table class="oi-chain">{cap}<thead>{header}</thead>'
        f"<tbody>{body}</tbody></table></div>"
    )
