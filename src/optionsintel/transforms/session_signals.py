"""The eight signals computed during the session, tick by tick, from what was just written.

The end-of-day ``signals`` asset compares consecutive *sampled* snapshots of a day
(:func:`~optionsintel.transforms.sampling.sample_ticks` at :data:`EOD_SAMPLE_MINUTES`: the
first stored tick of every 15-minute bucket, plus the day's last tick), each pair with the
samples before it as the volume history
(:func:`~optionsintel.transforms.derived.signals_for_snapshots`).
:class:`SessionSignals` follows the same rule as the ticks arrive, keeping the previous
sample's chain and the history in memory (nothing is read back from the store), so a row
written during the session has the key *and the values* the EOD run computes for it: the
EOD run confirms those rows and inserts none.

Cadence (``every_minutes``, the ``OPTIONSINTEL_SESSION_SIGNALS_MINUTES`` setting):

- ``15`` (default): signals at every EOD sample, i.e. the rows the EOD run writes.
- ``1``, ``3`` or ``5``: also at the first stored tick of every ``N``-minute bucket in
  between. A tick that is an EOD sample is always compared with the previous EOD sample (so
  its rows are the EOD's), any other with the previous evaluated tick; the history is the
  samples before the compared snapshot, as at EOD.
- ``0``: every tick, with the same rule (sample ticks against the previous sample, other
  ticks against the tick before them).

Rows between samples are the session's own (the EOD run never writes those instants). One
corner: when the close tick is lost, the day's last tick becomes an EOD sample after it was
evaluated against its predecessor; :meth:`SessionSignals.finish` rewrites its rows, and a
signal type that fired only in the first comparison stays (rows are never withdrawn).

State is kept per provider (a failover chain may answer from two sources in a day; the
EOD run reads one provider at a time), and only advances once the tick's write succeeded
(:meth:`SessionSignals.advance`). A restarted collector first rebuilds it from the day's
stored samples (one read at start-up,
:func:`optionsintel.services.pipeline_reads.read_session_samples`, then
:meth:`SessionSignals.resume`), so its rows still equal the EOD's; the day's
last tick, a sample for the EOD run when it is not the first of its bucket (e.g. the
close tick failed), is evaluated by :meth:`SessionSignals.finish` at the session's end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optionsintel.errors import ConfigurationError
from optionsintel.signals import DEFAULT_SIGNAL_CONFIG, SignalConfig, detect_signals
from optionsintel.transforms.derived import signals_to_rows

__all__ = [
    "EOD_SAMPLE_MINUTES",
    "SESSION_CADENCES",
    "SessionSignals",
    "SignalStep",
]

#: Sample spacing of the end-of-day ``signals`` asset (and the session's default cadence).
EOD_SAMPLE_MINUTES = 15
#: Allowed cadences in minutes: 0 (every tick) or a divisor of :data:`EOD_SAMPLE_MINUTES`.
SESSION_CADENCES = (0, 1, 3, 5, 15)
#: How UNUSUAL_ACTIVITY's volume history identifies a contract (``history_volume``).
_HISTORY_KEYS = ["underlying", "expiry", "strike", "option_type"]


def _bucket(tick: pd.Timestamp, minutes: int) -> pd.Timestamp:
    """The ``minutes`` bucket of ``tick``, floored in UTC exactly as ``sample_ticks`` does."""
    return pd.Timestamp(tick).tz_convert("UTC").floor(f"{int(minutes)}min")


@dataclass
class _Track:
    """What one provider's signals need of the day so far."""

    sample_ts: pd.Timestamp | None = None  # the last EOD sample and its chain
    sample: pd.DataFrame | None = None
    before: pd.DataFrame | None = None  # volume totals of the samples before ``sample``
    through: pd.DataFrame | None = None  # ... and of ``sample`` too
    eval_ts: pd.Timestamp | None = None  # the last evaluated tick and its chain
    evaluated: pd.DataFrame | None = None
    last_ts: pd.Timestamp | None = None  # the last stored tick, evaluated by ``finish``
    last: pd.DataFrame | None = None
    last_is_sample: bool = True


@dataclass(frozen=True)
class SignalStep:
    """Signal rows of one tick and the state to keep once the tick is written."""

    rows: pd.DataFrame
    tracks: dict[str, _Track]


