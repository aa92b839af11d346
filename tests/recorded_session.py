"""A live-like provider over the recorded real NIFTY chains (16 July, then 17 July 2025).

Shared by the session-signals tests: until ``switch`` it serves the real NSE chain of
16 July, from then on the real chain of 17 July, each re-stamped to the session clock
(source timestamp included, so no answer is stale) with volumes growing a little on each
call (the volume history of UNUSUAL_ACTIVITY then has something to compare).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from optionsintel.providers.base import Snapshot, TransientProviderError
from optionsintel.tz import EXCHANGE_TZ

SWITCH = pd.Timestamp("2025-07-17 15:00", tz=EXCHANGE_TZ)


class RecordedDaysProvider:
    """The real 16-Jul chain, then the real 17-Jul one, as if live on ``clock``."""

    def __init__(self, clock: Callable[[], pd.Timestamp], before, after, fail_at=(), name="nse"):
        self.clock, self.before, self.after, self.calls, self.name = clock, before, after, 0, name
        self.fail_at = {pd.Timestamp(t, tz=EXCHANGE_TZ) for t in fail_at}

    def snapshot(self, underlying: str) -> Snapshot:
        now = pd.Timestamp(self.clock())
        if any(abs(now - t) < pd.Timedelta(seconds=5) for t in self.fail_at):
            raise TransientProviderError("timeout", provider=self.name)
        self.calls += 1
        parsed = self.before if now < SWITCH else self.after
        chain = parsed.chain.assign(snapshot_ts=now, exchange_ts=now, provider=self.name)
        chain["volume"] = chain["volume"] * (1 + 0.03 * self.calls)
        quote = parsed.quote.assign(snapshot_ts=now, exchange_ts=now, provider=self.name)
        return Snapshot(quote, chain)
