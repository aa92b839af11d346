"""Signals on the consecutive real NIFTY chains of 16 and 17 July 2025."""

from __future__ import annotations

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
