"""One trading day of the synthetic market: ticks, quotes and lazily priced chain snapshots.

Everything that is fixed for the day (path, contract grid, OI states at the previous
and the current close, day volumes) is computed once in :class:`DayChains`; snapshots
are then priced in blocks of ticks with numpy broadcasting (ticks x contracts), so a
full day of 15-second snapshots never has to sit in memory at once.

Random draws that vary per snapshot (last-trade offsets, order-book quantities) come
from ``SeedSequence([seed, uid, date_ordinal, 5, tick_position])``, so a snapshot is the
same whichever block or order it is generated in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from optionsintel.calendar import session_bounds
from optionsintel.synthetic import calibration as cal
from optionsintel.synthetic import oi as oi_model
from optionsintel.synthetic.chain import chain_frame, contract_grid, price_block, quote_prices
from optionsintel.synthetic.quotes import quotes_frame, tick_positions
from optionsintel.synthetic.underlying import (
    _intraday,
    _previous_trading_day,
    _require_trading_day,
    _seed_sequence,
    daily_path,
)

FloatArray = npt.NDArray[np.float64]
_SECONDS_PER_YEAR = 365.0 * 86400.0


class DayChains:
    """Chain snapshots of one underlying on one trading day.

    Parameters
    ----------
    underlying
        ``NIFTY``, ``BANKNIFTY`` or ``FINNIFTY``.
    day
        A trading day.
    seed
        Market seed.
    interval_seconds
        Spacing of the snapshots, a multiple of 15 (the close is always included).

    Raises
    ------
    optionsintel.errors.CalendarError
        If ``day`` is not a trading day.
    """

    def __init__(self, underlying: str, day: dt.date, seed: int = 0, interval_seconds: int = 15):
        self.underlying = underlying.upper()
        self.params = cal.underlying_params(self.underlying)
        self.day = pd.Timestamp(day).date()
        self.seed = int(seed)
        _require_trading_day(self.day)
        prev_day = _previous_trading_day(self.day)
        self.path = _intraday(self.underlying, self.day, prev_day, self.seed)
        self.positions = tick_positions(self.path.ts.size, interval_seconds)
        daily = daily_path(self.underlying, self.seed)
        i, prev_i = daily.locate([np.datetime64(self.day, "D"), np.datetime64(prev_day, "D")])
        centres = oi_model.oi_centres(self.underlying, self.seed)
        self._centre, self._prev_centre = float(centres[i]), float(centres[prev_i])
        self.short_vol = self.path.vol * self.params.implied_premium
        self.long_vol = self.params.vol_long * self.params.implied_premium
        open_utc = pd.Timestamp(self.path.ts[0]).tz_localize("UTC")
        self.grid = contract_grid(
            self.underlying, self.day, open_utc, self.path.prev_close, self.short_vol
        )
        self._init_oi(prev_day)

    def _init_oi(self, prev_day: dt.date) -> None:
        g, p = self.grid, self.params
        listed = self._on_previous_grid(prev_day)
        common = (self.seed, g.expiry_ordinal, g.strike, g.is_call, g.monthly)
        dte = g.days_to_expiry(self.day)
        self._close_state = oi_model.oi_state(
            self.underlying, common[0], self.day.toordinal(), dte, *common[1:],
            np.ones(g.size, bool), g.step, self._centre,
        )  # fmt: skip
        self._prev_state = oi_model.oi_state(
            self.underlying, common[0], prev_day.toordinal(), g.days_to_expiry(prev_day),
            *common[1:], listed, g.step, self._prev_centre,
        )  # fmt: skip
        self._bump = oi_model.round_bump(g.strike, p.round_strike)
        self.prev_oi = oi_model.eod_open_interest(
            self._prev_state, self._prev_centre, g.strike, g.is_call, self._bump
        )
        close_oi = oi_model.eod_open_interest(
            self._close_state, self._centre, g.strike, g.is_call, self._bump
        )
        rng = np.random.default_rng(_seed_sequence(self.seed, p.uid, self.day.toordinal(), 4))
        k = np.log(g.strike / self._centre)
        expected = oi_model.day_volume(close_oi, dte, k, self._close_state.width)
        self.day_volume = np.rint(expected * np.exp(0.3 * rng.standard_normal(g.size) - 0.045))

    def _on_previous_grid(self, prev_day: dt.date) -> npt.NDArray[np.bool_]:
        """Which of today's contracts were listed (same expiry and strike) on ``prev_day``.

        Contracts that are new today (new expiry, or a strike added as the grid moved
        with the index) start from zero OI, so their ``oi_change`` is their whole OI.
        """
        before = _previous_trading_day(prev_day)
        daily = daily_path(self.underlying, self.seed)
        i, j = daily.locate([np.datetime64(prev_day, "D"), np.datetime64(before, "D")])
        open_utc = pd.Timestamp(session_bounds(prev_day)[0])
        short = float(daily.vol[i]) * self.params.implied_premium
        prev = contract_grid(self.underlying, prev_day, open_utc, float(daily.close[j]), short)
        key = self.grid.expiry.astype(np.int64) * 10_000_000 + np.rint(self.grid.strike).astype(
            np.int64
        )
        prev_key = prev.expiry.astype(np.int64) * 10_000_000 + np.rint(prev.strike).astype(np.int64)
        return np.isin(key, prev_key)

    @property
    def n_snapshots(self) -> int:
        """Number of snapshots of the day."""
        return int(self.positions.size)

    @property
    def snapshot_ts(self) -> pd.DatetimeIndex:
        """UTC instants of the snapshots."""
        return pd.DatetimeIndex(self.path.ts[self.positions]).tz_localize("UTC")

    def quotes(self) -> pd.DataFrame:
        """Underlying quote at every snapshot (canonical quote frame)."""
        return quotes_frame(self.underlying, self.path, self.positions)

    def _tick_draws(self, pos: npt.NDArray[np.intp]) -> tuple[FloatArray, FloatArray, FloatArray]:
        n_c = self.grid.size
        u, bq, aq = (np.empty((pos.size, n_c)) for _ in range(3))
        for row, tick in enumerate(pos):  # one seeded draw per snapshot, vectorised over contracts
            rng = np.random.default_rng(
                _seed_sequence(self.seed, self.params.uid, self.day.toordinal(), 5, int(tick))
            )
            u[row], bq[row], aq[row] = rng.uniform(-1.0, 1.0, n_c), *rng.exponential(1.0, (2, n_c))
        return u, bq, aq

    def frame(self, snapshots: Sequence[int] | slice | npt.NDArray[np.intp]) -> pd.DataFrame:
        """Canonical chain rows of the selected snapshots (indices into :attr:`snapshot_ts`)."""
        pos = np.atleast_1d(self.positions[snapshots])
        path, g = self.path, self.grid
        spot, f = path.spot[pos], path.activity[pos]
        elapsed = (path.ts[pos] - path.ts[0]).astype("timedelta64[ns]").astype(np.float64)
        short = self.short_vol * np.exp(-cal.SPOT_VOL_BETA * np.log(spot / path.spot[0]))
        cols = price_block(
            g, spot, elapsed / 1e9 / _SECONDS_PER_YEAR, short, self.long_vol,
            self.params.dividend_yield,
        )  # fmt: skip
        oi = oi_model.open_interest(
            self._prev_state, self._close_state, f, spot, self._prev_centre, g.strike, g.is_call,
            self._bump,
        )  # fmt: skip
        volume = np.rint(self.day_volume[None, :] * f[:, None])
        u, bq, aq = self._tick_draws(pos)
        bid, ask, ltp = quote_prices(cols["theo"], self.day_volume[None, :], u)
        depth = 1.0 + np.sqrt(self.day_volume[None, :]) / 20.0
        cols.update(
            ltp=ltp, bid=bid, ask=ask, volume=volume, oi=oi, oi_change=oi - self.prev_oi,
            bid_qty=np.where(np.isnan(bid), np.nan, g.lot * np.ceil(bq * depth)),
            ask_qty=g.lot * np.ceil(aq * depth),
        )  # fmt: skip
        return chain_frame(self.underlying, g, path.ts[pos], spot, cols)

    def snapshot(self, index: int) -> pd.DataFrame:
        """Chain of one snapshot (``-1`` is the close)."""
        return self.frame([int(np.arange(self.n_snapshots)[index])])

    def eod(self) -> pd.DataFrame:
        """End-of-day chain (the 15:30 snapshot)."""
        return self.snapshot(-1)

    def iter_frames(self, batch_size: int = 50) -> Iterator[pd.DataFrame]:
        """Yield the day's chain rows in blocks of ``batch_size`` snapshots."""
        for start in range(0, self.n_snapshots, batch_size):
            yield self.frame(slice(start, start + batch_size))