class SessionSignals:
    """Incremental signals of one collection session (see the module docstring).

    Parameters
    ----------
    every_minutes
        Cadence: ``15`` (default, the EOD samples), ``1``, ``3`` or ``5`` minutes (samples
        plus the ticks in between at that spacing), or ``0`` for every tick.
    config
        Signal thresholds (default :data:`optionsintel.signals.DEFAULT_SIGNAL_CONFIG`,
        the EOD asset's).

    Raises
    ------
    ConfigurationError
        On a cadence outside :data:`SESSION_CADENCES`.
    """

    def __init__(
        self, every_minutes: int = EOD_SAMPLE_MINUTES, config: SignalConfig | None = None
    ) -> None:
        if int(every_minutes) not in SESSION_CADENCES:
            raise ConfigurationError(
                f"session signals cadence must be one of {SESSION_CADENCES} minutes "
                f"(0 = every tick; the 15-minute samples of the EOD run are always "
                f"computed), got {every_minutes}"
            )
        self.every_minutes = int(every_minutes)
        self.config = config or DEFAULT_SIGNAL_CONFIG
        self._tracks: dict[str, _Track] = {}

    def evaluate(self, tick: pd.Timestamp, chains: pd.DataFrame) -> SignalStep:
        """Signal rows of ``tick`` from its ``chains`` (the state changes only in :meth:`advance`).

        Parameters
        ----------
        tick
            The aligned tick the chains are keyed on.
        chains
            Canonical chain rows of the tick (any underlyings and providers), as written.
        """
        tick = pd.Timestamp(tick).tz_convert("UTC")
        tracks, parts = dict(self._tracks), []
        for provider, chain in chains.groupby("provider", sort=True, observed=True):
            track = tracks.get(str(provider), _Track())
            rows, tracks[str(provider)] = self._step(track, tick, chain)
            parts.append(rows)
        rows = pd.concat(parts, ignore_index=True) if parts else signals_to_rows(None)
        return SignalStep(rows, tracks)

    def advance(self, step: SignalStep) -> None:
        """Keep the state of a tick whose write succeeded."""
        self._tracks = step.tracks

    def resume(self, samples: pd.DataFrame) -> None:
        """Rebuild the state of a restarted session from the day's stored samples.

        Parameters
        ----------
        samples
            Chain rows stored today at the first tick of each 15-minute bucket, any
            providers (:func:`read_session_samples`): read once when a collector starts,
            so a restart does not compare without the earlier history.
        """
        self._tracks = {}
        if samples is None or samples.empty:
            return
        ts = pd.to_datetime(samples["snapshot_ts"], utc=True)
        for provider, rows in samples.assign(snapshot_ts=ts).groupby("provider", sort=True):
            track = _Track()
            for tick, chain in rows.groupby("snapshot_ts", sort=True):
                track = self._step(track, pd.Timestamp(tick), chain.reset_index(drop=True))[1]
            self._tracks[str(provider)] = track

    def finish(self) -> pd.DataFrame:
        """Rows of each provider's last tick when the EOD run samples it and the session did not.

        ``sample_ticks`` adds the day's last stored tick to the samples; it is the close tick
        (the first of its bucket) unless that tick was lost.
        """
        parts = []
        for provider, track in list(self._tracks.items()):
            if track.last_is_sample or track.last is None or track.sample is None:
                continue
            rows = self._compare(track.sample, track.last, track.before)
            self._tracks[provider] = _Track(
                track.last_ts, track.last, track.through, _add(track.through, track.last)
            )
            parts.append(rows)
        return pd.concat(parts, ignore_index=True) if parts else signals_to_rows(None)

    def _step(
        self, track: _Track, tick: pd.Timestamp, chain: pd.DataFrame
    ) -> tuple[pd.DataFrame, _Track]:
        # Every 15-minute boundary is an N-minute boundary (N divides 15), so a sample is
        # always evaluated; finer cadences add evaluations between samples.
        is_sample = track.sample_ts is None or _bucket(tick, EOD_SAMPLE_MINUTES) != _bucket(
            track.sample_ts, EOD_SAMPLE_MINUTES
        )
        every = self.every_minutes
        is_eval = (
            is_sample
            or every == 0
            or track.eval_ts is None
            or _bucket(tick, every) != _bucket(track.eval_ts, every)
        )
        rows = signals_to_rows(None)
        if is_sample and track.sample is not None:
            rows = self._compare(track.sample, chain, track.before)
        elif is_eval and track.evaluated is not None and track.sample is not None:
            # the history is the samples before the compared snapshot, as at EOD
            history = track.before if track.eval_ts == track.sample_ts else track.through
            rows = self._compare(track.evaluated, chain, history)
        new = _Track(**vars(track))
        if is_sample:
            new.before, new.through = track.through, _add(track.through, chain)
            new.sample_ts, new.sample = tick, chain
        if is_eval:
            new.eval_ts, new.evaluated = tick, chain
        new.last_ts, new.last, new.last_is_sample = tick, chain, is_sample
        return rows, new

    def _compare(
        self, previous: pd.DataFrame, current: pd.DataFrame, volumes: pd.DataFrame | None
    ) -> pd.DataFrame:
        history = _as_history(volumes, str(current["provider"].iloc[0]))
        return signals_to_rows(detect_signals(previous, current, self.config, history))


def _add(volumes: pd.DataFrame | None, chain: pd.DataFrame) -> pd.DataFrame:
    """Running volume ``total`` and ``count`` per contract, with one more sampled chain.

    The totals are summed sample by sample, in the order the EOD run's history lists
    them (``np.bincount`` adds row by row from 0.0), so ``total / count`` is bit for bit
    the EOD's mean: the confidence of UNUSUAL_ACTIVITY then matches to the last digit,
    and the history costs one row per contract instead of one per contract and sample.
    """
    vol = pd.to_numeric(chain["volume"], errors="coerce").astype("float64")
    ok = np.isfinite(vol.to_numpy())
    keys = chain.loc[ok, _HISTORY_KEYS].assign(
        expiry=pd.to_datetime(chain.loc[ok, "expiry"]).dt.normalize()
    )
    new = pd.DataFrame(
        {"total": vol[ok].to_numpy(), "count": 1.0},
        index=pd.MultiIndex.from_frame(keys),
    )
    if volumes is None:
        return new
    return volumes.add(new, fill_value=0.0)


def _as_history(volumes: pd.DataFrame | None, provider: str) -> pd.DataFrame | None:
    """One history row per contract whose volume is its mean over the samples."""
    if volumes is None or volumes.empty:
        return None
    out = volumes.index.to_frame(index=False)
    out["volume"] = volumes["total"].to_numpy() / volumes["count"].to_numpy()
    out["provider"] = provider
    return out
