"""``at=None`` reads the newest stored chain, however old (weekends, holidays, replay).

The recorded NSE NIFTY chain of 2025-07-16 15:30 (``nifty_0716`` fixture, provenance in
tests/data) is the only chain stored: "the chain now" must answer with it, not 404 because
no snapshot lies within a day of the wall clock.
"""

from __future__ import annotations

import pandas as pd

from optionsintel.services import market
from optionsintel.services.chain_cache import ChainViewCache


def test_chain_now_is_the_newest_stored_snapshot(clean_store, nifty_0716) -> None:
    clean_store.write("option_chain_snapshots", nifty_0716.chain.assign(provider="nse_recorded"))
    used, frame = market.chain(clean_store, "NIFTY", at=None, provider=None, expiry=None)
    assert used == "nse_recorded"
    newest = pd.Timestamp(frame["snapshot_ts"].max())
    assert newest == pd.Timestamp(nifty_0716.chain["snapshot_ts"].max())
    view = market.summary_view(clean_store, "NIFTY", at=None, provider="nse_recorded", expiry=None)
    assert view["provider"] == "nse_recorded" and view["rows"]
    body = ChainViewCache().encoded(clean_store, "summary_view", "NIFTY", at=None,
                                    provider=None, expiry=None)  # fmt: skip
    assert b'"provider":"nse_recorded"' in body
