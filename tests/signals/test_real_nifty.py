"""Signals on the consecutive real NIFTY chains of 16 and 17 July 2025."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optionsintel.signals import detect_signals


def test_nifty_16_to_17_july_2025(nifty_0716, nifty_0717):
    """NIFTY fell 25212.05 -> 25111.45 (-0.40 %) between the two closes.

    17 July was the expiry day of the 17-Jul weekly, so at the 15:30 snapshot that
    expiry has T = 0 and is skipped; the two nearest live expiries are 24 and 31 July.
    In the 24-Jul window (25100 +/- 5 strikes) call OI more than doubled (+138 %) while
    call premiums fell ~31 %: call *writing* (short build-up), resistance being built
    at 25200-25300 -> CALL_BUILDUP, bearish. Put OI rose 61 % with put premiums up ~26 %:
    put *buying* (long build-up), also bearish -> PUT_BUILDUP with bias bearish. The
    volume rolled over from the expiring weekly makes many 24-Jul contracts trade many
    times their previous OI -> UNUSUAL_ACTIVITY. No GAMMA_SQUEEZE (the 0.4 % move is
    under the 0.5 % threshold), no MAX_PAIN (7 days to expiry > 3).
    """
    out = detect_signals(nifty_0716.chain, nifty_0717.chain)
    jul24 = out[out["expiry"] == "2025-07-24"].set_index("signal_type")
    assert {"CALL_BUILDUP", "PUT_BUILDUP", "UNUSUAL_ACTIVITY"} <= set(jul24.index)
    call = jul24.loc["CALL_BUILDUP", "supporting"]
    assert call["interpretation"] == "short_buildup" and call["bias"] == "bearish"
    assert call["oi_change_pct"] > 100 and call["premium_change_pct"] < -20
    put = jul24.loc["PUT_BUILDUP", "supporting"]
    assert put["interpretation"] == "long_buildup" and put["bias"] == "bearish"
    assert not {"GAMMA_SQUEEZE", "MAX_PAIN"} & set(out["signal_type"])
    assert set(out["expiry"].astype(str)) <= {"2025-07-24", "2025-07-31"}
    assert (out["provider"] == "nse").all()
    assert out["confidence"].between(0, 100).all()


def _later(chain, minutes: int = 15):
    out = chain.copy()
    out["snapshot_ts"] = out["snapshot_ts"] + pd.Timedelta(minutes=minutes)
    return out


def test_spot_only_move_fires_no_momentum_shift(nifty_0716):
    """Issue 11.1 reproduction: every OI, volume and price unchanged, spot -0.6 %.

    The former detector compared the PCR of the window around the old spot with the
    PCR of the window around the new one (different strikes) and fired MOMENTUM_SHIFT
    on 17-Jul and 24-Jul at confidence ~65. On the same strikes nothing changed.
    """
    p = nifty_0716.chain
    q = _later(p)
    q["underlying_price"] = q["underlying_price"] * 0.994
    assert detect_signals(p, q).empty
    q["underlying_price"] = p["underlying_price"] * 1.006
    assert detect_signals(p, q).empty


@pytest.mark.parametrize(("factor", "direction"), [(1.3, "bullish"), (0.75, "bearish")])
def test_same_strike_pcr_move_fires_in_documented_direction(nifty_0716, factor, direction):
    """Put OI within +/-300 points of 25212.05 scaled, spot and calls unchanged.

    Real window PCR(OI) of 17-Jul is 1.0524; puts x1.3 make it 1.368 (+0.316),
    puts x0.75 make it 0.789 (-0.263): both beyond ``pcr_shift`` 0.15. docs/signals.md:
    a rising PCR (puts written faster than calls) reads bullish, a falling one bearish.
    """
    p = nifty_0716.chain
    q = _later(p)
    near = (q["option_type"] == "PE") & ((q["strike"] - 25212.05).abs() <= 300)
    q.loc[near, "oi"] = q.loc[near, "oi"] * factor
    out = detect_signals(p, q)
    shift = out[out["signal_type"] == "MOMENTUM_SHIFT"]
    assert set(shift["expiry"].astype(str)) == {"2025-07-17", "2025-07-24"}
    for sup in shift["supporting"]:
        assert sup["direction"] == direction
        assert np.sign(sup["pcr_change"]) == (1 if direction == "bullish" else -1)
        assert sup["spot"] == sup["spot_prev"]
    first = shift[shift["expiry"] == "2025-07-17"].iloc[0]["supporting"]
    np.testing.assert_allclose(first["pcr_prev"], 1.0523605594, rtol=1e-9)