class SyntheticDay(NamedTuple):
    """Result of :func:`generate_day`: ``quotes, chains = generate_day(...)``.

    ``quotes`` holds every snapshot of every underlying; ``chains`` maps each
    underlying to its :class:`DayChains` (price snapshots on demand).
    """

    quotes: pd.DataFrame
    chains: dict[str, DayChains]

    def snapshot(self, index: int) -> pd.DataFrame:
        """Chains of all underlyings at one snapshot index."""
        return pd.concat([c.snapshot(index) for c in self.chains.values()], ignore_index=True)

    def iter_frames(self, batch_size: int = 50) -> Iterator[pd.DataFrame]:
        """Yield blocks of ``batch_size`` snapshots, all underlyings, in time order."""
        n = min(c.n_snapshots for c in self.chains.values())
        for start in range(0, n, batch_size):
            sl = slice(start, start + batch_size)
            frames = [c.frame(sl) for c in self.chains.values()]
            yield pd.concat(frames, ignore_index=True).sort_values("snapshot_ts", kind="stable")


def generate_day(
    underlyings: Sequence[str] | str = ("NIFTY", "BANKNIFTY", "FINNIFTY"),
    date: dt.date | str | None = None,
    interval_seconds: int = 15,
    seed: int = 0,
) -> SyntheticDay:
    """Generate one trading day of quotes and (lazily priced) option-chain snapshots.

    Parameters
    ----------
    underlyings
        Index names (or one name).
    date
        Trading day (required).
    interval_seconds
        Snapshot spacing, a multiple of 15 seconds; 15 gives 1,501 snapshots
        (09:15:00 to 15:30:00 IST, both ends included).
    seed
        Market seed; same seed and date give identical frames in any process.

    Returns
    -------
    SyntheticDay
        ``(quotes, chains)``; see :class:`SyntheticDay` and :class:`DayChains`.

    Raises
    ------
    ValueError
        If ``date`` is missing or ``interval_seconds`` is not a multiple of 15.
    optionsintel.errors.CalendarError
        If ``date`` is not a trading day.
    """
    if date is None:
        raise ValueError("generate_day needs a date (a trading day)")
    names = [underlyings] if isinstance(underlyings, str) else list(underlyings)
    chains = {
        n.upper(): DayChains(n, pd.Timestamp(date).date(), seed, interval_seconds) for n in names
    }
    quotes = pd.concat([c.quotes() for c in chains.values()], ignore_index=True)
    return SyntheticDay(quotes.sort_values("snapshot_ts", kind="stable", ignore_index=True), chains)


def generate_eod_chain(underlying: str, date: dt.date | str, seed: int = 0) -> pd.DataFrame:
    """End-of-day (15:30 IST) chain of ``underlying`` on trading day ``date``."""
    return DayChains(underlying, pd.Timestamp(date).date(), seed, interval_seconds=15).eod()
