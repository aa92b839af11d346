"""Recorded real days as a :class:`~optionsintel.providers.base.BackfillSource`.

A replayed day is the recorded NSE snapshot(s) of that day, seen from the end of the
day (23:59 IST) so every snapshot of the day is known; underlyings without a recording
that day are skipped and named in the notes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from optionsintel.providers.base import DaySnapshots, NoDataError
from optionsintel.providers.replay import ReplayProvider
from optionsintel.providers.replay_files import PROVIDER
from optionsintel.tz import EXCHANGE_TZ

_END_OF_DAY = dt.time(23, 59)


class ReplayBackfill:
    """Past days from the recorded data (provider ``replay``).

    Parameters
    ----------
    data_dir
        Folder with ``nse/`` and ``market/`` subfolders; default the packaged recordings.
    """

    name = PROVIDER
    regular_cadence = False  # recordings are sparse: no interval grid to check gaps on

    def __init__(self, data_dir: str | Path | None = None) -> None:
        self.data_dir = data_dir

    def __repr__(self) -> str:
        return f"ReplayBackfill(data_dir={self.data_dir!r})"

    def _at_end_of(self, day: dt.date) -> tuple[ReplayProvider, pd.Timestamp]:
        end = pd.Timestamp(dt.datetime.combine(day, _END_OF_DAY), tz=EXCHANGE_TZ)
        return ReplayProvider(clock=end.to_pydatetime, data_dir=self.data_dir), end

    def trading_days_available(self, underlying: str) -> list[dt.date]:
        """Days with a recorded option-chain snapshot of ``underlying``."""
        return ReplayProvider(data_dir=self.data_dir).recorded_days(underlying)

    def day_snapshots(
        self, day: dt.date, underlyings: Sequence[str], interval_seconds: int
    ) -> DaySnapshots:
        """The recorded snapshot of each underlying on ``day`` (``interval_seconds`` unused).

        Raises
        ------
        NoDataError
            When none of ``underlyings`` has a recorded snapshot that day.
        """
        provider, _ = self._at_end_of(day)
        quotes, chains, notes = [], [], []
        for name in underlyings:
            if day not in provider.recorded_days(name):
                notes.append(f"replay has no {name} snapshot on {day}")
                continue
            snap = provider.snapshot(name)
            quotes.append(snap.quote)
            chains.append(snap.chain)
        if not chains:
            raise NoDataError(
                f"replay has no recorded chain of {list(underlyings)} on {day}", provider=PROVIDER
            )
        return DaySnapshots(
            pd.concat(quotes, ignore_index=True), pd.concat(chains, ignore_index=True),
            requests=len(chains), notes=notes,
        )  # fmt: skip

    def daily_candles(self, underlying: str, day: dt.date) -> pd.DataFrame:
        """The recorded ``1d`` bar of ``day`` (NSE layout first, then yfinance, Yahoo).

        Raises
        ------
        NoDataError
            If no daily bar of ``underlying`` is recorded that day.
        """
        provider, end = self._at_end_of(day)
        start = pd.Timestamp(day, tz=EXCHANGE_TZ).tz_convert("UTC")
        return provider.get_candles(
            underlying, "1d", start.to_pydatetime(), end.tz_convert("UTC").to_pydatetime()
        )
