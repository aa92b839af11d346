"""``detect_signals``: run the eight detectors over a pair of snapshots."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optionsintel.signals._pair import (
    Pair,
    _NothingToCompareError,
    build_pair,
    check_providers,
    top_rows,
)
from optionsintel.signals.config import DEFAULT_SIGNAL_CONFIG, SignalConfig, SignalType, Strength
from optionsintel.signals.detectors import (
    Found,
    gamma_squeeze,
    history_volume,
    max_pain_pull,
    momentum_shift,
    oi_flow,
    score,
)

SIGNAL_COLUMNS: tuple[str, ...] = (
    "underlying", "snapshot_ts", "expiry", "signal_type", "confidence", "strength",
    "strikes", "supporting", "provider",
)  # fmt: skip

_STRENGTHS = np.array([s.value for s in Strength], dtype=object)


def unusual_activity(pair: Pair, config: SignalConfig, history: pd.DataFrame | None) -> Found:
    """Contracts trading far more than their open interest (and their own history)."""
    grid = pair.cur
    same_day = pair.same_day[grid.group]
    hist = history_volume(pair, history)
    flags, ratios, mults, vols = [], [], [], []
    for k in (0, 1):
        now = np.nan_to_num(grid.side("volume")[k], nan=0.0)
        before = np.nan_to_num(pair.prev_side("volume", fill=0.0)[k], nan=0.0)
        interval = np.where(same_day, np.maximum(now - before, 0.0), now)
        oi_prev = pair.prev_side("oi", fill=0.0)[k]
        base = np.where(oi_prev > 0, oi_prev, np.nan_to_num(grid.side("oi")[k], nan=0.0))
        ratio = interval / np.maximum(base, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            mult = np.where(hist[k] > 0, interval / hist[k], np.nan)
        flag = (
            (ratio >= config.unusual_volume_oi_ratio)
            & (interval >= config.unusual_min_volume)
            & (np.isnan(mult) | (mult >= config.unusual_history_multiple))
        )
        flags.append(flag)
        ratios.append(np.where(flag, ratio, 0.0))
        mults.append(np.where(flag, np.nan_to_num(mult, nan=0.0), 0.0))
        vols.append(np.where(flag, interval, 0.0))
    n_flag = grid.gsum(flags[0].astype(float) + flags[1].astype(float))
    fire = pair.active & (n_flag > 0)
    row_ratio = np.maximum(ratios[0], ratios[1])
    max_ratio = np.maximum.reduceat(row_ratio, grid.starts)
    max_mult = np.maximum.reduceat(np.maximum(mults[0], mults[1]), grid.starts)
    with_hist = max_mult > 0
    conf = 100.0 * np.where(
        with_hist,
        0.5 * score(max_ratio, config.unusual_volume_oi_ratio)
        + 0.5 * score(max_mult, config.unusual_history_multiple),
        score(max_ratio, config.unusual_volume_oi_ratio),
    )
    call_vol, put_vol = grid.gsum(vols[0]), grid.gsum(vols[1])
    return Found(
        SignalType.UNUSUAL_ACTIVITY,
        fire,
        np.where(fire, conf, 0.0),
        top_rows(pair, row_ratio, row_ratio > 0, config.max_strikes),
        {
            "flagged_calls": grid.gsum(flags[0].astype(float)),
            "flagged_puts": grid.gsum(flags[1].astype(float)),
            "flagged_call_volume": call_vol,
            "flagged_put_volume": put_vol,
            "max_volume_oi_ratio": max_ratio,
            "max_history_multiple": np.where(with_hist, max_mult, np.nan),
            "tilt": np.where(call_vol >= put_vol, "call_heavy", "put_heavy"),
            "interval_volume": np.where(pair.same_day, "since_previous", "session"),
        },
    )


def _py(value: object) -> object:
    """Plain Python scalar for the supporting dicts (JSON-friendly; NaN kept as float)."""
    return value.item() if isinstance(value, np.generic) else value


def _support_dicts(support: dict[str, np.ndarray], idx: np.ndarray) -> list[dict[str, object]]:
    """One dict of plain Python scalars per fired group (converted column by column)."""
    columns = []
    for values in support.values():
        arr = np.asarray(values)[idx]
        columns.append(arr.tolist() if arr.dtype != object else [_py(v) for v in arr])
    names = list(support)
    if not names:
        return [{} for _ in idx]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _assemble(pair: Pair, found: Found, cutoffs: tuple[float, float, float]) -> pd.DataFrame:
    idx = np.flatnonzero(found.fire)
    keys = pair.cur.keys.iloc[idx]
    conf = np.clip(np.round(found.confidence[idx], 2), 0.0, 100.0)
    support = _support_dicts(found.support, idx)
    return pd.DataFrame(
        {
            "underlying": keys["underlying"].array,
            "snapshot_ts": keys["snapshot_ts"].array,
            "expiry": keys["expiry"].array,
            "signal_type": np.full(len(idx), found.signal_type.value, dtype=object),
            "confidence": conf,
            "strength": _STRENGTHS[np.searchsorted(np.asarray(cutoffs), conf, side="right")],
            "strikes": pd.Series([found.strikes[i] for i in idx], dtype=object),
            "supporting": pd.Series(support, dtype=object),
            "provider": keys["provider"].array,
        }
    )


def empty_signals() -> pd.DataFrame:
    """Return an empty frame with the signal columns."""
    return pd.DataFrame(
        {
            "underlying": pd.Series(dtype=object),
            "snapshot_ts": pd.Series(dtype="datetime64[ns, UTC]"),
            "expiry": pd.Series(dtype="datetime64[ns]"),
            **{c: pd.Series(dtype=object) for c in ("signal_type", "strength")},
            "confidence": pd.Series(dtype="float64"),
            **{c: pd.Series(dtype=object) for c in ("strikes", "supporting", "provider")},
        }
    )[list(SIGNAL_COLUMNS)]


def detect_signals(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    config: SignalConfig = DEFAULT_SIGNAL_CONFIG,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Detect the eight option-chain signals between two snapshots.

    Parameters
    ----------
    previous, current
        Canonical option-chain frames (:data:`optionsintel.frames.CHAIN_COLUMNS`), one
        snapshot per underlying each, any number of underlyings. Each (underlying,
        expiry) of ``current`` is compared with the same one in ``previous``.
    config
        Thresholds (:class:`SignalConfig`).
    history
        Optional earlier snapshots (a chain frame with many ``snapshot_ts``); used by
        UNUSUAL_ACTIVITY as each contract's volume baseline.

    Returns
    -------
    pandas.DataFrame
        One row per fired signal: ``underlying, snapshot_ts`` (of ``current``),
        ``expiry, signal_type`` (:class:`SignalType` value), ``confidence`` (0-100),
        ``strength`` (:class:`Strength` value), ``strikes`` (list of floats),
        ``supporting`` (dict of the figures behind the signal), ``provider``.

    Raises
    ------
    MixedProvidersError
        When the inputs come from more than one provider.
    FrameValidationError
        On malformed chains or several snapshots of one underlying in ``previous`` or
        ``current``.

    Notes
    -----
    Definitions, thresholds and confidence formulas: ``docs/signals.md``.
    """
    check_providers(previous, current, history)
    if len(previous) == 0 or len(current) == 0:
        return empty_signals()
    try:
        pair = build_pair(previous, current, config)
    except _NothingToCompareError:
        return empty_signals()
    founds = [
        oi_flow(pair, config, "CE", rising=True),
        oi_flow(pair, config, "PE", rising=True),
        oi_flow(pair, config, "CE", rising=False),
        oi_flow(pair, config, "PE", rising=False),
        gamma_squeeze(pair, config),
        max_pain_pull(pair, config),
        unusual_activity(pair, config, history),
        momentum_shift(pair, config),
    ]
    parts = [_assemble(pair, f, config.strength_cutoffs) for f in founds if f.fire.any()]
    if not parts:
        return empty_signals()
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["underlying", "expiry", "signal_type"], kind="stable").reset_index(
        drop=True
    )
